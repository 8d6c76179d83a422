from flask import Blueprint

bp = Blueprint("applications", __name__, cli_group=None)  # its groups: cli.py

# The modules that attach views and commands to `bp`; create_app imports them.
MODULES = ("views", "setup_views", "cli")
