"""Uploads are bounded and imports never drop a row silently: size, rows and what a
workbook unpacks to are limited (settings), DTDs and formulas are refused, a stray
quotation mark is named by its row; each refusal next to the upload field, in seconds,
with nothing written."""
from __future__ import annotations

import io
import re
import struct
import time
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa

from consultancy.exchange import spreadsheets
from consultancy.extensions import db
from consultancy.models import Application
from tests.test_applications_exchange import (
    APPLICATION_COLUMNS,
    UNIT_COLUMNS,
    application_row,
    unit_row,
    write_csv,
    write_xlsx,
)
from tests.test_evaluation_import import (  # noqa: F401 (setup is a fixture)
    SECOND_UNIT,
    TODAY,
    csv_bytes,
    error_list,
    setup,
    stored,
    table,
    upload,
    xlsx_bytes,
)


def rows(app, reference: str, count: int) -> list[list[str]]:
    return table(app, [{"case": reference, "unit": SECOND_UNIT, "occasion": "baseline",
                        "respondent": f"P{number}", "role": "leader",
                        "date": TODAY.isoformat()} for number in range(1, count + 1)])


def field_errors(page: str) -> str:
    """The messages shown under the upload field."""
    found = re.search(r'id="file-error"[^>]*>(.*?)</div>', page, re.S)
    return re.sub(r"<[^>]+>", " ", found.group(1)).replace("&#34;", '"') if found else ""


def rezip(data: bytes, change: dict) -> bytes:
    """The XLSX archive with some of its parts changed: {name: bytes -> bytes}."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member.filename)
            if member.filename in change:
                content = change[member.filename](content)
            target.writestr(member.filename, content)
    return out.getvalue()


def with_dtd(declaration: bytes, reference: bytes = b""):
    def change(content: bytes) -> bytes:
        if content.startswith(b"<?xml"):
            head, mark, rest = content.partition(b"?>")
            content = head + mark + declaration + rest
        else:
            content = declaration + content
        return content.replace(b"<v>3</v>", b"<v>" + reference + b"</v>", 1) \
            if reference else content
    return change


BILLION_LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1
                                                             else b"&lol;") * 10)
                             for n in range(1, 10)) + b"]>")
EXTERNAL = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml",
                                  "[Content_Types].xml", "docProps/app.xml"])
@pytest.mark.parametrize("declaration, reference", [(BILLION_LAUGHS, b"&lol9;"),
                                                    (EXTERNAL, b"&xxe;")])
def test_a_workbook_with_a_dtd_is_refused_for_safety(app, setup, part, declaration,
                                                     reference):
    engagement_id, reference_text, _units, client = setup
    data = rezip(xlsx_bytes(rows(app, reference_text, 2)),
                 {part: with_dtd(declaration, reference)})
    response = upload(client, engagement_id, data, "svar.xlsx")
    assert response.status_code == 400
    assert "contains a document type declaration (DTD)" in field_errors(
        response.get_data(as_text=True))
    assert stored(app) == []


def test_a_damaged_workbook_is_refused_with_a_message(app, setup):
    engagement_id, reference, _units, client = setup
    data = rezip(xlsx_bytes(rows(app, reference, 2)),
                 {"xl/workbook.xml": lambda content: content + b"<junk/>"})
    response = upload(client, engagement_id, data, "svar.xlsx")
    assert response.status_code == 400
    assert "The file cannot be read as an XLSX workbook." in field_errors(
        response.get_data(as_text=True))


def bomb(app, reference: str, padding: int) -> bytes:
    """A small workbook whose sheet unpacks to more than `padding` bytes (blank space the
    XML allows between rows compresses a thousandfold)."""
    return rezip(xlsx_bytes(rows(app, reference, 2)), {
        "xl/worksheets/sheet1.xml": lambda content: content.replace(
            b"<sheetData>", b"<sheetData>" + b" " * padding, 1)})


def lie_about_sizes(data: bytes, name: str, size: int) -> bytes:
    """The archive with `name`'s uncompressed size in its local header and its directory
    entry replaced by `size` (the CRC no longer matches what it unpacks to)."""
    encoded = name.encode()
    data = bytearray(data)
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(encoded)] == encoded:
                data[start + size_at:start + size_at + 4] = struct.pack("<I", size)
            start += 4
    return bytes(data)


@pytest.fixture
def parsing_forbidden(monkeypatch):
    """Fail the test if the workbook gets as far as openpyxl."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("the workbook was parsed")
    monkeypatch.setattr("openpyxl.load_workbook", refuse)  # imported where it is used


def test_a_zip_bomb_is_refused_before_it_is_parsed(app, setup, parsing_forbidden):
    engagement_id, reference, _units, client = setup
    app.config["IMPORT_MAX_UNPACKED_BYTES"] = 1024 * 1024
    data = bomb(app, reference, 40 * 1024 * 1024)
    assert len(data) < 200 * 1024
    started = time.perf_counter()
    response = upload(client, engagement_id, data, "svar.xlsx")
    assert time.perf_counter() - started < 20  # generous: a loaded machine; it takes ~0.1 s
    assert response.status_code == 400
    assert "The workbook unpacks to more than 1 MB." in field_errors(
        response.get_data(as_text=True))
    assert stored(app) == []


