"""The community workbook (ledgers.md "Conventions"), written from the schema with XlsxWriter.

Sheets: ``使用说明`` (how to fill, one row per sheet), ``基本信息`` (key–value), the 17 ledgers in
schema order, then the hidden ``_meta`` and ``_marks`` (where the Excel buttons keep the addresses
of the colour marks they made). A ledger sheet has its title and one-line hint in row 1,
the header labels in row 2 (required columns marked by the header fill, never by a ``*``) and data
from row 3, with dropdowns, input hints, text/date formats and sheet protection that locks only
the two top rows.

Every sheet name, label, choice and hint comes from :mod:`xlhfjz.schema`; the only Chinese written
here is sheet-independent UI text. The same inputs always give the same bytes (fixed document
dates; XlsxWriter fixes the zip timestamps; the VBA project is compiled deterministically), and
files are replaced atomically.

A ``.xlsm`` path gives the macro-enabled workbook (excel.md): the same sheets, plus the VBA project
compiled from ``macros/*.bas`` and xlwings' standalone module (:mod:`xlhfjz.vba`), Form Control
buttons bound to its macros, and a hidden ``xlwings.conf`` sheet (:data:`XLWINGS_CONFIG`).

Regenerate the committed templates (``templates/*.xlsx``) and workbooks (``workbook/*.xlsm``) with
``python -m xlhfjz.template``.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import numbers
import os
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, NamedTuple

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from xlhfjz.schema import (
    BASIC_INFO,
    GUIDE_SHEET,
    LEDGERS,
    MARKS_HEADER,
    MARKS_SHEET,
    META_SHEET,
    REMARK,
    SERIAL_LABEL,
    SHEETS,
    TEMPLATE_VERSION,
    Field,
    Sheet,
    schema_hash,
)
from xlhfjz.vba import build_vba_project, project_modules, remote_project_modules

__all__ = [
    "BUTTONS",
    "CONFIG_SHEET",
    "DATA_FIRST_ROW",
    "GUIDE_BUTTON_ROW",
    "MARKS_HEADER",
    "MARKS_SHEET",
    "VALIDATION_LAST_ROW",
    "WORKBOOK_OPTIONS",
    "XLWINGS_CONFIG",
    "Button",
    "CommunityInfo",
    "RemoteServer",
    "add_community_sheets",
    "add_macros",
    "atomic_workbook",
    "build_templates",
    "build_workbooks",
    "macros_for",
    "write_community_workbook",
]

#: XlsxWriter options: a text is always a text (``=1+1``, ``http://…``, ``007`` stay as typed).
WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
#: The document date written to docProps (fixed, so the same inputs give the same bytes).
CREATED = dt.datetime(2020, 1, 1)
#: 0-based row of a ledger's first data row (Excel row 3); row 1 = title, row 2 = header.
DATA_FIRST_ROW = 2
#: 0-based last row covered by the column validations: the whole sheet (Excel row 1,048,576).
VALIDATION_LAST_ROW = 1_048_575
#: 0-based row of 使用说明 where the buttons start in the .xlsm: 【校验台账】 there, 【计算评分】 and
#: 【清除标记】 in the two rows below, each beside what it does.
GUIDE_BUTTON_ROW = 2
#: The relative paths of the committed macro-free templates and ready-made macro workbooks.
TEMPLATE_PATH = Path("templates") / "community.xlsx"
OFFICE_TEMPLATE_PATH = Path("templates") / "office.xlsx"
WORKBOOK_PATH = Path("workbook") / "community.xlsm"
OFFICE_WORKBOOK_PATH = Path("workbook") / "office.xlsm"
#: How to regenerate them (quoted by the staleness test).
REGENERATE = "python -m xlhfjz.template"

#: Hidden sheet where the Excel buttons keep the addresses of the marks they coloured (one row per
#: mark under this header), so that the next validation clears only its own marks. It is in the
#: .xlsx too, so that the same button functions can serve a macro-free workbook (remote mode), which
#: cannot hide a sheet it adds.

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


class RemoteServer(NamedTuple):
    """Where the buttons of a remote-flavour workbook go (``xlhfjz new --server URL --token T``):
    written to ``xlwings.conf`` as ``XLHFJZ_SERVER`` and ``AUTH = Bearer TOKEN``."""

    url: str
    token: str

    def config(self) -> dict[str, str]:
        """The ``xlwings.conf`` keys of this server (none empty)."""
        return {"XLHFJZ_SERVER": self.url, "AUTH": f"Bearer {self.token}"}


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
#: Button sizes in pixels: on 使用说明 (big: also legible in LibreOffice's print, which does not
#: shrink a caption with the page), and in a ledger's title row.
BUTTON_WIDTH = 120
BUTTON_HEIGHT = 40
LEDGER_BUTTON_WIDTH = 96
LEDGER_BUTTON_HEIGHT = 28
# The validation marks (excel.md) with Excel's matching "Bad" / "Neutral" font colours.
MARK_ERROR = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
MARK_WARNING = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}

DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2099, 12, 31)
DATE_FORMAT = "yyyy-mm-dd"
MONTH_FORMAT = "yyyy-mm"
TEXT_FORMAT = "@"

# Header fills: required / required under a condition / optional (explained in 使用说明).
# Kept clear of the validation marks (#FFC7CE error, #FFEB9C warning).
FILL_REQUIRED = "#1F4E78"
FILL_CONDITIONAL = "#9BC2E6"
FILL_OPTIONAL = "#DDEBF7"
GRID_COLOUR = "#8EA9C1"
#: Ledgers wider than this (in column units) print on A3 landscape, the others on A4.
A3_FROM_WIDTH = 220

PROTECTION = {
    "format_cells": True,
    "format_columns": True,
    "format_rows": True,
    "insert_rows": True,
    "delete_rows": True,
    "sort": True,
    "autofilter": True,
    "select_locked_cells": True,
    "select_unlocked_cells": True,
}

# Text types: stored as text so 13812345678 and leading zeros survive.
_TEXT_TYPES = frozenset({"text", "mobile", "phone", "uscc", "code", "month", "choice", "multi"})
_TYPE_WIDTH = {
    "date": 12, "month": 10, "mobile": 14, "phone": 16, "uscc": 22, "code": 16, "int": 10,
    "number": 10, "grid": 10, "multi": 30,
}  # fmt: skip
_MAX_INPUT = 255
_MAX_TITLE = 32
_LIST_LIMIT = 255


@dataclass
class CommunityInfo:
    """The 基本信息 values known when a workbook is created (the options of ``xlhfjz new``)."""

    name: str
    code: str
    street: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    households: int | None = None
    grids: int | None = None
    community_type: str | None = None
    report_date: dt.date | None = None
    population: int | None = None
    leader_name: str | None = None
    leader_phone: str | None = None
    filled_by: str | None = None
    filler_phone: str | None = None

    def basic_values(self) -> dict[str, Any]:
        """The non-empty values by 基本信息 field id."""
        values = {_INFO_FIELDS[f.name]: getattr(self, f.name) for f in fields(self)}
        if values["community_code"] is not None:
            values["community_code"] = str(values["community_code"])
        return {k: v for k, v in values.items() if v is not None and v != ""}


#: CommunityInfo attribute → 基本信息 field id.
_INFO_FIELDS = {
    "name": "community_name",
    "code": "community_code",
    "street": "street",
    "start": "period_start",
    "end": "period_end",
    "households": "households",
    "grids": "grid_count",
    "community_type": "community_type",
    "report_date": "report_date",
    "population": "population",
    "leader_name": "leader_name",
    "leader_phone": "leader_phone",
    "filled_by": "filled_by",
    "filler_phone": "filler_phone",
}


def write_community_workbook(
    path: str | os.PathLike[str],
    info: CommunityInfo | None = None,
    data: Mapping[str, Sequence[Sequence[Any]]] | None = None,
    basic: Mapping[str, Any] | None = None,
    *,
    macros: bool | None = None,
    vba_modules: Sequence[tuple[str, str, str]] | None = None,
    remote: RemoteServer | None = None,
) -> Path:
    """Write a community workbook to ``path`` (atomically) and return the path.

    ``info`` pre-fills 基本信息 and ``basic`` (field id → value) overrides or extends it.
    ``data`` maps a ledger sheet name to rows of values in the schema's field order, optionally
    followed by the 备注 value; a ``str`` is always written as text, ``int``/``float`` as a number,
    a date as a date, ``None`` is left blank. Rows get 序号 1, 2, 3, ….

    ``macros`` (default: whether ``path`` ends in ``.xlsm``) adds the VBA project, the buttons
    【校验台账】【计算评分】【清除标记】 on 使用说明 (and 【校验台账】 in each ledger's title row) and the
    hidden ``xlwings.conf``; ``vba_modules`` replaces :func:`xlhfjz.vba.project_modules` (tests
    swap xlwings' module for a stub).

    ``remote`` (a ``.xlsm`` only) makes the buttons call the street's server instead of Python
    on the PC (server.md): :func:`xlhfjz.vba.remote_project_modules`, the server's address and
    token in ``xlwings.conf``, and a fourth button 【报送街道】 on 使用说明.
    """
    target = Path(path)
    with_macros = macros_for(target, macros)
    if remote is not None and not with_macros:
        raise ValueError(f"{target.name}: a workbook calling a server needs macros (.xlsm)")
    with atomic_workbook(target) as workbook:
        sheets = add_community_sheets(workbook, info, data, basic, macros=with_macros,
                                      remote=remote is not None)  # fmt: skip
        if with_macros:
            _add_ledger_buttons(sheets)
            if remote is not None and vba_modules is None:
                vba_modules = remote_project_modules()
            add_macros(workbook, vba_modules, config=remote.config() if remote else None)
    return target


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


def build_templates(root: str | os.PathLike[str]) -> list[Path]:
    """Regenerate the committed macro-free templates (``templates/community.xlsx``,
    ``templates/office.xlsx``) under ``root``; return their paths."""
    from xlhfjz.office_template import write_office_workbook

    base = Path(root)
    (base / TEMPLATE_PATH).parent.mkdir(parents=True, exist_ok=True)
    return [
        write_community_workbook(base / TEMPLATE_PATH),
        write_office_workbook(base / OFFICE_TEMPLATE_PATH),
    ]


def build_workbooks(root: str | os.PathLike[str]) -> list[Path]:
    """Regenerate every committed generated workbook under ``root``: the templates of
    :func:`build_templates`, then ``workbook/community.xlsm`` and ``workbook/office.xlsm``."""
    from xlhfjz.office_template import write_office_workbook

    base = Path(root)
    (base / WORKBOOK_PATH).parent.mkdir(parents=True, exist_ok=True)
    return [
        *build_templates(base),
        write_community_workbook(base / WORKBOOK_PATH),
        write_office_workbook(base / OFFICE_WORKBOOK_PATH),
    ]


def add_macros(
    workbook: xlsxwriter.Workbook,
    modules: Sequence[tuple[str, str, str]] | None = None,
    config: Mapping[str, str] | None = None,
) -> list[str]:
    """Make an open workbook macro-enabled, after all its sheets were added.

    Adds the hidden ``xlwings.conf`` sheet (:data:`XLWINGS_CONFIG`), gives the workbook and every
    sheet its VBA code name (``ThisWorkbook``, ``Sheet1``, … in tab order) and embeds the VBA
    project compiled from ``modules`` (default :func:`xlhfjz.vba.project_modules`) with one
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


def _col_pixels(width: float) -> int:
    """The pixel width of a column of ``width`` character units (as XlsxWriter and Excel)."""
    return int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)


def _row_pixels(points: float) -> int:
    return int(4 / 3 * points)


#: The widest title row in which a button is still on screen without scrolling right (a window
#: about 1100 pixels wide).
_VISIBLE_PIXELS = 1000
_TITLE_ROW_POINTS = 30


def _add_ledger_buttons(sheets: Mapping[str, Worksheet]) -> None:
    """【校验台账】 in each ledger's title row, right-aligned in the visible part of the row, where
    it leaves the title text clear (every ledger title fits on one line)."""
    for sheet in LEDGERS:
        place = ledger_button_x(sheet)
        if place is not None:
            y = (_row_pixels(_TITLE_ROW_POINTS) - LEDGER_BUTTON_HEIGHT) // 2
            insert_button(sheets[sheet.name], 0, BUTTONS["validate"], x=place, y=y,
                          width=LEDGER_BUTTON_WIDTH, height=LEDGER_BUTTON_HEIGHT)  # fmt: skip


def ledger_button_x(sheet: Sheet) -> int | None:
    """The x offset of the title-row button of ``sheet``, or ``None`` where it would cover text."""
    widths = [6] + [column_width(f) for f in ledger_columns(sheet)]
    row_px = sum(_col_pixels(w) for w in widths)
    text_units = _title_units(sheet)
    if math.ceil(text_units / max(sum(widths) - 2, 1)) > 1:
        return None  # a wrapped title fills the row
    text_px = 7 * text_units
    x = min(row_px, _VISIBLE_PIXELS) - LEDGER_BUTTON_WIDTH - 8
    return x if x >= text_px + 24 else None


def _title_units(sheet: Sheet) -> float:
    """The estimated width of a ledger's title row text (14-pt title, 10-pt guide) in units."""
    return units(sheet.title) * 1.3 + units(sheet.guide) * 0.9 + 4


@contextmanager
def atomic_workbook(path: str | os.PathLike[str]) -> Iterator[xlsxwriter.Workbook]:
    """An XlsxWriter workbook that replaces ``path`` only once it has been written completely.

    It is written to a hidden temporary file in the same folder and moved over ``path`` with
    :func:`os.replace`; on any error the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.stem}.{secrets.token_hex(6)}.tmp{target.suffix}")
    workbook = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
    workbook.set_properties(
        {
            "title": BASIC_INFO.title,
            "subject": GUIDE_SHEET,
            "author": "xlhfjz",
            "comments": f"template_version={TEMPLATE_VERSION}; schema_hash={schema_hash()}",
            "created": CREATED,
        }
    )
    try:
        yield workbook
        printed = [i for i, ws in enumerate(workbook.worksheets()) if ws.name == GUIDE_SHEET]
        workbook.close()
        _print_buttons(tmp, printed)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_NO_PRINT = b"<x:PrintObject>False</x:PrintObject>"


def _print_buttons(path: Path, sheets: Sequence[int]) -> None:
    """Let the Form Control buttons of the given worksheets (0-based tab indexes) print.

    XlsxWriter marks every button not printable. The buttons of 使用说明 should print, so that the
    printed or PDF page shows the buttons its text talks about; those in the ledgers' title rows
    should not (ledgers are printed for the files). Rewrites the VML drawings of those sheets in
    place (found through each sheet's relationships); every other entry is copied with its original
    ``ZipInfo`` (name, timestamp, compression), so the output stays deterministic. In XlsxWriter's
    VML only a button's client data carries ``x:PrintObject``.
    """
    with zipfile.ZipFile(path) as z:
        entries = [(info, z.read(info)) for info in z.infolist()]
    contents = {info.filename: data for info, data in entries}
    targets: set[str] = set()
    for i in sheets:
        rels = contents.get(f"xl/worksheets/_rels/sheet{i + 1}.xml.rels", b"").decode()
        for target in re.findall(r'Target="\.\./(drawings/vmlDrawing\d+\.vml)"', rels):
            if _NO_PRINT in contents[f"xl/{target}"]:
                targets.add(f"xl/{target}")
    if not targets:
        return
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            if info.filename in targets:
                data = data.replace(_NO_PRINT, b"<x:PrintObject>True</x:PrintObject>")
            z.writestr(info, data)


def add_community_sheets(
    workbook: xlsxwriter.Workbook,
    info: CommunityInfo | None = None,
    data: Mapping[str, Sequence[Sequence[Any]]] | None = None,
    basic: Mapping[str, Any] | None = None,
    *,
    macros: bool = False,
    remote: bool = False,
) -> dict[str, Worksheet]:
    """Add every sheet of the community workbook to an open XlsxWriter workbook.

    With ``macros``, 使用说明 explains the buttons and carries them at :data:`GUIDE_BUTTON_ROW`
    (the caller adds the VBA project, :func:`add_macros`); without, it explains the command line.
    Returns the worksheets by name.
    """
    data = dict(data or {})
    ledgers = {s.name: s for s in LEDGERS}
    for name in data:
        if name == BASIC_INFO.name:
            raise ValueError(f"{name}: pass its values as `basic` (field id → value), not as rows")
        if name not in ledgers:
            raise KeyError(f"unknown ledger sheet {name!r}")
    values = info.basic_values() if info is not None else {}
    if basic:
        unknown = set(basic) - {f.id for f in BASIC_INFO.fields}
        if unknown:
            raise KeyError(f"unknown 基本信息 field id(s): {sorted(unknown)}")
        values.update(basic)

    styles = _Styles(workbook)
    sheets: dict[str, Worksheet] = {}
    sheets[GUIDE_SHEET] = workbook.add_worksheet(GUIDE_SHEET)
    sheets[BASIC_INFO.name] = workbook.add_worksheet(BASIC_INFO.name)
    for sheet in LEDGERS:
        sheets[sheet.name] = workbook.add_worksheet(sheet.name)
    sheets[META_SHEET] = workbook.add_worksheet(META_SHEET)
    sheets[MARKS_SHEET] = workbook.add_worksheet(MARKS_SHEET)

    _write_guide(sheets[GUIDE_SHEET], styles, macros=macros, remote=remote)
    _write_basic(sheets[BASIC_INFO.name], styles, values)
    for sheet in LEDGERS:
        _write_ledger(sheets[sheet.name], sheet, styles, data.get(sheet.name, ()))
    _write_meta(sheets[META_SHEET], styles)
    _write_marks(sheets[MARKS_SHEET], styles)
    sheets[GUIDE_SHEET].activate()
    return sheets


# ── formats ─────────────────────────────────────────────────────────────────────────────────


class _Styles:
    """The workbook's formats, created once each (in a fixed order, so output is stable)."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self._cache: dict[tuple[tuple[str, Any], ...], Format] = {}
        border = {"border": 1, "border_color": GRID_COLOUR}
        header = {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, **border}
        self.header = {
            "required": self.get(**header, bg_color=FILL_REQUIRED, font_color="#FFFFFF"),
            "conditional": self.get(**header, bg_color=FILL_CONDITIONAL),
            "optional": self.get(**header, bg_color=FILL_OPTIONAL),
        }
        self.title = self.get(
            valign="vcenter", text_wrap=True, bottom=2, bottom_color=FILL_REQUIRED
        )
        self.title_big = self.get(bold=True, font_size=14, font_color=FILL_REQUIRED)
        self.title_hint = self.get(font_size=10, font_color="#595959")
        self.heading = self.get(bold=True, font_size=12, font_color=FILL_REQUIRED, valign="vcenter")
        self.para = self.get(text_wrap=True, valign="top")
        self.note = self.get(text_wrap=True, valign="vcenter", font_color="#595959")
        self.cell = self.get(text_wrap=True, valign="top", **border)
        self.link = self.get(
            text_wrap=True, valign="top", font_color="#0563C1", underline=1, bold=True, **border
        )
        self.secret = self.get(text_wrap=True, valign="top", font_color="#C00000", **border)
        self.locked_text = self.get(
            num_format=TEXT_FORMAT, text_wrap=True, valign="vcenter", **border
        )
        self.serial = self.get(locked=False, align="center", valign="vcenter")

    def get(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        fmt = self._cache.get(key)
        if fmt is None:
            fmt = self._cache[key] = self.workbook.add_format(props)
        return fmt

    def header_for(self, f: Field) -> Format:
        return self.header[_requirement(f)]

    def data_for(self, f: Field, **extra: Any) -> Format:
        """The unlocked format of a data cell of ``f`` (text ``@``, date, or general)."""
        extra = {"valign": "vcenter", **extra}
        if f.type == "date":
            return self.get(**{"align": "left", **extra}, locked=False, num_format=DATE_FORMAT)
        if f.type in _TEXT_TYPES:
            return self.get(locked=False, num_format=TEXT_FORMAT, **extra)
        return self.get(locked=False, **extra)

    def date_for(self, f: Field, **extra: Any) -> Format:
        """The format of a date value in ``f`` (in a 月份 column a date shows its month)."""
        number = MONTH_FORMAT if f.type == "month" else DATE_FORMAT
        extra = {"valign": "vcenter", "align": "left", **extra}
        return self.get(locked=False, num_format=number, **extra)


def _requirement(f: Field) -> str:
    if f.required is True:
        return "required"
    return "optional" if f.required is False else "conditional"


# ── column rules from the schema ────────────────────────────────────────────────────────────


def units(text: str) -> int:
    """Display width of ``text`` in Excel column units (a CJK character counts as 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_width(f: Field) -> int:
    """A readable width for ``f``'s column, from its type, label and length."""
    if f.width:
        return f.width
    if f.type == "choice":
        base = min(max(units(c) for c in f.choices) + 4, 24)
    elif f.type == "text":
        n = f.max_len
        base = 16 if n is None else 12 if n <= 20 else 20 if n <= 40 else 26 if n <= 60 else 32
    else:
        base = _TYPE_WIDTH[f.type]
    return min(max(base, units(f.label) + 4), 40)


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (Excel counts UTF-16 units), ending in "…"."""
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return text
    while len(text.encode("utf-16-le")) // 2 > limit - 1:
        text = text[:-1]
    return text + "…"


def _condition(f: Field, sheet: Sheet) -> str:
    """ "状态为“已更换”时" for a conditionally required field, else ""."""
    if isinstance(f.required, bool):
        return ""
    labels = {x.id: x.label for x in sheet.fields}
    return f"{f.required.describe(labels)}时"


def _type_hint(f: Field) -> str:
    """What to type into ``f`` (sheet-independent wording)."""
    if f.type == "date":
        return "日期，如 2020-06-15"
    if f.type == "month":
        return "月份，如 2020-07"
    if f.type == "choice":
        return "从下拉列表选择：" + "、".join(f.choices)
    if f.type == "multi":
        return "可多选，多个用顿号（、）分隔；可选：" + "、".join(f.choices)
    if f.type == "int":
        low = int(f.min_value or 0)
        return f"整数，不小于 {low}"
    if f.type == "number":
        return "数字，大于 0" if f.min_exclusive else f"数字，不小于 {f.min_value or 0:g}"
    if f.type == "grid":
        return "网格编号，1 到 网格数 的整数"
    if f.type == "mobile":
        return "11位手机号"
    if f.type == "phone":
        return "手机号或带区号的固话，如 0533-1234567"
    if f.type == "uscc":
        return "18位统一社会信用代码"
    if f.type == "code":
        return "12位数字代码"
    if f.max_len:
        return f"不超过 {f.max_len} 个字"
    return ""


def input_message(f: Field, sheet: Sheet) -> str:
    """The hint shown when a cell of ``f`` is selected ("" for none), at most 255 characters."""
    parts = [f.hint] if f.hint else []
    cond = _condition(f, sheet)
    if cond and "必填" not in f.hint:
        parts.append(f"{cond}必填")
    if f.type == "multi":
        if "顿号" not in f.hint:
            parts.append("多个用顿号（、）分隔")
        parts.append("可选：" + "、".join(f.choices))
    elif f.type == "month" and not f.hint:
        parts.append("如 2020-07")
    return _clip("\n".join(parts), _MAX_INPUT)


def validation(f: Field, sheet: Sheet) -> dict[str, Any] | None:
    """The XlsxWriter data-validation options of ``f``'s cells (warnings only: forgiving)."""
    label = f.label
    opts: dict[str, Any]
    if f.type == "choice":
        source = ",".join(f.choices)
        assert all("," not in c and '"' not in c for c in f.choices), f"{label}: comma in choice"
        assert len(source.encode("utf-16-le")) // 2 <= _LIST_LIMIT, f"{label}: list too long"
        opts = {
            "validate": "list",
            "source": list(f.choices),
            "error_title": "请从下拉列表选择",
            "error_message": f"“{label}”应为下列之一：{'、'.join(f.choices)}。\n"
            "点“是”保留当前输入，点“否”重新填写。",
        }
    elif f.type == "date":
        opts = {
            "validate": "date",
            "criteria": "between",
            "minimum": DATE_MIN,
            "maximum": DATE_MAX,
            "error_title": "日期格式",
            "error_message": "请填写日期，如 2020-06-15",
        }
    elif f.type in ("int", "grid"):
        low = 1 if f.type == "grid" else int(f.min_value or 0)
        opts = {
            "validate": "integer",
            "criteria": ">=",
            "value": low,
            "error_title": "请填写整数",
            "error_message": f"“{label}”应为不小于 {low} 的整数（只填数字，不带单位）",
        }
    elif f.type == "number":
        low = f.min_value or 0
        opts = {
            "validate": "decimal",
            "criteria": ">" if f.min_exclusive else ">=",
            "value": low,
            "error_title": "请填写数字",
            "error_message": f"“{label}”应为{'大于' if f.min_exclusive else '不小于'} {low:g} "
            "的数字（只填数字，不带单位）",
        }
    elif f.type in ("uscc", "code"):
        n = 18 if f.type == "uscc" else 12
        opts = {
            "validate": "length",
            "criteria": "==",
            "value": n,
            "error_title": "位数不对",
            "error_message": f"“{label}”应为 {n} 位",
        }
    elif f.type == "text" and f.max_len:
        opts = {
            "validate": "length",
            "criteria": "<=",
            "value": f.max_len,
            "error_title": "内容过长",
            "error_message": f"“{label}”不超过 {f.max_len} 个字",
        }
    else:
        opts = {"validate": "any"}
    message = input_message(f, sheet)
    if message:
        opts["input_title"] = _clip(label, _MAX_TITLE)
        opts["input_message"] = message
    if opts["validate"] == "any" and not message:
        return None
    if "error_message" in opts:
        opts["error_type"] = "warning"
        opts["error_message"] = _clip(opts["error_message"], _MAX_INPUT)
    return opts


# ── ledger sheets ───────────────────────────────────────────────────────────────────────────


def ledger_columns(sheet: Sheet) -> list[Field]:
    """The data columns of a ledger after 序号: its fields, then 备注."""
    return [*sheet.fields, REMARK]


def _write_ledger(
    ws: Worksheet, sheet: Sheet, styles: _Styles, rows: Sequence[Sequence[Any]]
) -> None:
    columns = ledger_columns(sheet)
    last = len(columns)  # 0-based index of 备注 (序号 is column 0)
    widths = [6] + [column_width(f) for f in columns]

    ws.set_column(0, 0, widths[0], styles.serial)
    data_formats = [styles.data_for(f) for f in columns]
    date_formats = [styles.date_for(f) for f in columns]
    for c in range(1, last + 1):
        ws.set_column(c, c, widths[c], data_formats[c - 1])

    # Row 1: title + one-line guide; row 2: header labels coloured by requirement.
    ws.merge_range(0, 0, 0, last, "", styles.title)
    ws.write_rich_string(
        0, 0, styles.title_big, sheet.title, styles.title_hint, "　" + sheet.guide, styles.title
    )
    lines = math.ceil(_title_units(sheet) / max(sum(widths) - 2, 1))
    ws.set_row(0, max(_TITLE_ROW_POINTS, 15 * lines + 10))
    ws.set_row(1, 30)
    ws.set_default_row(18)
    ws.write_string(1, 0, SERIAL_LABEL, styles.header["optional"])
    for c, f in enumerate(columns, start=1):
        ws.write_string(1, c, f.label, styles.header_for(f))

    for c, f in enumerate(columns, start=1):
        opts = validation(f, sheet)
        if opts is not None:
            ws.data_validation(DATA_FIRST_ROW, c, VALIDATION_LAST_ROW, c, opts)

    n = _write_rows(ws, columns, rows, data_formats, date_formats, styles.serial)

    ws.freeze_panes(DATA_FIRST_ROW, 1)
    ws.autofilter(1, 0, 1 + n, last)
    ws.protect("", PROTECTION)
    _print_setup(ws, landscape=True, width=sum(widths))
    ws.hide_gridlines(0)  # gridlines on screen and on paper
    ws.repeat_rows(0, 1)
    if sheet.restricted:
        ws.set_tab_color("#C00000")


def _write_rows(
    ws: Worksheet,
    columns: Sequence[Field],
    rows: Sequence[Sequence[Any]],
    data_formats: Sequence[Format],
    date_formats: Sequence[Format],
    serial_format: Format,
) -> int:
    """Write ``rows`` from row 3 with 序号; return how many were written."""
    width = len(columns)
    write_string, write_number = ws.write_string, ws.write_number
    for i, row in enumerate(rows):
        if len(row) > width:
            raise ValueError(f"{ws.name} row {i + 1}: {len(row)} values for {width} columns")
        r = DATA_FIRST_ROW + i
        write_number(r, 0, i + 1, serial_format)
        for j, value in enumerate(row):
            if value is None:
                continue
            c = j + 1
            kind = type(value)
            if kind is str:
                write_string(r, c, value, data_formats[j])
            elif kind is int or (kind is float and value == value):  # NaN stays blank
                write_number(r, c, value, data_formats[j])
            elif kind is dt.date and value >= _SERIAL_FROM:
                # What write_datetime writes, without its per-cell conversion cost.
                write_number(r, c, value.toordinal() - _EXCEL_EPOCH, date_formats[j])
            else:
                _write_other(ws, r, c, value, data_formats[j], date_formats[j])
    return len(rows)


_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()
_SERIAL_FROM = dt.date(1900, 3, 1)  # Excel's fictitious 1900-02-29 lies before this


def _write_other(ws: Worksheet, r: int, c: int, value: Any, fmt: Format, date_fmt: Format) -> None:
    if isinstance(value, str):
        ws.write_string(r, c, value, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, numbers.Real):  # numpy numbers too; NaN stays blank
        if value == value:
            ws.write_number(r, c, float(value) if not isinstance(value, int) else value, fmt)
    elif isinstance(value, dt.date):  # date and datetime
        ws.write_datetime(r, c, value, date_fmt)
    else:
        raise TypeError(f"{ws.name}: cannot write {type(value).__name__} value {value!r}")


# ── 基本信息 ────────────────────────────────────────────────────────────────────────────────


_BASIC_WIDTHS = (max(units(f.label) for f in BASIC_INFO.fields) + 4, 34, 72)


def _write_basic(
    ws: Worksheet, styles: _Styles, values: Mapping[str, Any], sheet: Sheet = BASIC_INFO
) -> None:
    """A key–value sheet (项目 | 值 | 说明): one row per field, values editable in column B."""
    for c, w in enumerate(_BASIC_WIDTHS):
        ws.set_column(c, c, w)
    for c, text in enumerate(("项目", "值", "说明")):
        ws.write_string(0, c, text, styles.header["optional"])
    ws.set_row(0, 24)
    for i, f in enumerate(sheet.fields, start=1):
        ws.write_string(i, 0, f.label, styles.header_for(f))
        border = {"border": 1, "border_color": GRID_COLOUR, "align": "left"}
        fmt, date_fmt = styles.data_for(f, **border), styles.date_for(f, **border)
        value = values.get(f.id)
        if value is None:
            ws.write_blank(i, 1, None, fmt)
        else:
            _write_other(ws, i, 1, value, fmt, date_fmt)
        note = _basic_note(f, sheet)
        ws.write_string(i, 2, note, styles.locked_text)
        ws.set_row(i, 16 * _lines(note, _BASIC_WIDTHS[2]) + 6)
        opts = validation(f, sheet)
        if opts is not None:
            ws.data_validation(i, 1, i, 1, opts)
    ws.freeze_panes(1, 0)
    ws.protect("", PROTECTION)
    _print_setup(ws, landscape=True)
    ws.repeat_rows(0)


def _basic_note(f: Field, sheet: Sheet) -> str:
    """The 说明 cell: "（必填）" / "（选填）" / "（…时必填）", the field's hint and what to type."""
    req = _requirement(f)
    head = {"required": "（必填）", "optional": "（选填）"}.get(
        req, f"（{_condition(f, sheet)}必填）"
    )
    if "必填" in f.hint or "选填" in f.hint:
        head = ""
    hint = f.hint
    if f.type == "multi":
        extra = "可选：" + "、".join(f.choices)
        if "顿号" not in hint:
            extra = "可多选，多个用顿号（、）分隔；" + extra
    elif hint and f.type in ("code", "mobile", "phone", "uscc", "grid", "month"):
        extra = ""  # the hint already says what to type
    elif f.type == "date":
        extra = "如 2020-06-15"
    elif f.type == "int" and "整数" in hint:
        extra = f"不小于 {int(f.min_value or 0)}"
    else:
        extra = _type_hint(f)
    return head + "；".join(p for p in (hint, extra) if p)


# ── _meta ───────────────────────────────────────────────────────────────────────────────────


def _write_meta(ws: Worksheet, styles: _Styles) -> None:
    rows = (
        ("key", "value"),
        ("template_version", TEMPLATE_VERSION),
        ("schema_hash", schema_hash()),
    )
    for r, (key, value) in enumerate(rows):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value, styles.get(num_format=TEXT_FORMAT))
    ws.set_column(0, 1, 20)
    ws.hide()
    ws.protect("", PROTECTION)


def _write_marks(ws: Worksheet, styles: _Styles) -> None:
    """The header of ``_marks``; hidden, not protected (the buttons write to it)."""
    for c, text in enumerate(MARKS_HEADER):
        ws.write_string(0, c, text)
    ws.set_column(0, 1, 20, styles.get(num_format=TEXT_FORMAT))
    ws.hide()


# ── 使用说明 ────────────────────────────────────────────────────────────────────────────────

_GUIDE_WIDTHS = (18, 34, 44, 52)


def _how_to() -> list[str]:
    """The numbered "how to fill" lines of 使用说明 (labels taken from the schema)."""
    basic = "、".join(
        BASIC_INFO.field(i).label
        for i in ("community_name", "period_start", "period_end", "report_date", "households",
                  "grid_count")
    )  # fmt: skip
    return [
        f"先填“{BASIC_INFO.name}”表（{basic}等）；其他表的日期、网格编号都以它为准。",
        "每张台账表第 1 行是表名和填写提示，第 2 行是表头，从第 3 行起每行填一条记录"
        f"（每张表“怎么填”见下表）。“{SERIAL_LABEL}”列可填可不填。",
        "不要修改工作表名称和表头文字；不用的列可以隐藏，列的顺序可以调整，可以插入、删除、排序和筛选行。"
        f"每张表最后的“{REMARK.label}”列可自由填写。",
        "日期填成 2020-06-15 的样式（2020/6/15、2020年6月15日 也可以）；月份填成 2020-07。",
        "带下拉箭头的单元格从列表中选择；标明“可多选”的列，多个值用顿号（、）分隔，"
        "如“甲、乙”。数量列只填数字，不带“人”“份”等单位。",
        "手机号、代码、统一社会信用代码等按文本保存，直接输入即可，开头的 0 不会丢失。",
        f"姓名、电话等个人信息只用于本社区台账；“{REMARK.label}”等文字栏中不要写他人手机号、身份证号。",
    ]


def _write_guide(
    ws: Worksheet, styles: _Styles, *, macros: bool = False, remote: bool = False
) -> None:
    total = sum(_GUIDE_WIDTHS)
    for c, w in enumerate(_GUIDE_WIDTHS):
        ws.set_column(c, c, w)
    row = 0

    def para(text: str, fmt: Format = styles.para, *, gap: int = 0) -> None:
        nonlocal row
        ws.merge_range(row, 0, row, 3, "", fmt)
        ws.write_string(row, 0, text, fmt)
        ws.set_row(row, _height(text, total) + gap)
        row += 1

    def heading(text: str) -> None:
        nonlocal row
        row += 1
        ws.write_string(row, 0, text, styles.heading)
        ws.set_row(row, 22)
        row += 1

    ws.merge_range(row, 0, row, 3, "", styles.title)
    ws.write_rich_string(
        row, 0,
        styles.title_big, "创建“无非法集资社区（村居）”登记台账",
        styles.title_hint, f"　使用说明（模板版本 {TEMPLATE_VERSION}）",
        styles.title,
    )  # fmt: skip
    ws.set_row(row, 32)
    row += 1
    para(
        "本工作簿用于社区（村居）登记创建“无非法集资社区（村居）”工作的各项台账，对应实施方案中的"
        "“十个一”和四项标准。填好后报送街道处非办，由街道校验、评分并汇总。",
        gap=4,
    )
    assert row == GUIDE_BUTTON_ROW
    if macros:
        row = _write_guide_buttons(ws, styles, row, remote=remote)
    else:
        para(
            "校验：在命令行运行  xlhfjz validate 文件名.xlsx  ，会逐条列出问题所在的工作表、行和列；"
            "“错误”所在的行不计入评分，“提醒”计入但请核实。",
            styles.note,
            gap=10,
        )

    heading("一、怎样填写")
    how_to = _how_to()
    for n, text in enumerate(how_to, start=1):
        para(f"{n}. {text}")
    secret = "、".join(f"“{s.name}”" for s in SHEETS if s.restricted)
    para(
        f"{len(how_to) + 1}. {secret}为内部保密台账（工作表标签为红色）：只在本社区保存和报送，"
        "不得外传、不得填写举报人姓名和联系方式，街道汇总时只统计数量、不逐行合并。",
        styles.get(text_wrap=True, valign="top", font_color="#C00000"),
    )

    heading("二、表头颜色")
    samples = (
        ("required", "必填", "每行都要填写。"),
        ("conditional", "条件必填", "满足条件时必填，条件见该列的输入提示和下表“必填列”。"),
        ("optional", "选填", "有就填，没有可以空着。"),
    )
    for key, name, text in samples:
        ws.write_string(row, 0, name, styles.header[key])
        ws.merge_range(row, 1, row, 3, "", styles.note)
        ws.write_string(row, 1, text, styles.note)
        ws.set_row(row, 20)
        row += 1

    heading("三、各工作表说明")
    for c, text in enumerate(("工作表", "对应“十个一”/标准", "怎么填", "必填列")):
        ws.write_string(row, c, text, styles.header["required"])
    ws.set_row(row, 22)
    ws.repeat_rows(row)
    row += 1
    for sheet in SHEETS:
        cells = (sheet.serves, sheet.guide, _required_columns(sheet))
        link = f"internal:'{sheet.name}'!A1"
        ws.write_url(row, 0, link, styles.link, sheet.name, f"转到“{sheet.name}”表")
        for c, text in enumerate(cells, start=1):
            fmt = styles.secret if (sheet.restricted and c == 2) else styles.cell
            ws.write_string(row, c, text, fmt)
        needed = max(_lines(text, _GUIDE_WIDTHS[c]) for c, text in enumerate(cells, start=1))
        ws.set_row(row, 16 * needed + 6)
        row += 1

    ws.hide_gridlines(2)
    ws.protect("", PROTECTION)
    _print_setup(ws, landscape=False)


#: 使用说明 of the .xlsm: what each button does, what the mark colours mean, what the buttons need.
GUIDE_BUTTON_TEXT = {
    "validate": "检查全部台账，把有问题的单元格标上颜色（见下面两行），问题清单写入“校验结果”表。",
    "score": "按评分细则打分，结果写入“创建评分”表：总分、每项得分和还差什么。",
    "clear": "去掉校验标上的颜色（改回白色），并清空“校验结果”表；没有被标过的单元格不受影响。",
}
GUIDE_MARKS = (
    ("错误", MARK_ERROR, "红色＝错误：填写有误，该行不计入评分，请改正后重新校验。"),
    (
        "提醒",
        MARK_WARNING,
        "黄色＝提醒：计入评分，但请核实。在“校验结果”表中点链接可跳到该单元格。",
    ),
)
GUIDE_BUTTONS_NOTE = (
    "按钮需要本机装有 Python 和 xlhfjz；打开文件时请点“启用内容”（启用宏）。"
    "不用按钮也可以在命令行运行  xlhfjz validate 文件名.xlsm  。"
)
#: 使用说明 of a workbook whose buttons call the street's server (``xlhfjz new --server``).
GUIDE_SUBMIT_TEXT = (
    "把本工作簿的台账报送到街道服务器，弹出报送时间、创建结果和校验情况；可以多次报送，"
    "街道以最后一次为准。"
)
GUIDE_REMOTE_NOTE = (
    "按钮由街道服务器处理，本机不需要安装 Python；打开文件时请点“启用内容”（启用宏），"
    "电脑需能连上单位内网。连不上服务器时会弹出提示，填写的内容不受影响，稍后再点即可。"
)
_GUIDE_BUTTON_ROW_POINTS = 36


def _write_guide_buttons(ws: Worksheet, styles: _Styles, row: int, *, remote: bool = False) -> int:
    """From ``row``: one button per row in column A with what it does in B–D, then the two mark
    colours (a sample cell and its meaning, like the header colours below) and a note on what
    the buttons need; returns the next free row."""
    y = (_row_pixels(_GUIDE_BUTTON_ROW_POINTS) - BUTTON_HEIGHT) // 2
    x = (_col_pixels(_GUIDE_WIDTHS[0]) - BUTTON_WIDTH) // 2
    texts = {**GUIDE_BUTTON_TEXT, "submit": GUIDE_SUBMIT_TEXT} if remote else GUIDE_BUTTON_TEXT
    for role, text in texts.items():
        insert_button(ws, row, SUBMIT_BUTTON if role == "submit" else BUTTONS[role], x=x, y=y)
        ws.merge_range(row, 1, row, 3, "", styles.note)
        ws.write_string(row, 1, text, styles.note)
        ws.set_row(row, _GUIDE_BUTTON_ROW_POINTS)
        row += 1
    for name, colours, text in GUIDE_MARKS:
        sample = styles.get(bold=True, align="center", valign="vcenter", border=1,
                            border_color=GRID_COLOUR, **colours)  # fmt: skip
        ws.write_string(row, 0, name, sample)
        ws.merge_range(row, 1, row, 3, "", styles.note)
        ws.write_string(row, 1, text, styles.note)
        ws.set_row(row, 20)
        row += 1
    ws.merge_range(row, 0, row, 3, "", styles.note)
    ws.write_string(row, 0, GUIDE_REMOTE_NOTE if remote else GUIDE_BUTTONS_NOTE, styles.note)
    ws.set_row(row, 24)
    return row + 1


def _required_columns(sheet: Sheet) -> str:
    parts = []
    for f in sheet.fields:
        if f.required is True:
            parts.append(f.label)
        elif f.required is not False:
            parts.append(f"{f.label}（{_condition(f, sheet)}）")
    return "、".join(parts)


def _lines(text: str, width: int) -> int:
    return max(1, math.ceil(units(text) * 1.05 / max(width - 1, 1)))


def _height(text: str, width: int) -> int:
    return 16 * _lines(text, width) + 4


def _print_setup(ws: Worksheet, *, landscape: bool, width: int = 0) -> None:
    """A4 (A3 for very wide ledgers), one page wide, footer with sheet name and page number."""
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(8 if width > A3_FROM_WIDTH else 9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C&A　第 &P 页 / 共 &N 页")


if __name__ == "__main__":
    for built in build_workbooks(Path(__file__).resolve().parents[1]):
        print(built)
