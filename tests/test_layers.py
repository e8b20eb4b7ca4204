"""The package's layers: imports point one way, no module imports itself back, the core stays free
of file and Excel libraries, and a button click loads only what it uses."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "xlhfjz"

#: Bottom to top. A module may import from its own layer or a lower one, never a higher one.
LAYERS: list[set[str]] = [
    {"model"},  # the schema, its rule vocabulary, the issue registry, raw workbooks, values
    {"checks"},  # cells, headers, privacy, validation
    {"scoring"},
    {"office"},  # the office's inputs, identities, summary tables, dashboard model
    {"sample"},  # deterministic sample data (demo, tests, benches)
    {"analysis"},  # cross-community signals with pandas (imported lazily by the merge)
    {"xlsx"},  # file adapters: reading, writing, VBA
    {"batch"},  # the merge's worker pool
    {"excel", "server", "frames"},  # the Excel buttons (xlwings); the street's server; frames
    {"cli", "build", "__main__"},
]
CORE = {"model", "checks", "scoring", "office", "sample"}
FORBIDDEN = {"xlwings", "openpyxl", "xlsxwriter", "python_calamine", "isal", "pandas"}


def _layer(part: str) -> int:
    for i, names in enumerate(LAYERS):
        if part in names:
            return i
    raise AssertionError(f"xlhfjz.{part} is in no layer: add it to LAYERS")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(path: Path) -> set[str]:
    """Every module named by an import anywhere in the file (lazy imports too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {m for m in _imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for module, targets in _graph().items():
        if module == "xlhfjz":
            continue
        here = _layer(module.split(".")[1])
        for target in targets:
            if target != "xlhfjz" and _layer(target.split(".")[1]) > here:
                wrong.append(f"{module} → {target}")
    assert wrong == []


def test_no_import_cycles() -> None:
    graph = _graph()
    # A package imports its own modules; the cycle that matters is between modules.
    edges = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in graph.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_core_modules_do_not_import_file_or_excel_libraries() -> None:
    for module, path in _modules().items():
        parts = module.split(".")
        if len(parts) > 1 and parts[1] in CORE:
            roots = {name.split(".")[0] for name in _imports(path)}
            assert roots & FORBIDDEN == set(), module


def test_importing_the_core_loads_none_of_them() -> None:
    core = sorted(m for m in _modules() if len(m.split(".")) > 1 and m.split(".")[1] in CORE)
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in core)
        + f"print(sorted(set(sys.modules) & {set(FORBIDDEN)!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_button_click_loads_no_writer_nor_analysis_library() -> None:
    """What ``RunPython "import xlhfjz.excel as x; x.validate_button()"`` imports before it runs."""
    code = (
        "import sys\nimport xlhfjz.excel\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'pandas', 'openpyxl', 'xlsxwriter', 'isal', 'numpy', 'fastapi'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_package_ships_in_the_wheel() -> None:
    """pyproject lists the packages by hand (macros/ is mapped in): a new subpackage must be there."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")} | {
        "xlhfjz.macros"
    }
    assert listed == found
