from flask import Blueprint

bp = Blueprint("flags", __name__, url_prefix="/flags")

from consultancy.flags import views  # noqa: E402,F401
