"""Macro workbooks (excel.md): Form Control buttons, the hidden ``xlwings.conf`` sheet and the
VBA project compiled from ``macros/*.bas`` (:mod:`xlhfjz.xlsx.vba`)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from xlhfjz.xlsx.layout import TEXT_FORMAT
from xlhfjz.xlsx.vba import build_vba_project, project_modules

#: xlwings' workbook configuration sheet (read by its VBA ``GetConfig`` and by ``Book.caller()``):
#: keys from A1 down in column A, values in column B, no header row, no blank row in between.
CONFIG_SHEET = "xlwings.conf"


#: The keys written to it. A key on this sheet overrides the user's own xlwings config
#: (``%USERPROFILE%\.xlwings\xlwings.conf``, written by ``xlwings config create``), so only keys
#: that must hold for every PC are set, and never with an empty value:
#:
#: - ``ADD_WORKBOOK_TO_PYTHONPATH = False``: Python imports the *installed* ``xlhfjz``, never code
#:   lying next to the workbook (a folder of community workbooks is not a code folder: a stray
#:   ``xlhfjz/`` or ``xlwings.py`` there would be imported instead), and xlwings does not have to
#:   map a OneDrive/SharePoint URL of the workbook to a local folder, which fails on unsynced PCs.
#:
#: The interpreter is left to xlwings: ``python`` on the PATH, or ``INTERPRETER_WIN`` of the user
#: config (``xlwings config create`` writes it), because no single path is right on every PC and a
#: sheet value would shadow that setting.
XLWINGS_CONFIG: dict[str, str] = {"ADD_WORKBOOK_TO_PYTHONPATH": "False"}


#: The workbook's VBA code name; worksheets get ``Sheet1``, ``Sheet2``, … in tab order (as Excel).
WORKBOOK_CODE_NAME = "ThisWorkbook"


class Button(NamedTuple):
    """A Form Control button: its caption and the macro of ``macros/xlhfjz.bas`` it runs."""

    caption: str
    macro: str


#: The buttons of the two workbooks, by role.
BUTTONS = {
    "validate": Button("校验台账", "ValidateLedger"),
    "score": Button("计算评分", "ComputeScore"),
    "clear": Button("清除标记", "ClearMarks"),
    "merge": Button("合并汇总", "MergeSummary"),
}
#: The extra button of a workbook whose buttons call the street's server (``new --server``).
SUBMIT_BUTTON = Button("报送街道", "SubmitLedger")


class RemoteServer(NamedTuple):
    """Where the buttons of a remote-flavour workbook go (``xlhfjz new --server URL --token T``):
    written to ``xlwings.conf`` as ``XLHFJZ_SERVER`` and ``AUTH = Bearer TOKEN``."""

    url: str
    token: str

    def config(self) -> dict[str, str]:
        """The ``xlwings.conf`` keys of this server (none empty)."""
        return {"XLHFJZ_SERVER": self.url, "AUTH": f"Bearer {self.token}"}


#: Button sizes in pixels: on 使用说明 (big: also legible in LibreOffice's print, which does not
#: shrink a caption with the page), and in a ledger's title row.
BUTTON_WIDTH = 120


BUTTON_HEIGHT = 40


LEDGER_BUTTON_WIDTH = 96


LEDGER_BUTTON_HEIGHT = 28


def macros_for(path: Path, macros: bool | None) -> bool:
    """Whether the workbook at ``path`` gets macros; refuses a suffix that contradicts it
    (Excel will not open a macro workbook named .xlsx, nor a macro-free one named .xlsm)."""
    is_xlsm = path.suffix.lower() == ".xlsm"
    if macros is None:
        return is_xlsm
    if macros != is_xlsm:
        kind, want = ("with", ".xlsm") if macros else ("without", ".xlsx")
        raise ValueError(f"{path.name}: a workbook {kind} macros must be named {want}")
    return macros


def add_macros(
    workbook: xlsxwriter.Workbook,
    modules: Sequence[tuple[str, str, str]] | None = None,
    config: Mapping[str, str] | None = None,
) -> list[str]:
    """Make an open workbook macro-enabled, after all its sheets were added.

    Adds the hidden ``xlwings.conf`` sheet (:data:`XLWINGS_CONFIG`), gives the workbook and every
    sheet its VBA code name (``ThisWorkbook``, ``Sheet1``, … in tab order) and embeds the VBA
    project compiled from ``modules`` (default :func:`xlhfjz.xlsx.vba.project_modules`) with one
    document module per code name. Returns the code names, workbook first. ``config`` adds keys
    to ``xlwings.conf`` (a remote workbook's server and token).
    """
    conf = workbook.add_worksheet(CONFIG_SHEET)
    text = workbook.add_format({"num_format": TEXT_FORMAT})
    for r, (key, value) in enumerate({**XLWINGS_CONFIG, **(config or {})}.items()):
        if not value:
            raise ValueError(f"{CONFIG_SHEET}: {key} has an empty value")
        conf.write_string(r, 0, key, text)
        conf.write_string(r, 1, value, text)
    conf.set_column(0, 0, 32)
    conf.set_column(1, 1, 20)
    conf.hide()

    workbook.set_vba_name(WORKBOOK_CODE_NAME)
    names = [WORKBOOK_CODE_NAME]
    for i, ws in enumerate(workbook.worksheets(), start=1):
        ws.set_vba_name(f"Sheet{i}")
        names.append(f"Sheet{i}")
    project = build_vba_project(
        project_modules() if modules is None else modules, document_modules=names
    )
    workbook.add_vba_project(io.BytesIO(project), is_stream=True)
    return names


def insert_button(
    ws: Worksheet,
    row: int,
    button: Button,
    *,
    x: int,
    y: int,
    width: int = BUTTON_WIDTH,
    height: int = BUTTON_HEIGHT,
) -> None:
    """A Form Control button at pixel offset (``x``, ``y``) from the top left of ``row``."""
    ws.insert_button(row, 0, {
        "caption": button.caption, "macro": button.macro, "width": width, "height": height,
        "x_offset": x, "y_offset": y, "description": f"{button.caption}（运行宏 {button.macro}）",
    })  # fmt: skip
