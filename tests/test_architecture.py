"""The shape of the package, read from its source: views are leaves, and rules are pure.

An area is a package `consultancy/<area>/`; its view modules are `views*.py` and
`*_views.py`. No module imports another area's views (what two areas share lives in a
`queries`, `access` or `services` module); a view module runs no query of its own (it
loads through `access`, reads through `queries`, writes through `services`, and may only
commit or roll back the request's transaction). That rules load neither Flask nor the
database is tested by importing them (`test_rules_pure.py`).
"""
import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "consultancy"
VIEW_MODULE = re.compile(r"views\w*|\w+_views")

# What a view may do with the database: end the request's transaction.
VIEW_DATABASE_CALLS = {"db.session.commit", "db.session.rollback"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path) -> set[str]:
    """Every module that the module `name` at `path` names in an import, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: str) -> set[str]:
    """For `from a import b`, both `a` and `a.b` (b may be a module); relative imports are
    read from `package`."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            if base != "__future__":
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def area_of(name: str) -> str | None:
    """`consultancy.<area>.…` → area; a module at the package's root is in none."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and (PACKAGE / parts[1] / "__init__.py").exists() \
        else None


def is_view_module(name: str) -> bool:
    parts = name.split(".")
    return len(parts) > 2 and VIEW_MODULE.fullmatch(parts[-1]) is not None


def cross_area_view_imports(found: dict[str, Path]) -> set[tuple[str, str]]:
    return {(name, imported) for name, path in found.items()
            for imported in imports(name, path)
            if imported in found and is_view_module(imported)
            and area_of(imported) != area_of(name)}


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for an attribute chain on a name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def queries_in(source: str) -> list[str]:
    """The calls of `select(`, and the uses of `db` other than ending the transaction."""
    tree = ast.parse(source)
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (dotted(node.func) or "").rpartition(".")[2] \
                == "select":
            found.append(f"line {node.lineno}: {dotted(node.func)}(")
        elif isinstance(node, ast.Attribute) and id(node) not in inner:
            chain = dotted(node) or ""
            if chain.startswith("db.") and chain not in VIEW_DATABASE_CALLS:
                found.append(f"line {node.lineno}: {chain}")
    return found


def querying_views(found: dict[str, Path]) -> dict[str, list[str]]:
    return {name: hits for name, path in found.items() if is_view_module(name)
            and (hits := queries_in(path.read_text(encoding="utf-8")))}


# --- the rules -----------------------------------------------------------------------------

def test_no_module_imports_another_areas_views():
    found = cross_area_view_imports(modules())
    assert sorted(found) == []


def test_views_run_no_query_of_their_own():
    assert querying_views(modules()) == {}


# --- the checks themselves -----------------------------------------------------------------

def test_the_view_check_finds_queries_and_lets_the_transaction_end():
    source = '''
import sqlalchemy as sa
from sqlalchemy import select
def view():
    rows = db.session.scalars(sa.select(Case)).all()
    case = db.get_or_404(Case, 1)
    other = select(Case)
    db.session.commit()
    db.session.rollback()
    """db.session.get in a docstring is no query"""
'''
    assert sorted(queries_in(source)) == ["line 5: db.session.scalars", "line 5: sa.select(",
                                          "line 6: db.get_or_404", "line 7: select("]


def test_the_import_check_knows_areas_and_view_modules():
    assert is_view_module("consultancy.engagements.views")
    assert is_view_module("consultancy.engagements.session_views")
    assert not is_view_module("consultancy.engagements.queries")
    assert area_of("consultancy.engagements.views") == "engagements"
    assert area_of("consultancy.engagements") == "engagements"
    assert area_of("consultancy.config") is None
    source = ("from consultancy.engagements import views\n"
              "from . import queries\n"
              "from ..flags.views import flagged\n")
    assert imports_in(source, "consultancy.evaluation") >= {
        "consultancy.engagements.views", "consultancy.evaluation.queries",
        "consultancy.flags.views"}
