from flask import Blueprint

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")

from consultancy.evaluation import entry_views  # noqa: E402,F401
from consultancy.evaluation import summary_views  # noqa: E402,F401
from consultancy.evaluation import export_views  # noqa: E402,F401
