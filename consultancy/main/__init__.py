from flask import Blueprint

bp = Blueprint("main", __name__)

from consultancy.main import views  # noqa: E402,F401
