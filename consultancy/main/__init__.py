from flask import Blueprint

bp = Blueprint("main", __name__)

# The modules that attach views and commands to `bp`; create_app imports them.
MODULES = ("views",)
