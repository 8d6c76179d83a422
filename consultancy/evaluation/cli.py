"""Command-line groups of evaluation: `flask evaluation ...` (cli_import.py,
cli_summary.py) and `flask export ...` (cli_export.py)."""
from consultancy.evaluation import bp


@bp.cli.group("evaluation")
def evaluation_cli() -> None:
    """Self-assessments and effect summaries."""


@bp.cli.group("export")
def export_cli() -> None:
    """Exports for external evaluators."""
