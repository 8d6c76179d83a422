"""Effect data for external evaluators: the tidy long table, the activity per case, the
codebook, every file format, the manifest, pseudonyms, the CLI, the download page, and that
no name, contact or free text ever leaves."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date, timedelta

import openpyxl
import pandas as pd
import pyreadstat
import pytest
import sqlalchemy as sa

from consultancy.evaluation import effect_data
from consultancy.evaluation.effect_data import (
    ACTIVITY_COLUMNS,
    LONG_COLUMNS,
    EffectFilters,
    long_batches,
    parse_filters,
)
from consultancy.exchange.exports import Field, drain, plain_frame, write_csv, write_parquet
from consultancy.extensions import db
from consultancy.models import (
    Answer,
    AuditEntry,
    Engagement,
    EngagementContact,
    Item,
    MissingCode,
    Occasion,
    RespondentRole,
    Response,
    Role,
    SessionFormat,
)
from consultancy.security.pseudonyms import pseudonym
from consultancy.services.clock import local_today

SUMMARY = "Vi så på legen i garderoben."  # every session's summary in build_case
NEXT_STEPS = "Hemmeligt næste skridt om Frederik"
CONTACT = ("Mette Kontaktperson", "mette.kontakt@testrup.example", "87654321")
APPLICANT = "Testrup Byråd"  # the unit is "Børnehuset i Testrup Byråd"
CODES = ("QQLEADER01", "QQPEDAG002")
SECRETS = [SUMMARY, NEXT_STEPS, *CONTACT, APPLICANT, "Børnehuset", "Konsulent 1", *CODES]
FORMAT_FILES = {
    "csv": {"effect_data.csv", "activity.csv", "codebook.csv", "items.csv", "datapackage.json",
            "manifest.json"},
    "csv-excel-da": {"effect_data.csv", "activity.csv", "codebook.csv", "items.csv",
                     "datapackage.json", "manifest.json"},
    "xlsx": {"effect_data.xlsx", "manifest.json"},
    "parquet": {"effect_data.parquet", "activity.parquet", "codebook.xlsx", "manifest.json"},
    "dta": {"effect_data.dta", "activity.dta", "codebook.xlsx", "manifest.json"},
    "sav": {"effect_data.sav", "activity.sav", "codebook.xlsx", "manifest.json"},
}


def long_frame(filters: EffectFilters | None = None) -> pd.DataFrame:
    """The whole long table as one DataFrame."""
    frames = [plain_frame(batch, LONG_COLUMNS)
              for batch in long_batches(filters or EffectFilters())]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=LONG_COLUMNS)


def add_responses(app, engagement_id: int, occasion: Occasion, answers: dict[str, int | str],
                  code: str = CODES[0], role: RespondentRole = RespondentRole.LEADER,
                  day: date | None = None) -> None:
    """One respondent's answers to the default instrument (item code: value or a missing
    code), written as rows, as an import would."""
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        items = dict(db.session.execute(sa.select(Item.code, Item.id).where(
            Item.version_id == 1)).all())
        response = Response(engagement_id=engagement_id, unit_id=engagement.units[0].unit_id,
                            instrument_version_id=1, occasion=occasion, respondent_role=role,
                            respondent_code=code, responded_on=day or local_today())
        db.session.add(response)
        db.session.flush()
        db.session.execute(sa.insert(Answer), [
            {"response_id": response.id, "item_id": items[item],
             "value": value if isinstance(value, int) else None,
             "missing_code": None if isinstance(value, int) else MissingCode(value)}
            for item, value in answers.items()])
        db.session.commit()


@pytest.fixture
def effect_case(app, make_case):
    """A mini course of Testrup (municipality 773) with two sessions, a contact person, and
    a leader answering three items at baseline and end, a pedagogue one at baseline."""
    def make(**case_options) -> int:
        options = dict(applicant=APPLICANT, new_consultants=1,
                       sessions=[(-20, "2.5", SessionFormat.KICKOFF, NEXT_STEPS),
                                 (-10, 1, SessionFormat.PRACTICE_MEETING)])
        options.update(case_options)
        engagement_id = make_case(**options)
        with app.app_context():
            name, email, phone = CONTACT
            db.session.add(EngagementContact(engagement_id=engagement_id, name=name,
                                             email=email, phone=phone))
            db.session.commit()
        before = local_today() - timedelta(days=30)
        add_responses(app, engagement_id, Occasion.BASELINE,
                      {"LM1": 2, "LM2": "dont_know", "LM3": 4}, day=before)
        add_responses(app, engagement_id, Occasion.END, {"LM1": 4, "LM2": 3, "LM3": 2})
        add_responses(app, engagement_id, Occasion.BASELINE, {"LE1": "not_relevant"},
                      code=CODES[1], role=RespondentRole.PEDAGOGUE, day=before)
        return engagement_id
    return make


def download(client, fmt: str, **filters) -> zipfile.ZipFile:
    response = client.get("/evaluation/export/download", query_string={"format": fmt, **filters})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Disposition"].endswith(f'-{fmt}.zip"')
    return zipfile.ZipFile(io.BytesIO(response.data))


def tables(archive: zipfile.ZipFile, fmt: str) -> dict[str, pd.DataFrame]:
    """Every table of a download, read as an evaluator's tool would."""
    def read(name: str):
        return io.BytesIO(archive.read(name))
    if fmt == "csv":
        return {name: pd.read_csv(read(f"{name}.csv"), keep_default_na=False, dtype=str)
                for name in ("effect_data", "activity", "codebook", "items")}
    if fmt == "csv-excel-da":
        return {name: pd.read_csv(read(f"{name}.csv"), sep=";", decimal=",",
                                  encoding="utf-8-sig", keep_default_na=False, dtype=str)
                for name in ("effect_data", "activity", "codebook", "items")}
    if fmt == "xlsx":
        return pd.read_excel(read("effect_data.xlsx"), sheet_name=None)
    codebook = pd.read_excel(read("codebook.xlsx"), sheet_name=None)
    if fmt == "parquet":
        data = {name: pd.read_parquet(read(f"{name}.parquet"))
                for name in ("effect_data", "activity")}
    elif fmt == "dta":
        data = {name: pd.read_stata(read(f"{name}.dta")) for name in ("effect_data", "activity")}
    else:
        data = {}
        for name in ("effect_data", "activity"):
            path = f"/tmp/{name}-{id(archive)}.sav"
            with open(path, "wb") as handle:
                handle.write(archive.read(f"{name}.sav"))
            data[name], _meta = pyreadstat.read_sav(path, apply_value_formats=True)
    return {**data, **codebook}


