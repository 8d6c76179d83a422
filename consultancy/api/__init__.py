"""The evaluator API (`/api/v1`): the effect data and its codebook for R and Python, opened
by a bearer token (`flask tokens create EMAIL`), never by a session cookie."""
from flask import Blueprint

from consultancy.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1", cli_group=None)  # its group: cli.py
csrf.exempt(bp)  # no cookies here, so no cross-site request to forge

# The modules that attach views and commands to `bp`; create_app imports them.
MODULES = ("views", "cli")
