"""What every page's templates get from the flags area: the bell's number, the rules'
texts, the severities' marks and who may take a resolving action."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g
from flask_login import current_user

from consultancy.extensions import db
from consultancy.flags import bp
from consultancy.flags.access import FLAG_ROLES, may_take
from consultancy.flags.queries import attention_count
from consultancy.flags.texts import SEVERITY_CSS, SEVERITY_MARKS, action, message, rule_name
from consultancy.services.clock import local_today


def flags_needing_attention() -> int | None:
    """The bell's number for the signed-in user: one query per request, run only when a
    page shows the bell. None for those without a bell, or when the count cannot be had
    (an error page after the database failed must still render)."""
    if "flags_needing_attention" not in g:
        count = None
        if current_user.is_authenticated and current_user.role in FLAG_ROLES:
            try:
                count = attention_count(current_user, local_today())
            except sa.exc.SQLAlchemyError:
                current_app.logger.exception("could not count the flags for the bell")
                db.session.rollback()
        g.flags_needing_attention = count
    return g.flags_needing_attention


@bp.record_once
def _template_helpers(state) -> None:
    """Globals of every template (imported macros included)."""
    state.app.jinja_env.globals.update(
        flags_needing_attention=flags_needing_attention, flag_name=rule_name,
        flag_message=message, flag_action=action, may_take_action=may_take,
        severity_marks=SEVERITY_MARKS, severity_css=SEVERITY_CSS)