# --- the long table ---------------------------------------------------------------------------

def test_one_row_per_answer_with_the_contract_columns_in_order(app, effect_case):
    engagement_id = effect_case()
    with app.test_request_context():
        frame = long_frame()
        case_pseudonym = pseudonym("engagement", engagement_id)

    assert list(frame.columns) == [
        "engagement_id", "unit_id", "respondent_id", "respondent_role", "occasion", "dimension",
        "item", "value", "missing_code", "reverse_coded", "scale_min", "scale_max",
        "instrument_version", "engagement_type", "round", "municipality_code", "unit_kind",
        "unit_ownership", "response_date"] == LONG_COLUMNS
    assert len(frame) == 7
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    leader = [row for row in rows if row["respondent_role"] == "leader"]
    assert [(r["occasion"], r["item"], r["value"], r["missing_code"]) for r in leader] == [
        ("baseline", "LM1", 2, None), ("baseline", "LM2", None, "dont_know"),
        ("baseline", "LM3", 4, None),
        ("end", "LM1", 4, None), ("end", "LM2", 3, None), ("end", "LM3", 2, None)]
    first = leader[0]
    assert first["engagement_id"] == case_pseudonym
    assert (first["dimension"], first["scale_min"], first["scale_max"],
            first["instrument_version"], first["engagement_type"], first["round"],
            first["municipality_code"], first["unit_kind"], first["unit_ownership"]) == (
        "pedagogical_learning_environment", 1, 5, "egenvurdering-v1", "mini", None, 773,
        "integrated", "municipal")
    assert [r["reverse_coded"] for r in leader[:3]] == [False, False, True]  # LM3 is reversed
    assert first["response_date"] == (local_today() - timedelta(days=30)).isoformat()
    pedagogue = [row for row in rows if row["respondent_role"] == "pedagogue"]
    assert [(r["dimension"], r["item"], r["value"], r["missing_code"]) for r in pedagogue] == [
        ("play", "LE1", None, "not_relevant")]


