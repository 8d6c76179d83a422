from flask import Blueprint

bp = Blueprint("admin", __name__, cli_group=None)  # its group: cli.py

from consultancy.admin import views  # noqa: E402,F401
from consultancy.admin import instrument_views  # noqa: E402,F401
from consultancy.admin import cli  # noqa: E402,F401
