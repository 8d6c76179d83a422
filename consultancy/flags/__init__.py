from flask import Blueprint

bp = Blueprint("flags", __name__, url_prefix="/flags", cli_group=None)  # its group: cli.py

# The modules that attach views, template globals and commands to `bp`; create_app
# imports them.
MODULES = ("views", "templating", "cli")