def test_the_same_respondent_keeps_one_pseudonym_and_no_id_or_code_shows(app, effect_case):
    engagement_id = effect_case()
    with app.test_request_context():
        frame = long_frame()
        with app.app_context():
            unit_id = db.session.get(Engagement, engagement_id).units[0].unit_id
    leader = frame[frame["respondent_role"] == "leader"]
    assert leader["respondent_id"].nunique() == 1  # baseline and end: the same person
    assert frame["respondent_id"].nunique() == 2
    assert frame["engagement_id"].str.fullmatch(r"E-[0-9a-f]{12}").all()
    assert frame["unit_id"].str.fullmatch(r"U-[0-9a-f]{12}").all()
    assert frame["respondent_id"].str.fullmatch(r"R-[0-9a-f]{12}").all()
    text = frame.to_csv(index=False)
    assert not any(code in text for code in CODES)
    assert str(engagement_id) not in set(frame["engagement_id"]) | set(frame["unit_id"])
    assert str(unit_id) not in set(frame["unit_id"])


def test_pseudonyms_are_stable_across_exports_and_change_with_the_key(app, make_app,
                                                                       effect_case, runner,
                                                                       tmp_path):
    effect_case()
    first, second = tmp_path / "first", tmp_path / "second"
    for directory in (first, second):
        result = runner.invoke(args=["export", "effect-data", "--out",
                                     str(directory / "effekt.csv")])
        assert result.exit_code == 0, result.output
    assert (first / "effekt.csv").read_bytes() == (second / "effekt.csv").read_bytes()
    assert (first / "effekt_activity.csv").read_bytes() == \
        (second / "effekt_activity.csv").read_bytes()

    other = make_app(PSEUDONYM_KEY="en anden nøgle")
    with other.test_request_context():
        rekeyed = long_frame()
    with app.test_request_context():
        original = long_frame()
    assert not set(rekeyed["engagement_id"]) & set(original["engagement_id"])
    assert not set(rekeyed["respondent_id"]) & set(original["respondent_id"])
    assert rekeyed.drop(columns=["engagement_id", "unit_id", "respondent_id"]).equals(
        original.drop(columns=["engagement_id", "unit_id", "respondent_id"]))


def test_filters_choose_the_cases_and_the_instrument(app, effect_case):
    mini = effect_case()
    effect_case(type_code="one_year", municipality=101, applicant="Anden Kommune")
    with app.test_request_context():
        every = long_frame()
        minis = long_frame(parse_filters({"type": "mini"}))
        copenhagen = long_frame(parse_filters({"municipality": "101"}))
        this_year = long_frame(parse_filters({"year": str(local_today().year)}))
        instrument = long_frame(parse_filters({"instrument": "egenvurdering"}))
        assert set(minis["engagement_id"]) == {pseudonym("engagement", mini)}
    assert len(every) == 14 and len(minis) == 7 and len(copenhagen) == 7
    assert set(copenhagen["engagement_type"]) == {"one_year"}
    assert len(this_year) == 14 and len(instrument) == 14


@pytest.mark.parametrize("values, field", [
    ({"type": "weekly"}, "type"), ({"round": "999"}, "round"), ({"round": "x"}, "round"),
    ({"year": "20"}, "year"), ({"municipality": "998"}, "municipality"),
    ({"instrument": "ecers"}, "instrument")])
