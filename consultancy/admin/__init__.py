from flask import Blueprint

bp = Blueprint("admin", __name__, cli_group=None)  # its group: cli.py

# The modules that attach views and commands to `bp`; create_app imports them.
MODULES = ("views", "instrument_views", "cli")
