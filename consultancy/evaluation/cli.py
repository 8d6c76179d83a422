"""Command-line groups of evaluation: `flask evaluation ...` and `flask export ...`."""
from flask.cli import AppGroup

evaluation_cli = AppGroup("evaluation", help="Self-assessments and effect summaries.")
export_cli = AppGroup("export", help="Exports for external evaluators.")

from consultancy.evaluation import cli_import  # noqa: E402,F401
from consultancy.evaluation import cli_summary  # noqa: E402,F401
from consultancy.evaluation import cli_export  # noqa: E402,F401
