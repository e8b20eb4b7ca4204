"""The domain core imports neither xlwings nor openpyxl (nor any writer)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "xlhfjz"
CORE = ["schema", "rules", "issues", "cells", "validate", "rawbook", "sample"]
FORBIDDEN = {"xlwings", "openpyxl", "xlsxwriter", "python_calamine"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_do_not_import_file_or_excel_libraries() -> None:
    for name in CORE:
        assert imported_modules(PACKAGE / f"{name}.py") & FORBIDDEN == set(), name


def test_importing_the_core_loads_none_of_them() -> None:
    code = (
        "import sys\n"
        + "".join(f"import xlhfjz.{m}\n" for m in CORE)
        + f"print(sorted(set(sys.modules) & {set(FORBIDDEN)!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