def test_a_filter_that_names_nothing_is_refused(app, values, field):
    with app.test_request_context():
        with pytest.raises(effect_data.ExportError) as refused:
            parse_filters(values)
    assert refused.value.field == field


def test_the_activity_counts_held_sessions_and_hours_per_format(app, effect_case, make_case):
    effect_case()
    make_case(applicant="Ingen Svar", new_consultants=1, sessions=[(5, 3)])  # planned only
    with app.test_request_context():
        frame = effect_data.activity_frame(EffectFilters())
    assert list(frame.columns) == ACTIVITY_COLUMNS
    assert len(frame) == 2  # every case, with or without answers
    answered = frame.iloc[0].to_dict()
    assert (answered["sessions_total"], answered["hours_total"]) == (2, 3.5)
    assert (answered["sessions_kickoff"], answered["hours_kickoff"]) == (1, 2.5)
    assert (answered["sessions_practice_meeting"], answered["hours_practice_meeting"]) == (1, 1.0)
    assert answered["sessions_theme_day"] == 0
    assert frame.iloc[1]["sessions_total"] == 0


# --- the files --------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", list(FORMAT_FILES))
def test_each_format_opens_with_the_columns_and_no_names_notes_or_contacts(
        app, effect_case, evaluator_client, fmt):
    effect_case()
    archive = download(evaluator_client, fmt)
    assert set(archive.namelist()) == FORMAT_FILES[fmt]
    found = tables(archive, fmt)
    data, activity = found["effect_data" if fmt != "xlsx" else "data"], found["activity"]
    assert list(data.columns) == LONG_COLUMNS
    assert list(activity.columns) == ACTIVITY_COLUMNS
    assert len(data) == 7 and len(activity) == 1
    assert set(data["occasion"].astype(str)) == {"baseline", "end"}
    assert set(found["codebook"]["variable"]) == set(LONG_COLUMNS) | set(ACTIVITY_COLUMNS)
    assert len(found["items"]) == 24
    everything = "\n".join(frame.astype(str).to_csv() for frame in found.values())
    everything += "\n".join(archive.read(name).decode("utf-8", "replace")
                            for name in archive.namelist() if name.endswith(".json"))
    for secret in SECRETS:
        assert secret not in everything, secret


