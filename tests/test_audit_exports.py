"""Every export and download of data is audited through `audit.record_export`: who, which
export, its format, the filters and the rows in the file. The walks find every view that
hands out a file (and every API endpoint) and every export command, and fail when one is
missing from the tables below."""
from __future__ import annotations

import inspect
import io
import json
import zipfile
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from consultancy.exchange import spreadsheets
from consultancy.extensions import db
from consultancy.models import AuditEntry, Engagement, Role


def csv_rows(data: bytes) -> int:
    unbounded = spreadsheets.Limits(file_bytes=2**40, unpacked_bytes=2**40, rows=2**31)
    return len(spreadsheets.read(data, "export.csv", line_breaks=True,
                                 limits=unbounded)[0].rows) - 1  # the header


def zipped_data_rows(data: bytes) -> int:
    return csv_rows(zipfile.ZipFile(io.BytesIO(data)).read("effect_data.csv"))


def codebook_rows(data: bytes) -> int:
    document = json.loads(data)
    return len(document["variables"]) + len(document["items"])


def exports(app) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")
                                  .order_by(AuditEntry.id)).all()


@pytest.fixture
def ctx(app, login_client, make_case, make_round, make_application, runner, make_user):
    def token(role=Role.EVALUATOR):
        user = make_user(role)
        result = runner.invoke(args=["tokens", "create", user.email])
        assert result.exit_code == 0, result.output
        return user, result.output.strip().splitlines()[-1]
    return SimpleNamespace(app=app, login_client=login_client, make_case=make_case,
                           make_round=make_round, make_application=make_application,
                           runner=runner, token=token)


# Each builds what the download needs and returns (who, url, headers, the details expected
# besides the rows, and how to count the rows in the file).

def round_export(ctx):
    round_id = ctx.make_round()
    ctx.make_application(engagement_type_id=1, round_id=round_id)
    ctx.make_application(engagement_type_id=1, round_id=round_id)
    return (ctx.login_client(Role.TEAM), f"/rounds/{round_id}/export.csv", {},
            {"export": "applications", "format": "csv", "filters": {"round": round_id}},
            csv_rows)


def sessions_export(ctx):
    ctx.make_case(new_consultants=1, sessions=[(-2, 2), (-1, 1)])
    return (ctx.login_client(Role.TEAM), "/engagements/sessions/export.csv?from=2000-01-01",
            {}, {"export": "sessions", "format": "csv", "filters": {"from": "2000-01-01"}},
            csv_rows)


def effect_data_download(ctx):
    ctx.make_case()
    return (ctx.login_client(Role.EVALUATOR), "/evaluation/export/download?format=csv&type=mini",
            {}, {"export": "effect-data", "format": "csv", "filters": {"type": "mini"}},
            zipped_data_rows)


def codebook_download(ctx):
    return (ctx.login_client(Role.EVALUATOR), "/evaluation/codebook/download?format=csv", {},
            {"export": "codebook", "format": "csv", "filters": {}}, csv_rows)


def import_template(ctx):
    client = ctx.login_client(Role.TEAM)
    engagement_id = ctx.make_case()
    with ctx.app.app_context():
        reference = db.session.get(Engagement, engagement_id).reference
    return (client, f"/evaluation/cases/{engagement_id}/import/template.csv", {},
            {"export": "import-template", "format": "csv", "filters": {"case": reference}},
            csv_rows)


def api(path, kind, fmt, filters, rows):
    def build(ctx):
        ctx.make_case(new_consultants=1, sessions=[(-1, 2)])
        user, token = ctx.token()
        client = ctx.app.test_client()
        client.user = user
        return (client, path, {"Authorization": f"Bearer {token}"},
                {"export": kind, "format": fmt, "filters": filters, "channel": "api"}, rows)
    return build


EXPORTS = {
    "applications.round_export": round_export,
    "engagements.sessions_export": sessions_export,
    "evaluation.export_download": effect_data_download,
    "evaluation.codebook_download": codebook_download,
    "evaluation.import_template": import_template,
    "api.effect_data": api("/api/v1/effect-data?format=csv&type=mini", "effect-data", "csv",
                           {"type": "mini"}, csv_rows),
    "api.activity": api("/api/v1/activity?format=csv&municipality=773", "activity", "csv",
                        {"municipality": 773}, csv_rows),
    "api.codebook": api("/api/v1/codebook", "codebook", "json", {}, codebook_rows),
}


