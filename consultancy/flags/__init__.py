from flask import Blueprint

bp = Blueprint("flags", __name__, url_prefix="/flags", cli_group=None)  # its group: cli.py

from consultancy.flags import views  # noqa: E402,F401
from consultancy.flags import cli  # noqa: E402,F401