def test_csv_for_danish_excel_has_a_bom_semicolons_and_decimal_commas(app, effect_case,
                                                                      evaluator_client):
    effect_case(sessions=[(-3, "1.25")])
    archive = download(evaluator_client, "csv-excel-da")
    raw = archive.read("activity.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    header, row = raw.decode("utf-8-sig").splitlines()
    assert header.startswith("engagement_id;engagement_type;round;municipality_code;")
    assert ";1,25;" in row  # hours_total
    data = archive.read("effect_data.csv").decode("utf-8-sig").splitlines()
    assert data[0] == ";".join(LONG_COLUMNS)
    assert data[2].split(";")[7:10] == ["", "dont_know", "false"]  # value, missing, reversed
    package = json.loads(archive.read("datapackage.json"))
    hours = next(f for f in package["resources"][1]["schema"]["fields"]
                 if f["name"] == "hours_total")
    assert hours["decimalChar"] == "," and package["resources"][1]["dialect"]["delimiter"] == ";"


def test_plain_csv_has_no_bom_and_true_false(app, effect_case, evaluator_client):
    effect_case()
    archive = download(evaluator_client, "csv")
    lines = archive.read("effect_data.csv").decode("utf-8").splitlines()
    assert lines[0] == ",".join(LONG_COLUMNS)  # no BOM: R reads the first name right
    assert lines[3].split(",")[7:10] == ["4", "", "true"]


def test_datapackage_describes_every_column_with_categories(app, effect_case,
                                                            evaluator_client):
    effect_case()
    package = json.loads(download(evaluator_client, "csv").read("datapackage.json"))
    resources = {r["name"]: r for r in package["resources"]}
    assert resources["data"]["path"] == "effect_data.csv"
    fields = {f["name"]: f for f in resources["data"]["schema"]["fields"]}
    assert list(fields) == LONG_COLUMNS
    assert [c["value"] for c in fields["occasion"]["categories"]] == [
        "baseline", "midway", "end", "follow_up"]
    assert fields["value"]["type"] == "integer" and fields["response_date"]["type"] == "date"
    assert fields["reverse_coded"]["trueValues"] == ["true"]
    assert {"value": 773, "label": "Morsø"} in fields["municipality_code"]["categories"]
    assert [f["name"] for f in resources["activity"]["schema"]["fields"]] == ACTIVITY_COLUMNS


def test_xlsx_has_the_four_sheets_with_frozen_headers(app, effect_case, evaluator_client):
    effect_case()
    archive = download(evaluator_client, "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(archive.read("effect_data.xlsx")))
    assert workbook.sheetnames == ["data", "activity", "codebook", "items"]
    sheet = workbook["data"]
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == LONG_COLUMNS
    second = [cell.value for cell in sheet[3]]
    assert second[7:10] == [None, "dont_know", False]
    assert second[18].date() == local_today() - timedelta(days=30)  # a real date


def test_parquet_keeps_the_types(app, effect_case, evaluator_client):
    effect_case()
    data = tables(download(evaluator_client, "parquet"), "parquet")["effect_data"]
    assert str(data["value"].dtype) == "Int32" or data["value"].dtype.kind in "if"
    assert data["reverse_coded"].dtype == bool
    assert data["response_date"].iloc[0] == local_today() - timedelta(days=30)
    assert int(data["municipality_code"].iloc[0]) == 773


def test_stata_file_keeps_variable_and_value_labels(app, effect_case, login_client, tmp_path):
    effect_case()
    path = tmp_path / "effect_data.dta"
    evaluator = login_client(Role.EVALUATOR, language="en")
    path.write_bytes(download(evaluator, "dta").read("effect_data.dta"))
    data = pd.read_stata(path)
    assert list(data["occasion"].astype(str)) == ["baseline"] * 3 + ["end"] * 3 + ["baseline"]
    assert data["respondent_role"].iloc[0] == "leader"
    assert data["reverse_coded"].astype(str).tolist()[:3] == ["false", "false", "true"]
    assert data["municipality_code"].iloc[0] == "Morsø"  # 773, labelled
    assert pd.isna(data["value"].iloc[1]) and data["value"].iloc[0] == 2
    assert data["response_date"].iloc[0].date() == local_today() - timedelta(days=30)
    with pd.io.stata.StataReader(path) as reader:
        labels = reader.variable_labels()
        value_labels = reader.value_labels()
    assert labels["occasion"] == "Occasion"
    assert labels["engagement_id"] == "Case (pseudonym)"
    assert {1: "baseline", 2: "midway", 3: "end", 4: "follow_up"} in value_labels.values()
    raw = pd.read_stata(path, convert_categoricals=False)
    assert raw["municipality_code"].iloc[0] == 773 and raw["occasion"].iloc[0] == 1


def test_spss_file_keeps_variable_and_value_labels(app, effect_case, login_client, tmp_path):
    effect_case()
    path = tmp_path / "effect_data.sav"
    evaluator = login_client(Role.EVALUATOR, language="en")
    path.write_bytes(download(evaluator, "sav").read("effect_data.sav"))
    data, meta = pyreadstat.read_sav(str(path), apply_value_formats=True)
    assert list(data.columns) == LONG_COLUMNS
    assert data["occasion"].iloc[0] == "baseline" and data["missing_code"].iloc[1] == "dont_know"
    assert meta.column_names_to_labels["occasion"] == "Occasion"
    assert meta.variable_value_labels["occasion"] == {1: "baseline", 2: "midway", 3: "end",
                                                      4: "follow_up"}
    assert meta.variable_value_labels["municipality_code"][773] == "Morsø"
    assert pd.isna(data["value"].iloc[1]) and data["value"].iloc[0] == 2


def test_text_that_would_run_as_a_formula_is_neutralised_in_every_writer(tmp_path):
    fields = [Field("round", "string"), Field("value", "integer")]
    frame = pd.DataFrame({"round": ["=HYPERLINK(\"http://x\")", "Runde 1"],
                          "value": pd.array([1, None], dtype="Int64")})
    out = io.BytesIO()
    assert drain(write_csv([frame], fields, out)) == 2
    assert out.getvalue().decode().splitlines()[1:] == ["\"'=HYPERLINK(\"\"http://x\"\")\",1",
                                                        "Runde 1,"]
    out = io.BytesIO()
    drain(write_parquet([frame], fields, out))
    assert pd.read_parquet(io.BytesIO(out.getvalue()))["round"][0].startswith("'=")


# --- the manifest and the codebook ---------------------------------------------------------------

def test_the_manifest_lists_filters_rows_versions_and_matching_checksums(app, effect_case,
                                                                         evaluator_client):
    effect_case()
    archive = download(evaluator_client, "csv", type="mini")
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["filters"] == {"type": "mini"}
    assert manifest["rows"] == {"data": 7}
    assert manifest["instrument_versions"] == ["egenvurdering-v1"]
    assert manifest["created_at"].endswith("Z")
    files = {entry["name"]: entry for entry in manifest["files"]}
    assert set(files) == FORMAT_FILES["csv"] - {"manifest.json"}
    for name, entry in files.items():
        content = archive.read(name)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest(), name
        assert entry["bytes"] == len(content)
    assert files["effect_data.csv"]["rows"] == 7 and files["activity.csv"]["rows"] == 1
    assert manifest["pseudonymised"]["variables"] == ["engagement_id", "unit_id",
                                                      "respondent_id"]
    assert manifest["pseudonymised"]["key_from"] == "SECRET_KEY"
    assert any("e-mail" in reason for reason in manifest["dropped"])
    assert manifest["software"]["name"] == "consultancy" and manifest["software"]["version"]


def test_the_codebook_describes_every_variable_and_item(app, runner, tmp_path):
    result = runner.invoke(args=["export", "codebook", "--out", str(tmp_path / "kodebog.xlsx")])
    assert result.exit_code == 0, result.output
    sheets = pd.read_excel(tmp_path / "kodebog.xlsx", sheet_name=None)
    variables, items = sheets["codebook"], sheets["items"]
    assert list(variables["variable"]) == LONG_COLUMNS + ACTIVITY_COLUMNS
    assert variables["description"].notna().all() and variables["label"].notna().all()
    occasion = variables.set_index("variable").loc["occasion"]
    assert occasion["allowed_values"] == "baseline | midway | end | follow_up"
    assert "baseline = Førmåling" in occasion["value_labels"]
    assert occasion["stata_spss_codes"].startswith("1 = baseline | 2 = midway")
    assert len(items) == 24 and set(items["instrument_version"]) == {"egenvurdering-v1"}
    lm3 = items.set_index("item").loc["LM3"]
    assert bool(lm3["reverse_coded"]) and lm3["wording_en"].startswith("Much of the day")
    assert lm3["anchors_da"].startswith("1 = Passer slet ikke")

    result = runner.invoke(args=["export", "codebook", "--out", str(tmp_path / "kodebog.csv")])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(tmp_path / "kodebog_items.csv")) == 24


def test_the_codebook_page_shows_variables_and_wording(app, evaluator_client):
    page = evaluator_client.get("/evaluation/codebook").get_data(as_text=True)
    for column in LONG_COLUMNS + ACTIVITY_COLUMNS:
        assert f'id="variable-{column}"' in page
    assert "Vi planlægger dagens rutiner" in page and "egenvurdering-v1" in page
    response = evaluator_client.get("/evaluation/codebook/download?format=xlsx")
    assert openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames == ["codebook", "items"]


# --- who, the audit, the command line -------------------------------------------------------------

def test_evaluators_and_team_download_consultants_do_not(app, effect_case, login_client):
    effect_case()
    for role in (Role.EVALUATOR, Role.TEAM, Role.ADMIN):
        client = login_client(role, language="en")
        page = client.get("/evaluation/export").get_data(as_text=True)
        assert "7 answers (rows) match the choice." in page
        assert download(client, "csv").namelist()
    consultant = login_client(Role.CONSULTANT)
    for url in ("/evaluation/export", "/evaluation/export/download?format=csv",
                "/evaluation/codebook", "/evaluation/codebook/download"):
        assert consultant.get(url).status_code == 403


def test_every_download_is_audited_with_who_filters_and_rows(app, effect_case,
                                                             evaluator_client):
    effect_case()
    download(evaluator_client, "parquet", type="mini", year=str(local_today().year))
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "export")).one()
    assert entry.actor_id == evaluator_client.user.id
    assert entry.details == {"export": "effect-data", "format": "parquet", "channel": "web",
                             "filters": {"type": "mini", "year": local_today().year},
                             "rows": 7}


