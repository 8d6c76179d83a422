"""One helper runs a change as the request's transaction and shows a refusal: next to the
field on a form (400, or 409 when someone else got there first), or flashed without one."""
import sqlalchemy as sa
from flask import get_flashed_messages
from wtforms import Form, StringField

from consultancy.extensions import db
from consultancy.models import Municipality
from consultancy.services import Conflict, Refusal
from consultancy.web.transactions import commit_or_show


class NameForm(Form):
    name = StringField()


def rename(code: int, name: str, refusal: Refusal | None = None):
    db.session.get(Municipality, code).name = name
    db.session.flush()
    if refusal is not None:
        raise refusal
    return name


def name_of(code: int) -> str:
    db.session.expire_all()
    return db.session.scalar(sa.select(Municipality.name).where(Municipality.code == code))


def test_a_change_is_committed_and_its_result_returned(app):
    with app.test_request_context():
        outcome = commit_or_show(lambda: rename(773, "Morsø"), NameForm())
        assert outcome and outcome.result == "Morsø" and outcome.status is None
        assert name_of(773) == "Morsø"


def test_a_refusal_goes_next_to_its_field_and_nothing_is_kept(app):
    with app.test_request_context():
        before = name_of(773)
        form = NameForm()
        outcome = commit_or_show(lambda: rename(773, "X", Refusal("Not that.", "name")), form)
        assert not outcome and outcome.status == 400
        assert form.name.errors == ["Not that."] and not get_flashed_messages()
        assert name_of(773) == before


def test_someone_else_first_answers_409_and_a_refusal_of_no_field_goes_on_top(app):
    with app.test_request_context():
        form = NameForm()
        outcome = commit_or_show(lambda: rename(773, "X", Conflict("Too late.")), form)
        assert outcome.status == 409 and form.form_errors == ["Too late."]


def test_without_a_form_the_refusal_is_flashed(app):
    with app.test_request_context():
        before = name_of(773)
        outcome = commit_or_show(lambda: rename(773, "X", Refusal("Not that.", "name")))
        assert not outcome and outcome.status == 400
        assert get_flashed_messages(with_categories=True) == [("danger", "Not that.")]
        assert name_of(773) == before
