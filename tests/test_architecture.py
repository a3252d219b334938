"""The layers keep their direction: shells -> rules -> models; shells -> workbook -> models."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "authbook"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules_in(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def test_rules_import_only_models_and_other_rules():
    for path in modules_in("rules"):
        for name in imports_of(path):
            if name.startswith("authbook"):
                assert name.startswith(("authbook.rules", "authbook.models")), (path.name, name)


def test_rules_do_no_io_and_never_ask_for_today():
    forbidden = {"openpyxl", "xlwings", "os", "pathlib", "shutil", "python_calamine"}
    for path in modules_in("rules"):
        assert not imports_of(path) & forbidden, path.name
        text = path.read_text(encoding="utf-8")
        assert "date.today(" not in text and "datetime.now(" not in text, path.name


def test_workbook_layer_never_imports_rules_or_shells():
    for path in modules_in("workbook"):
        for name in imports_of(path):
            if name.startswith("authbook"):
                assert name.startswith(("authbook.workbook", "authbook.models")), (path.name, name)


def test_only_the_workbook_layer_imports_spreadsheet_libraries():
    spreadsheet = ("openpyxl", "xlwings", "python_calamine")
    for path in PACKAGE.rglob("*.py"):
        if "workbook" in path.relative_to(PACKAGE).parts:
            continue
        # The Excel shell needs xlwings' decorators and Book.caller(); nothing else.
        allowed = ("xlwings",) if path.parent.name == "functions" else ()
        for name in imports_of(path):
            if not name.startswith(allowed or "\0"):
                assert not name.startswith(spreadsheet), (path.name, name)


def test_models_import_nothing_from_the_rest_of_authbook():
    for name in imports_of(PACKAGE / "models.py"):
        assert not name.startswith("authbook"), name