def test_a_workbook_that_lies_about_its_sizes_is_refused_before_it_is_parsed(
        app, setup, parsing_forbidden):
    engagement_id, reference, _units, client = setup
    app.config["IMPORT_MAX_UNPACKED_BYTES"] = 1024 * 1024
    data = lie_about_sizes(bomb(app, reference, 40 * 1024 * 1024),
                           "xl/worksheets/sheet1.xml", 1000)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sum(member.file_size for member in archive.infolist()) < 1024 * 1024
    response = upload(client, engagement_id, data, "svar.xlsx")
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True))


def test_counting_while_unpacking_stops_at_the_limit_whatever_the_directory_says():
    """The directory's sizes are checked first; what the parts unpack to is counted too."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (3 * 1024 * 1024))
    honest = out.getvalue()
    with pytest.raises(spreadsheets.SpreadsheetError, match="unpacks to more than 1 MB"):
        spreadsheets.check_archive(honest, 1024 * 1024)
    spreadsheets.check_archive(honest, 4 * 1024 * 1024)


def test_a_file_past_the_size_limit_is_refused_next_to_the_field(app, setup):
    engagement_id, reference, _units, client = setup
    app.config["IMPORT_MAX_BYTES"] = 100 * 1024
    data = csv_bytes(rows(app, reference, 1)) + b"\n" * (200 * 1024)
    response = upload(client, engagement_id, data)
    assert response.status_code == 400
    assert "The file is larger than 0.1 MB." in field_errors(response.get_data(as_text=True))


@pytest.mark.parametrize("name, make", [("svar.csv", csv_bytes), ("svar.xlsx", xlsx_bytes)])
def test_a_file_with_more_rows_than_the_limit_is_refused(app, setup, name, make):
    engagement_id, reference, _units, client = setup
    app.config["IMPORT_MAX_ROWS"] = 3
    response = upload(client, engagement_id, make(rows(app, reference, 4)), name)
    assert response.status_code == 400
    assert "The file has more than 3 rows." in field_errors(response.get_data(as_text=True))
    assert stored(app) == []
    assert upload(client, engagement_id, make(rows(app, reference, 3)), name
                  ).status_code == 302


@pytest.mark.parametrize("closed_later", [False, True])
def test_a_stray_quotation_mark_is_refused_naming_its_row(app, setup, closed_later):
    engagement_id, reference, _units, client = setup
    lines = csv_bytes(rows(app, reference, 4)).decode().splitlines()
    lines[2] = '"' + lines[2]  # row 3
    if closed_later:
        lines[4] = lines[4].replace(",", '",', 1)  # another stray one in row 5 closes it
    response = upload(client, engagement_id, ("\r\n".join(lines) + "\r\n").encode())
    assert response.status_code == 400
    assert "Row 3: the quotation marks do not pair up." in field_errors(
        response.get_data(as_text=True))
    assert stored(app) == []


def test_quoted_cells_with_commas_are_still_read(app, setup):
    engagement_id, reference, units, client = setup
    lines = rows(app, reference, 2)
    lines[1][1] = lines[2][1] = "Vuggestuen Spiren"
    data = csv_bytes(lines).replace(b"Vuggestuen Spiren", b'"Vuggestuen Spiren"')
    assert upload(client, engagement_id, data).status_code == 302
    assert len(stored(app)) == 2


def test_a_formula_cell_is_refused_naming_the_cell(app, setup):
    engagement_id, reference, _units, client = setup
    lines = rows(app, reference, 3)
    column = lines[0].index("LM2")
    lines[3][column] = "=1+2"  # row 4
    response = upload(client, engagement_id, xlsx_bytes(lines), "svar.xlsx")
    assert response.status_code == 400
    cell = f"{openpyxl.utils.get_column_letter(column + 1)}4"
    assert f"Cell {cell} holds a formula." in field_errors(response.get_data(as_text=True))
    assert stored(app) == []


# --- the applications import (command line) ------------------------------------------------

def test_the_applications_import_reads_through_the_same_bounds(app, runner, tmp_path):
    units = write_csv(tmp_path / "enheder.csv", UNIT_COLUMNS,
                      [unit_row("A", "Solsikken"), unit_row("B", "Mælkebøtten")])
    main = write_csv(tmp_path / "ansøgninger.csv", APPLICATION_COLUMNS,
                     [application_row("A"), application_row("B")])
    lines = main.read_text(encoding="utf-8-sig").splitlines()
    lines[1] = '"' + lines[1]  # the stray quote swallows row 3
    main.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["applications", "import", str(main), "--units", str(units)])
    assert result.exit_code == 1
    assert re.search(r"(Row|Række) 2: ", result.output), result.output

    book = write_xlsx(tmp_path / "ansøgninger.xlsx",
                      [application_row("A")], [unit_row("A", "Solsikken")])
    workbook = openpyxl.load_workbook(book)
    workbook["units"]["E2"] = "=40+5"
    workbook.save(book)
    result = runner.invoke(args=["applications", "import", str(book)])
    assert result.exit_code == 1
    assert re.search(r"E2", result.output), result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Application)) == 0


def test_a_multi_line_text_cell_is_still_imported(app, runner, tmp_path):
    units = write_csv(tmp_path / "enheder.csv", UNIT_COLUMNS, [unit_row("A", "Solsikken")])
    main = write_csv(tmp_path / "ansøgninger.csv", APPLICATION_COLUMNS, [application_row(
        "A", motivation="Personalet er motiveret.\nLederen går forrest.")])
    result = runner.invoke(args=["applications", "import", str(main), "--units", str(units)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(sa.select(Application.motivation)).one() == \
            "Personalet er motiveret.\nLederen går forrest."
