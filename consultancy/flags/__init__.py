from flask import Blueprint

bp = Blueprint("flags", __name__, url_prefix="/flags")

# `services` first: it loads the engagements package, whose views import flags.queries,
# before flags.access and flags.queries start loading (they would be half-loaded then).
from consultancy.flags import services, templating, views  # noqa: E402,F401
