from flask import Blueprint

bp = Blueprint("flags", __name__, url_prefix="/flags")
