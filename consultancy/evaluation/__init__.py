from flask import Blueprint

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation",
               cli_group=None)  # its groups: cli.py

# The modules that attach views and commands to `bp`; create_app imports them.
MODULES = ("entry_views", "summary_views", "export_views", "cli_import", "cli_summary",
           "cli_export")
