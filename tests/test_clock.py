"""One clock: today, the times shown and the scheduler's morning all follow TIMEZONE."""
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from consultancy import create_app
from consultancy.extensions import db
from consultancy.models import JobRun
from consultancy.scheduler import build_scheduler, scheduled_pass
from consultancy.services.clock import COPENHAGEN, local_today, utcnow
from consultancy.web.i18n import format_datetime

# 23:30 in Copenhagen is already 09:30 the next morning in Auckland (UTC+12 in June).
LATE_EVENING = datetime(2026, 6, 17, 23, 30, tzinfo=COPENHAGEN)


def test_today_the_times_shown_and_the_scheduler_follow_TIMEZONE(make_app, clock):
    clock.move_to(LATE_EVENING)
    app = make_app(TIMEZONE="Pacific/Auckland")
    with app.test_request_context():
        assert local_today() == date(2026, 6, 18)
        assert format_datetime(utcnow()).endswith("09:30")
    [job] = build_scheduler(app).get_jobs()
    assert str(job.trigger.timezone) == "Pacific/Auckland"
    scheduled_pass(app)
    with app.app_context():
        assert db.session.scalars(sa.select(JobRun.run_on)).all() == [date(2026, 6, 18)]


def test_the_default_zone_is_copenhagen(app, clock):
    clock.move_to(LATE_EVENING)
    with app.app_context():
        assert local_today() == date(2026, 6, 17)
    [job] = build_scheduler(app).get_jobs()
    assert str(job.trigger.timezone) == "Europe/Copenhagen"


def test_the_old_setting_SCHEDULER_TIMEZONE_still_sets_the_zone(make_app):
    with pytest.warns(FutureWarning, match="set TIMEZONE"):
        app = make_app(SCHEDULER_TIMEZONE="Pacific/Auckland")
    assert app.config["TIMEZONE"] == "Pacific/Auckland"


def test_an_unknown_zone_stops_the_start(tmp_path):
    with pytest.raises(RuntimeError, match="TIMEZONE 'Europe/Atlantis' is not a time zone"):
        create_app({"SECRET_KEY": "test", "TIMEZONE": "Europe/Atlantis"},
                   instance_path=str(tmp_path))
