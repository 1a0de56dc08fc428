"""The store is reached only through its query modules (issue 15): no product package outside
``store/`` imports ``store.tables`` or builds SQL on the tables itself, and the store's modules
stay small (one job each)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# flows.py keeps one query until the orchestration moves it to store/operations.py.
OUTSIDE_STORE = ["pipelines", "bridge", "reports", "connectors", "mappings", "schemas", "cli.py"]


def _modules(*names: str) -> list[Path]:
    found: list[Path] = []
    for name in names:
        path = ROOT / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def _imports_tables(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
            if node.module == "store.tables" or (node.module == "store" and "tables" in names):
                lines.append(node.lineno)
        elif isinstance(node, ast.Import) and any(a.name == "store.tables" for a in node.names):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("path", _modules(*OUTSIDE_STORE), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_product_module_outside_the_store_imports_its_tables(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert _imports_tables(tree) == [], f"{path.relative_to(ROOT)} imports store.tables"


def test_the_check_sees_every_form_of_the_import() -> None:
    source = "from store.tables import tasks\nfrom store import tables\nimport store.tables\n"
    assert _imports_tables(ast.parse(source)) == [1, 2, 3]
    assert _imports_tables(ast.parse("from store import queries\n")) == []


@pytest.mark.parametrize("path", _modules("store"), ids=lambda p: str(p.relative_to(ROOT)))
def test_store_modules_stay_small(path: Path) -> None:
    if "migrations" in path.parts:
        return
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{path.relative_to(ROOT)} has {lines} lines: split it by job"
