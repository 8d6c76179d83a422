"""`flask export effect-data` and `flask export codebook`: the files for external
evaluators, written to disk with their manifest."""
from __future__ import annotations

from pathlib import Path

import click
from flask_babel import gettext as _

from consultancy.evaluation.cli import export_cli
from consultancy.evaluation.effect_data import (
    FORMATS,
    EffectFilters,
    ExportError,
    build_export,
    codebook_sheets,
    codebook_versions,
    parse_filters,
)
from consultancy.exchange.exports import EXTENSIONS, drain, write_bundle, write_csv, write_xlsx
from consultancy.extensions import db
from consultancy.security import audit

BY_EXTENSION = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".dta": "dta",
                ".sav": "sav"}


def _filters(**values) -> EffectFilters:
    try:
        return parse_filters(values)
    except ExportError as error:
        raise click.BadParameter(error.message, param_hint=f"--{error.field}") from error


@export_cli.command("effect-data")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="Default: from the extension of --out (.csv, .xlsx, .parquet, .dta, .sav); "
                   "csv-excel-da must be asked for.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True,
                                                       path_type=Path),
              help="The data file to write.")
@click.option("--type", "type_code", metavar="CODE", help="Only cases of this type of course.")
@click.option("--round", "round_id", metavar="ID",
              help="Only cases from applications in this round.")
@click.option("--year", metavar="YYYY",
              help="Only cases starting in this year (without a start date: created in it).")
@click.option("--municipality", metavar="CODE",
              help="Only cases of this municipality (three-digit code).")
@click.option("--instrument", metavar="CODE",
              help="Only answers to this instrument (e.g. egenvurdering). Default: all.")
def effect_data_command(fmt: str | None, out: Path, type_code: str | None,
                        round_id: str | None, year: str | None, municipality: str | None,
                        instrument: str | None) -> None:
    """Write the effect data for external evaluators: one row per case, unit, respondent,
    occasion and item, with pseudonymised ids and no names, contacts or free text.

    Besides FILE (the data), in the same directory, where STEM is FILE's name without
    its extension:

    \b
      csv, csv-excel-da:  STEM_activity.csv, STEM_codebook.csv, STEM_items.csv,
                          datapackage.json, manifest.json
      xlsx:               FILE holds the sheets data, activity, codebook and items;
                          manifest.json
      parquet, dta, sav:  STEM_activity.<ext>, STEM_codebook.xlsx, manifest.json

    Files of those names are overwritten: give each export a directory of its own.
    csv is UTF-8 with commas and decimal points (for R, Python, Stata, SPSS);
    csv-excel-da has semicolons, decimal commas and a byte order mark (for Excel with
    Danish settings). The manifest lists the filters, the rows, the instrument versions,
    what was pseudonymised and left out, the software version and each file's SHA-256.
    """
    fmt = fmt or BY_EXTENSION.get(out.suffix.lower())
    if fmt is None:
        raise click.BadParameter(_("Give --format, or an --out file ending in .csv, .xlsx, "
                                   ".parquet, .dta or .sav."), param_hint="--format")
    filters = _filters(type=type_code, round=round_id, year=year, municipality=municipality,
                       instrument=instrument)
    stem = out.stem
    try:
        export = build_export(fmt, filters, stem=stem)
    except ExportError as error:
        raise click.BadParameter(error.message, param_hint=f"--{error.field}") from error
    directory = out.parent
    paths = {name: str(out if key == "data" else directory / name)
             for key, name in export.names.items()}
    directory.mkdir(parents=True, exist_ok=True)
    write_bundle(export.files, paths, export.manifest, paths[export.names["manifest"]])
    audit.record_export("effect-data", fmt, filters.as_dict(), export.rows, channel="cli")
    db.session.commit()
    click.echo(_("Exported %(rows)d rows of effect data to %(file)s.", rows=export.rows,
                 file=str(out)), err=True)
    for key, name in export.names.items():
        if key != "data":
            click.echo(f"  {paths[name]}", err=True)


@export_cli.command("codebook")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True,
                                                       path_type=Path),
              help="FILE.xlsx (sheets codebook and items) or FILE.csv (and FILE_items.csv).")
@click.option("--instrument", metavar="CODE",
              help="Only the items of this instrument. Default: all.")
def codebook_command(out: Path, instrument: str | None) -> None:
    """Write the codebook of the effect data: every variable of the data and activity
    files with its type, description, allowed values and value labels, and the items of
    each instrument version with their wording in Danish and English."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise click.BadParameter(_("The codebook is written as .xlsx or .csv."),
                                 param_hint="--out")
    filters = _filters(instrument=instrument)
    sheets = codebook_sheets(codebook_versions(filters.instrument))
    if fmt == "xlsx":
        with out.open("wb") as handle:
            drain(write_xlsx(sheets, handle))
    else:
        # FILE.csv holds the variables, FILE_items.csv the items.
        for (_sheet, fields, frames), path in zip(sheets, (
                out, out.with_name(f"{out.stem}_items.{EXTENSIONS['csv']}"))):
            with path.open("wb") as handle:
                drain(write_csv(frames, fields, handle))
    variables, items = (len(frames[0]) for _sheet, _fields, frames in sheets)
    audit.record_export("codebook", fmt, filters.as_dict(), variables + items, channel="cli")
    db.session.commit()
    click.echo(_("Wrote the codebook: %(variables)d variables, %(items)d items.",
                 variables=variables, items=items), err=True)
