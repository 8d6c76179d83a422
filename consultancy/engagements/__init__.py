from flask import Blueprint

bp = Blueprint("engagements", __name__, url_prefix="/engagements",
               cli_group=None)  # its groups: cli.py

# The modules that attach views and commands to `bp`; create_app imports them.
MODULES = ("views", "session_views", "export_views", "overview_views", "cli")
