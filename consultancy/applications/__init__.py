from flask import Blueprint

bp = Blueprint("applications", __name__, cli_group=None)  # its groups: cli.py

from consultancy.applications import views  # noqa: E402,F401
from consultancy.applications import setup_views  # noqa: E402,F401
from consultancy.applications import cli  # noqa: E402,F401
