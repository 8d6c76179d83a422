from flask import Blueprint

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation",
               cli_group=None)  # its groups: cli.py

from consultancy.evaluation import entry_views  # noqa: E402,F401
from consultancy.evaluation import summary_views  # noqa: E402,F401
from consultancy.evaluation import export_views  # noqa: E402,F401
from consultancy.evaluation import cli_import  # noqa: E402,F401
from consultancy.evaluation import cli_summary  # noqa: E402,F401
from consultancy.evaluation import cli_export  # noqa: E402,F401
