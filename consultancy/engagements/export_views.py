"""The sessions export as a download for Team Dagtilbud."""
from flask import abort, request

from consultancy.engagements import bp
from consultancy.engagements.exchange import PeriodError, parse_period, sessions_frame
from consultancy.exchange.exports import MIMETYPES, download
from consultancy.extensions import db
from consultancy.models import Role
from consultancy.security import audit
from consultancy.security.permissions import role_required
from consultancy.web.errors import render_error
from consultancy.web.timeouts import statement_timeout


@bp.route("/sessions/export.<fmt>")
@statement_timeout("EXPORT_STATEMENT_TIMEOUT_MS")
@role_required(Role.TEAM, Role.ADMIN)
def sessions_export(fmt: str):
    if fmt not in MIMETYPES:
        abort(404)
    try:
        first, last = parse_period(request.args.get("from"), request.args.get("to"))
    except PeriodError as error:
        return render_error(400, error.message)
    period = "".join(f"-{name}-{day.isoformat()}" for name, day in (("from", first), ("to", last))
                     if day)
    frame = sessions_frame(first, last)
    audit.record_export("sessions", fmt, {"from": first, "to": last}, len(frame))
    db.session.commit()
    return download(frame, fmt, f"sessions{period}", sheet="sessions")