def test_an_xlsx_beyond_its_rows_is_refused_with_the_way_out(app, effect_case,
                                                                login_client, monkeypatch):
    effect_case()
    monkeypatch.setattr(effect_data, "XLSX_MAX_ROWS", 5)
    response = login_client(Role.EVALUATOR, language="en").get(
        "/evaluation/export/download?format=xlsx", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "7 rows are more than an XLSX export holds (5). Choose CSV or Parquet" in page
    assert 'value="xlsx" aria-describedby="format-xlsx-help" checked' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "export")) == 0


def test_the_command_writes_the_files_beside_out_with_their_manifest(app, effect_case, runner,
                                                                     tmp_path):
    effect_case()
    out = tmp_path / "eval" / "effekt.dta"
    result = runner.invoke(args=["export", "effect-data", "--out", str(out), "--type", "mini"])
    assert result.exit_code == 0, result.output
    written = {path.name for path in out.parent.iterdir()}
    assert written == {"effekt.dta", "effekt_activity.dta", "effekt_codebook.xlsx",
                       "manifest.json"}
    manifest = json.loads((out.parent / "manifest.json").read_text())
    for entry in manifest["files"]:
        content = (out.parent / entry["name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
    assert manifest["format"] == "dta" and manifest["filters"] == {"type": "mini"}
    assert len(pd.read_stata(out)) == 7
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "export")).one()
    assert entry.actor_id is None and entry.details == {
        "export": "effect-data", "format": "dta", "channel": "cli", "filters": {"type": "mini"},
        "rows": 7}


