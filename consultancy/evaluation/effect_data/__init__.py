"""Effect data for external evaluators: the answers as a tidy long table, the activity per
case, the codebook, and the bundle of files with its manifest.

The long table has one row per case × unit × respondent × occasion × item, its variable
names (`LONG_COLUMNS`) are a contract with the evaluators' scripts. Case, unit and
respondent are pseudonyms (`consultancy.security.pseudonyms`); nothing else identifies anyone: no
names of people, units or applicants, no contacts, no free text, no database ids, no
respondent codes.

Set-based: a handful of queries for the small tables (cases, units, items), then the
answers in one query (`COPY … TO STDOUT` on PostgreSQL, read in chunks elsewhere), each
chunk turned into an Arrow batch (pseudonyms and codes dictionary-encoded) and handed to
the writer before the next is read, so memory stays flat however many rows there are. The
file writers are in `consultancy.exchange.exports`.

One module per part of an export, each with its variables:

    filters     what an export covers (filters, the rows and instrument versions chosen)
    lookups     the small tables (cases, units, items) the answers are joined to
    long_table  the answers, one row per item answered            (file "data")
    activity    sessions held and hours per case                  (file "activity")
    codebook    the variables and the items with their wording    (files "codebook", "items")

and here, the export as a whole: the files of each format, what each holds, the manifest
(what was pseudonymised and left out, which software made the files) and the data package.
The rest of the application imports from here.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from importlib import metadata
from pathlib import Path

from flask_babel import gettext as _, lazy_gettext as _l

from consultancy.evaluation.effect_data.activity import (
    ACTIVITY_COLUMNS,
    activity_fields,
    activity_frame,
)
from consultancy.evaluation.effect_data.codebook import (
    codebook_fields,
    codebook_sheets,
    codebook_versions,
    item_fields,
    items_frame,
    variables_frame,
)
from consultancy.evaluation.effect_data.filters import (
    EffectFilters,
    ExportError,
    count_rows,
    parse_filters,
)
from consultancy.evaluation.effect_data.long_table import LONG_COLUMNS, long_batches, long_fields
from consultancy.evaluation.effect_data.lookups import lookups
from consultancy.exchange.exports import (
    CSV_DIALECTS,
    EXTENSIONS,
    BundleFile,
    Field,
    WrittenFile,
    csv_dialect_descriptor,
    datapackage_schema,
    json_bytes,
    table_writer,
    write_csv,
    write_xlsx,
)
from consultancy.security.pseudonyms import DIGITS, key_id, key_source
from consultancy.services.clock import utcnow

__all__ = [
    "ACTIVITY_COLUMNS", "API_FORMATS", "EffectFilters", "ExportError", "FORMATS",
    "LONG_COLUMNS", "activity_fields", "activity_frame", "build_export", "codebook_sheets",
    "codebook_versions", "count_rows", "items_frame", "long_fields", "long_batches",
    "lookups", "parse_filters", "variables_frame",
]

PSEUDONYMISED = ["engagement_id", "unit_id", "respondent_id"]
# The most rows an XLSX export holds: a workbook is written a cell at a time (a hundred
# thousand rows take most of a minute, a million rows eight), and Excel is slow to open
# it. Beyond this the export is refused with a pointer to CSV and Parquet, which are
# written at the speed of the database.
XLSX_MAX_ROWS = 100_000
FORMATS = ["csv", "csv-excel-da", "xlsx", "parquet", "dta", "sav"]
API_FORMATS = ["csv", "parquet", "json"]
# What never leaves in an export (the manifest says so).
DROPPED = [
    _l("names of people, of daycare units and of applicants"),
    _l("contact persons, e-mail addresses and phone numbers"),
    _l("free text: session summaries and next steps, goals, notes, application texts"),
    _l("database ids and respondent codes (replaced by pseudonyms)"),
    _l("who entered the responses, and when"),
]


@lru_cache(maxsize=1)
def software() -> dict:
    """The package version and, in a git checkout, the commit."""
    try:
        version = metadata.version("consultancy")
    except metadata.PackageNotFoundError:
        version = None
    try:
        commit = subprocess.run(
            ["git", "-C", str(Path(__file__).resolve().parent), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"name": "consultancy", "version": version, "commit": commit}


def _file_names(fmt: str, stem: str = "") -> dict[str, str]:
    """The names of the files of a download (in the ZIP) or beside FILE (CLI, `stem`)."""
    extension = EXTENSIONS[fmt]
    prefix = f"{stem}_" if stem else ""
    names = {"data": f"{stem or 'effect_data'}.{extension}"}
    if fmt != "xlsx":
        names["activity"] = f"{prefix}activity.{extension}"
    if fmt in CSV_DIALECTS:
        names["codebook"] = f"{prefix}codebook.csv"
        names["items"] = f"{prefix}items.csv"
        names["datapackage"] = "datapackage.json"
    elif fmt != "xlsx":
        names["codebook"] = f"{prefix}codebook.xlsx"
    names["manifest"] = "manifest.json"
    return names


@dataclass
class Export:
    """One export of the effect data: its files (written in this order) and its manifest."""
    fmt: str
    filters: EffectFilters
    names: dict[str, str]
    files: list[BundleFile]
    rows: int
    versions: list[str]
    created_at: datetime

    def manifest(self, written: list[WrittenFile]) -> dict:
        return {
            "export": "effect-data",
            "format": self.fmt,
            "created_at": self.created_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "filters": self.filters.as_dict(),
            "rows": {"data": self.rows},
            "instrument_versions": self.versions,
            "files": [file.manifest_entry() for file in written],
            "pseudonymised": {
                "variables": PSEUDONYMISED,
                "method": f"HMAC-SHA256 of kind and id, first {DIGITS} hex digits",
                "key_id": key_id(),
                "key_from": key_source(),
                "note": str(_("Files made with the same key id can be linked by these "
                              "variables; the pseudonyms cannot be turned back into ids.")),
            },
            "dropped": [str(reason) for reason in DROPPED],
            "software": software(),
        }


def build_export(fmt: str, filters: EffectFilters, stem: str = "") -> Export:
    """The files of an export in `fmt` (FORMATS), to stream (ZIP) or write; counts the rows
    first (refusing XLSX beyond a worksheet's rows). The answers are read while writing."""
    if fmt not in FORMATS:
        raise ExportError(_("Choose one of the formats %(formats)s.",
                            formats=", ".join(FORMATS)), "format")
    rows = count_rows(filters)
    if fmt == "xlsx" and rows > XLSX_MAX_ROWS:
        raise ExportError(_(
            "%(rows)s rows are more than an XLSX export holds (%(limit)s). Choose CSV or "
            "Parquet, or narrow the filters.", rows=f"{rows:,}".replace(",", "."),
            limit=f"{XLSX_MAX_ROWS:,}".replace(",", ".")), "format")
    found = lookups(filters)
    names = _file_names(fmt, stem)
    fields = long_fields(found.versions)
    activity = activity_fields()
    versions = [v.label for v in found.versions]
    describe = {"data": _("One row per case, unit, respondent, occasion and item."),
                "activity": _("One row per case: sessions held and hours, per format."),
                "codebook": _("Every variable: type, description, allowed values, labels."),
                "items": _("The items of each instrument version, with their wording."),
                "datapackage": _("Frictionless Data Package: the CSV files' table schemas.")}
    files: list[BundleFile] = []
    if fmt == "xlsx":
        sheets = [("data", fields, long_batches(filters, found)),
                  ("activity", activity, [activity_frame(filters, found)]),
                  *codebook_sheets(found.versions)]
        files.append(BundleFile(names["data"], lambda out: write_xlsx(sheets, out),
                                _("Sheets: data, activity, codebook, items.")))
    else:
        writer = table_writer(fmt)
        files.append(BundleFile(names["data"],
                                lambda out: writer(long_batches(filters, found), fields, out),
                                describe["data"], compress=fmt not in ("parquet",)))
        files.append(BundleFile(names["activity"],
                                lambda out: writer([activity_frame(filters, found)], activity,
                                                   out),
                                describe["activity"], compress=fmt not in ("parquet",)))
        if fmt in CSV_DIALECTS:
            for sheet, sheet_fields, frames in codebook_sheets(found.versions):
                files.append(BundleFile(names[sheet], partial(
                    write_csv, frames, sheet_fields, dialect=fmt), describe[sheet]))
            package = datapackage(fmt, names, fields, activity)
            files.append(BundleFile(names["datapackage"], lambda out: _write_bytes(
                json_bytes(package), out), describe["datapackage"]))
        else:
            sheets = codebook_sheets(found.versions)
            files.append(BundleFile(names["codebook"], lambda out: write_xlsx(sheets, out),
                                    describe["codebook"]))
    return Export(fmt, filters, names, files, rows, versions,
                  utcnow())


def _write_bytes(data: bytes, out):
    out.write(data)
    yield
    return None


def datapackage(fmt: str, names: dict[str, str], fields: list[Field],
                activity: list[Field]) -> dict:
    """A Frictionless Data Package describing the CSV files of a download."""
    dialect = csv_dialect_descriptor(fmt)
    encoding = "utf-8-sig" if CSV_DIALECTS[fmt].bom else "utf-8"

    def resource(name: str, path: str, schema_fields: list[Field], title: str) -> dict:
        return {"name": name, "path": path, "profile": "tabular-data-resource",
                "title": title, "format": "csv", "mediatype": "text/csv",
                "encoding": encoding, "dialect": dialect,
                "schema": datapackage_schema(schema_fields, fmt)}

    return {
        "profile": "tabular-data-package",
        "name": "effect-data",
        "title": str(_("Effect data of the practice consultants' courses")),
        "created": utcnow().isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "resources": [
            resource("data", names["data"], fields, str(_("Answers"))),
            resource("activity", names["activity"], activity, str(_("Activity per case"))),
            resource("codebook", names["codebook"], codebook_fields(), str(_("Codebook"))),
            resource("items", names["items"], item_fields(), str(_("Items"))),
        ],
    }
