from flask import Blueprint

bp = Blueprint("applications", __name__)

from consultancy.applications import views  # noqa: E402,F401
from consultancy.applications import setup_views  # noqa: E402,F401