def test_the_command_writes_csv_for_danish_excel_with_its_datapackage(app, effect_case,
                                                                      runner, tmp_path):
    effect_case()
    out = tmp_path / "export" / "effekt.csv"
    result = runner.invoke(args=["export", "effect-data", "--format", "csv-excel-da",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {path.name for path in out.parent.iterdir()} == {
        "effekt.csv", "effekt_activity.csv", "effekt_codebook.csv", "effekt_items.csv",
        "datapackage.json", "manifest.json"}
    assert out.read_bytes().startswith(b"\xef\xbb\xbf" + b"engagement_id;unit_id;")
    package = json.loads((out.parent / "datapackage.json").read_text())
    assert [r["path"] for r in package["resources"]] == [
        "effekt.csv", "effekt_activity.csv", "effekt_codebook.csv", "effekt_items.csv"]


def test_the_command_refuses_unknown_filters_and_formats(app, runner, tmp_path):
    directory = tmp_path / "export"
    result = runner.invoke(args=["export", "effect-data", "--out", str(directory / "x.csv"),
                                 "--type", "weekly"])
    assert result.exit_code == 2 and "weekly" in result.output and "--type" in result.output
    result = runner.invoke(args=["export", "effect-data", "--out", str(directory / "x.txt")])
    assert result.exit_code == 2 and "--format" in result.output
    assert not directory.exists()


def test_a_round_name_goes_out_neutralised(app, effect_case, make_round, make_application,
                                           evaluator_client):
    engagement_id = effect_case()
    round_id = make_round(name="=Runde forår")
    application_id = make_application(engagement_type_id=1, round_id=round_id)
    with app.app_context():
        db.session.get(Engagement, engagement_id).application_id = application_id
        db.session.commit()
    lines = download(evaluator_client, "csv", round=str(round_id)).read(
        "effect_data.csv").decode().splitlines()
    assert len(lines) == 8 and lines[1].split(",")[14] == "'=Runde forår"


# The Arrow chunks of the long table are written as their pandas equals were.

TRICKY = pd.DataFrame({
    "text": pd.array(["a;b", 'say "hi"', "line\nbreak", "=SUM(A1)", None, "", "a,b"],
                     dtype="str"),
    "coded": pd.array(["x", "y", None, "x", "y", "x", "y"], dtype="str"),
    "number": pd.array([1, None, -3, 4, 5, 6, 120], dtype="Int64"),
    "flag": pd.array([True, False, None, True, True, False, True], dtype="boolean"),
    "day": pd.array(["2025-01-02", "2025-02-03", None, "2025-01-02", "2024-12-31",
                     "2025-01-02", "2025-01-02"], dtype="str"),
})
TRICKY_FIELDS = [Field("text", "string", "Text"), Field("coded", "string", "Coded",
                                                        values={"x": "Ex", "y": "Why"}),
                 Field("number", "integer", "Number"), Field("flag", "boolean", "Flag"),
                 Field("day", "date", "Day")]


def arrow_chunks(frame: pd.DataFrame, rows: int) -> list:
    import pyarrow as pa

    batch = pa.RecordBatch.from_pandas(frame, preserve_index=False)
    if "coded" in frame:
        coded = batch.column("coded").dictionary_encode()
        batch = batch.set_column(batch.schema.get_field_index("coded"), "coded", coded)
    return [batch.slice(start, rows) for start in range(0, len(frame), rows)]


@pytest.mark.parametrize("dialect", ["csv", "csv-excel-da", "csv-excel"])
def test_arrow_chunks_make_the_csv_pandas_chunks_make(dialect):
    def written(chunks, fields):
        out = io.BytesIO()
        drain(write_csv(chunks, fields, out, dialect=dialect))
        return out.getvalue()

    assert written(arrow_chunks(TRICKY, 3), TRICKY_FIELDS) == written(
        [TRICKY.iloc[:3], TRICKY.iloc[3:]], TRICKY_FIELDS)
    alone = [Field("text", "string")]
    assert written(arrow_chunks(TRICKY[["text"]], 4), alone) == written(
        [TRICKY[["text"]]], alone)


def test_arrow_chunks_make_the_parquet_stata_and_spss_files_pandas_chunks_make(
        tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from consultancy.exchange import exports

    # several slices and blocks, a slice of one row at the end
    monkeypatch.setattr(exports, "STATA_SLICE_ROWS", 3)
    monkeypatch.setattr(exports, "GATHER_BLOCK_ROWS", 2)
    for name, writer in (("parquet", write_parquet), ("dta", exports.write_stata),
                         ("sav", exports.write_sav)):
        for source, chunks in (("pandas", [TRICKY.iloc[:4], TRICKY.iloc[4:]]),
                               ("arrow", arrow_chunks(TRICKY, 2))):
            with (tmp_path / f"{source}.{name}").open("wb") as out:
                assert drain(writer(chunks, TRICKY_FIELDS, out)) == len(TRICKY)
        pandas_file, arrow_file = tmp_path / f"pandas.{name}", tmp_path / f"arrow.{name}"
        if name == "parquet":
            assert pq.read_table(arrow_file).equals(pq.read_table(pandas_file),
                                                    check_metadata=True)
            continue
        made, expected = arrow_file.read_bytes(), pandas_file.read_bytes()
        assert len(made) == len(expected)
        # the same bytes but for the time the file was written (in its header)
        assert [i for i, (a, b) in enumerate(zip(made, expected)) if a != b] \
            in ([], [135, 136], [104, 105, 107, 108])
