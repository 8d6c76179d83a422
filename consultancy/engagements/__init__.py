from flask import Blueprint

bp = Blueprint("engagements", __name__, url_prefix="/engagements",
               cli_group=None)  # its groups: cli.py

from consultancy.engagements import views  # noqa: E402,F401
from consultancy.engagements import session_views  # noqa: E402,F401
from consultancy.engagements import export_views  # noqa: E402,F401
from consultancy.engagements import overview_views  # noqa: E402,F401
from consultancy.engagements import cli  # noqa: E402,F401