def hands_out_data(app, endpoint: str) -> bool:
    """A view that sends a file, or any API endpoint."""
    source = inspect.getsource(app.view_functions[endpoint])
    return endpoint.startswith("api.") or "download(" in source


def test_every_download_view_is_in_the_table(app):
    found = {rule.endpoint for rule in app.url_map.iter_rules()
             if rule.endpoint != "static" and not rule.endpoint.endswith(".static")
             and hands_out_data(app, rule.endpoint)}
    assert found == set(EXPORTS), "add the download to EXPORTS in tests/test_audit_exports.py"


@pytest.mark.parametrize("endpoint", sorted(EXPORTS))
def test_every_download_is_audited_with_who_what_filters_and_rows(ctx, endpoint):
    client, url, headers, expected, count = EXPORTS[endpoint](ctx)
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    [entry] = exports(ctx.app)
    assert entry.actor_id == client.user.id
    details = dict(entry.details)
    assert details.pop("rows") == count(response.data)
    details.pop("token", None)
    assert details == {"channel": "web", **expected}


def test_an_api_download_names_its_token(ctx):
    client, url, headers, _expected, _count = EXPORTS["api.codebook"](ctx)
    client.get(url, headers=headers)
    [entry] = exports(ctx.app)
    with ctx.app.app_context():
        token_id = db.session.scalar(sa.text("SELECT id FROM api_tokens"))
    assert entry.details["token"] == token_id


def test_a_refused_download_is_not_audited(ctx):
    client = ctx.login_client(Role.TEAM)
    assert client.get("/engagements/sessions/export.csv?from=01-03-2026").status_code == 400
    assert exports(ctx.app) == []


# --- the command line -------------------------------------------------------------------

def applications_command(ctx, out):
    round_id = ctx.make_round()
    ctx.make_application(engagement_type_id=1, round_id=round_id)
    return (["applications", "export", "--round", str(round_id), "--out", str(out / "a.csv")],
            {"export": "applications", "format": "csv", "filters": {"round": round_id}},
            lambda: csv_rows((out / "a.csv").read_bytes()))


def sessions_command(ctx, out):
    ctx.make_case(new_consultants=1, sessions=[(-1, 2)])
    return (["sessions", "export", "--to", "2999-12-31", "--out", str(out / "s.csv")],
            {"export": "sessions", "format": "csv", "filters": {"to": "2999-12-31"}},
            lambda: csv_rows((out / "s.csv").read_bytes()))


def effect_data_command(ctx, out):
    ctx.make_case()
    return (["export", "effect-data", "--out", str(out / "e.csv"), "--municipality", "773"],
            {"export": "effect-data", "format": "csv", "filters": {"municipality": 773}},
            lambda: csv_rows((out / "e.csv").read_bytes()))


def codebook_command(ctx, out):
    return (["export", "codebook", "--out", str(out / "c.csv")],
            {"export": "codebook", "format": "csv", "filters": {}},
            lambda: csv_rows((out / "c.csv").read_bytes())
            + csv_rows((out / "c_items.csv").read_bytes()))


COMMANDS = {
    "applications export": applications_command,
    "sessions export": sessions_command,
    "export effect-data": effect_data_command,
    "export codebook": codebook_command,
}


def test_every_export_command_is_in_the_table(app):
    found = set()
    for group_name, group in app.cli.commands.items():
        for name in getattr(group, "commands", {}):
            if "export" in (group_name, name):
                found.add(f"{group_name} {name}")
    assert found == set(COMMANDS), "add the command to COMMANDS in tests/test_audit_exports.py"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_export_command_is_audited(ctx, tmp_path, command):
    args, expected, count = COMMANDS[command](ctx, tmp_path)
    result = ctx.runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    [entry] = exports(ctx.app)
    assert entry.actor_id is None  # the command line has no user
    details = dict(entry.details)
    assert details.pop("rows") == count()
    assert details == {"channel": "cli", **expected}


# --- the audit log page -----------------------------------------------------------------

def test_the_audit_log_shows_an_export_in_danish(ctx):
    client, url, headers, _expected, _count = round_export(ctx)
    client.get(url)
    admin = ctx.login_client(Role.ADMIN)
    page = admin.get("/admin/audit").get_data(as_text=True)
    round_id = exports(ctx.app)[0].details["filters"]["round"]
    for text in ("Udtræk", "Ansøgninger med point og afgørelser", "Filformat", "csv",
                 f"Runde: {round_id}", "Rækker", "2", "Kanal", "webside"):
        assert f">{text}<" in page or f">{text} <" in page, text
