import sqlalchemy as sa

from consultancy.cli import DEMO_PASSWORD, DEMO_USERS
from consultancy.extensions import db
from consultancy.models import Role, User


def users(app):
    with app.app_context():
        return {u.email: u for u in db.session.scalars(sa.select(User))}


def test_create_a_user_from_the_command_line(app, runner):
    result = runner.invoke(args=["users", "create", "Eva@Uni.dk", "--name", "Eva Evaluator",
                                 "--role", "evaluator", "--password", "a long password"])
    assert result.exit_code == 0, result.output
    assert users(app)["eva@uni.dk"].role is Role.EVALUATOR
    listing = runner.invoke(args=["users", "list"]).output
    assert "eva@uni.dk" in listing and "evaluator" in listing


def test_the_password_is_asked_for_when_not_given(app, runner):
    result = runner.invoke(args=["users", "create", "t@example.dk", "--name", "T",
                                 "--role", "team"], input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    assert users(app)["t@example.dk"].check_password("a long password")


def test_bad_input_on_the_command_line_is_refused(app, runner, make_user):
    make_user(email="taken@example.dk")
    cases = [
        (["x@example.dk", "--role", "superuser"], "superuser"),
        (["not-an-email", "--role", "team"], "gyldig e-mailadresse"),
        (["taken@example.dk", "--role", "team"], "findes allerede"),
    ]
    for arguments, message in cases:
        result = runner.invoke(args=["users", "create", *arguments, "--name", "N",
                                     "--password", "a long password"])
        assert result.exit_code != 0 and message in result.output, result.output
    result = runner.invoke(args=["users", "create", "s@example.dk", "--name", "N",
                                 "--role", "team", "--password", "short"])
    assert result.exit_code != 0 and "mindst 10 tegn" in result.output
    for name in ("   ", "x" * 121):
        result = runner.invoke(args=["users", "create", "n@example.dk", "--name", name,
                                     "--role", "team", "--password", "a long password"])
        assert result.exit_code != 0 and "name:" in result.output, result.output
    assert set(users(app)) == {"taken@example.dk"}


def test_demo_load_creates_one_user_per_role_and_is_idempotent(app, runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo", "load"])
    assert "existing, password unchanged" in second.output
    loaded = users(app)
    assert len(loaded) == len(DEMO_USERS)
    assert {user.role for user in loaded.values()} == set(Role)
    admin = app.test_client()
    response = admin.post("/login", data={"email": "admin@demo.example",
                                          "password": DEMO_PASSWORD})
    assert response.status_code == 302
