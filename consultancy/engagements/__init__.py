from flask import Blueprint

bp = Blueprint("engagements", __name__, url_prefix="/engagements")

from consultancy.engagements import views  # noqa: E402,F401
from consultancy.engagements import session_views  # noqa: E402,F401
from consultancy.engagements import export_views  # noqa: E402,F401
from consultancy.engagements import overview_views  # noqa: E402,F401
