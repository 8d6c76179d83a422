from flask import Blueprint

bp = Blueprint("engagements", __name__, url_prefix="/engagements")

from consultancy.engagements import views  # noqa: E402,F401
