"""The rules are pure in fact: importing one loads no web framework, no database layer and
no translations, so they run (and are tested) as plain Python."""
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import consultancy.rules
from tests.conftest import HANG_TIMEOUT

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("flask", "flask_babel", "flask_sqlalchemy", "sqlalchemy", "werkzeug",
             "consultancy.extensions", "consultancy.models")
MODULES = ["consultancy.enums"] + [
    f"consultancy.rules.{module.name}"
    for module in pkgutil.iter_modules(consultancy.rules.__path__)]

CHECK = """
import importlib, sys
importlib.import_module(sys.argv[1])
forbidden = tuple(sys.argv[2:])
print(" ".join(sorted(name for name in sys.modules
                      if name in forbidden or name.startswith(tuple(f + "." for f in forbidden)))))
"""


@pytest.mark.parametrize("module", MODULES)
def test_a_rule_module_imports_nothing_of_flask_or_the_database(module):
    done = subprocess.run([sys.executable, "-c", CHECK, module, *FORBIDDEN], cwd=ROOT,
                          capture_output=True, text=True, timeout=HANG_TIMEOUT, check=True)
    assert done.stdout.split() == []


def test_every_rule_module_is_checked():
    assert {"consultancy.rules.flags", "consultancy.rules.applications",
            "consultancy.rules.engagements"} <= set(MODULES)
