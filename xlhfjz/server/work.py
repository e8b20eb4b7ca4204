"""The server's CPU work, run in worker processes (one per core).

- :func:`run_button`: a click of a remote button. The body posted by xlwings' VBA client is parsed
  here (not in the server's event loop), checked (shape, the VBA client's 32,767-row limit, the
  reader's cell limit, whose workbook it is), then the very button function of
  :mod:`xlhfjz.excel` runs on xlwings' remote engine (``xw.Book(json=payload)`` as the mock caller)
  and its actions go back as JSON bytes. ``xw.Book.caller()`` is process-global, which is one
  more reason for processes rather than threads: a worker runs one click at a time.
- :func:`rebuild_payload`: 【报送街道】: the payload's values as a ledger workbook on disk.
- :func:`check_file`: read, validate and score one workbook on disk, as ``validate --json`` and
  ``score --json`` show it (the CLI's own JSON builders).

Every function returns ``(status, document)``; a refusal is ``{"error": "<Chinese>"}``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xlhfjz.xlsx.guard import CONTENT_LIMITS

__all__ = [
    "BUTTON_ROWS_MAX",
    "alert_action",
    "board",
    "check_file",
    "community_name",
    "init_worker",
    "mark_file",
    "payload_community_code",
    "rebuild_payload",
    "run_button",
]

#: The VBA client counts rows in a VBA ``Integer``: a used range of more rows overflows there.
BUTTON_ROWS_MAX = 32_767
#: xlwings' configuration sheet: it holds the workbook's token, so it is never stored.
CONFIG_SHEET = "xlwings.conf"
BUTTONS = ("validate", "score", "clear")

Result = tuple[int, dict[str, Any]]


def init_worker(parent_pid: int | None = None) -> None:
    """Start a worker: xlwings' remote engine (licence key first), and exit when the server
    process is gone (a SIGKILLed server must not leave workers behind)."""
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    _engine()
    if parent_pid is not None:
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os._exit(0)


def _engine() -> Any:
    import xlwings as xw

    if "remote" not in [e.name for e in xw.engines]:  # imported before the key was set
        from xlwings.pro import _xlremote

        xw.engines.add(xw.main.Engine(impl=_xlremote.engine))
        xw.__pro__ = True
    return xw


# ── payloads ────────────────────────────────────────────────────────────────────────────────


def _error(status: int, text: str) -> Result:
    return status, {"error": text}


def parse_payload(body: bytes) -> tuple[dict[str, Any] | None, Result | None]:
    """The payload of a button click, or the refusal: not JSON / not xlwings' shape (422), more
    rows than the VBA client can send or more cells than the reader reads (413)."""
    bad = _error(
        422, "请求内容不是 Excel 按钮发送的工作簿数据，请在台账工作簿中点按钮，或在网页上传文件"
    )
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, bad
    if not isinstance(payload, dict) or not isinstance(payload.get("sheets"), list):
        return None, bad
    book = payload.get("book")
    if not isinstance(book, dict) or not isinstance(book.get("name"), str):
        return None, bad
    if not isinstance(book.get("active_sheet_index"), int) or not payload["sheets"]:
        return None, bad
    if not isinstance(payload.get("version"), str) or not isinstance(payload.get("names"), list):
        return None, bad
    cells = 0
    for sheet in payload["sheets"]:
        if not isinstance(sheet, dict) or not isinstance(sheet.get("name"), str):
            return None, bad
        if not isinstance(sheet.get("pictures", []), list) or not isinstance(
            sheet.get("tables", []), list
        ):
            return None, bad
        values = sheet.get("values")
        if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
            return None, bad
        if len(values) > BUTTON_ROWS_MAX:
            return None, _error(
                413,
                f"工作表“{sheet['name']}”有 {len(values)} 行，超过了 Excel 按钮一次能发送的上限 "
                f"{BUTTON_ROWS_MAX} 行。请删除多余的空行，或在网页上传文件校验、报送",
            )
        cells += sum(len(r) for r in values)
        for row in values:
            for v in row:
                if isinstance(v, dict | list):
                    return None, bad
                if isinstance(v, str) and len(v) > CONTENT_LIMITS["max_cell_chars"]:
                    return None, _error(
                        413, f"工作表“{sheet['name']}”中有单元格超过 32767 个字符，已拒绝"
                    )
    if cells > CONTENT_LIMITS["max_cells"]:
        return None, _error(
            413,
            f"工作簿共有 {cells} 个单元格，超过允许的上限 {CONTENT_LIMITS['max_cells']}，"
            "请删除多余的行列后重试",
        )
    return payload, None


def payload_community_code(payload: dict[str, Any]) -> str | None:
    """社区代码 of 基本信息 in a payload, as the validator reads it."""
    from xlhfjz.checks.validate import validate_workbook
    from xlhfjz.excel.plan import raw_from_values, wanted_sheets
    from xlhfjz.model.schema import BASIC_INFO

    sheets = {s["name"]: s for s in payload["sheets"]}
    names = wanted_sheets(sheets, [BASIC_INFO.name])
    raw = raw_from_values(
        payload["book"].get("name") or "", {n: (_typed(sheets[n]["values"]), 1, 1) for n in names}
    )
    return validate_workbook(raw).community_code


def _mismatch(code: str | None, community: str | None) -> Result | None:
    if community is None or code == community:
        return None
    if code is None:
        return _error(
            403, f"工作簿“基本信息”中没有填写社区代码，不能用本社区（{community}）的令牌处理"
        )
    return _error(403, f"这是社区代码 {code} 的工作簿，本令牌只能处理本社区（{community}）的工作簿")


def run_button(kind: str, body: bytes, community: str | None) -> tuple[int, bytes]:
    """One click of 【校验台账】/【计算评分】/【清除标记】 (``kind`` validate/score/clear):
    ``(200, {"actions": …})`` as JSON bytes, or a refusal. ``community``: the token's community
    (None: the office, any workbook)."""
    payload, refusal = parse_payload(body)
    if refusal is None and payload is not None:
        refusal = _mismatch(payload_community_code(payload), community)
    if refusal is not None:
        return refusal[0], _dump(refusal[1])
    assert payload is not None
    from xlhfjz import excel

    func: Callable[[], None] = {
        "validate": excel.validate_button,
        "score": excel.score_button,
        "clear": excel.clear_button,
    }[kind]
    return 200, _dump({"actions": _actions(func, payload)})


def _actions(func: Callable[[], None], payload: dict[str, Any]) -> list[dict[str, Any]]:
    xw = _engine()
    from xlwings.pro import _xlremote

    book = xw.Book(json=payload)
    book.set_mock_caller()
    try:
        func()
        return book.json()["actions"]
    finally:
        del xw.Book._mock_caller
        book.close()
        _xlremote.get_range_api.cache_clear()


def _dump(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8")


def alert_action(text: str, title: str, mode: str = "info") -> dict[str, Any]:
    """The ``alert`` action as xlwings' remote engine writes it (``book.app.alert``)."""
    return {"func": "alert", "args": [text, title, "ok", mode, ""], "values": None,
            "sheet_position": None, "start_row": None, "start_column": None,
            "row_count": None, "column_count": None}  # fmt: skip


# ── 报送 from a button: the payload as a workbook ────────────────────────────────────────────

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z?$")
_VBA_EPOCH = dt.date(1899, 12, 30)


def _value(v: Any) -> Any:
    """A payload value as the cell held it: the VBA client's ISO strings are dates again."""
    if isinstance(v, str):
        m = _ISO.match(v)
        if m:
            y, mo, d, h, mi, s = (int(x) for x in m.groups())
            try:
                when = dt.datetime(y, mo, d, h, mi, s)
            except ValueError:
                return v
            if when.date() == _VBA_EPOCH:
                return when.time()
            return when.date() if (h, mi, s) == (0, 0, 0) else when
    return v


def _typed(values: list[list[Any]]) -> list[list[Any]]:
    return [[_value(v) for v in row] for row in values]


def rebuild_payload(body: bytes, community: str | None, target: str) -> Result:
    """Write the payload's sheets (all but ``xlwings.conf``, which holds the token) as a ``.xlsx``
    at ``target`` (fsynced). ``(200, {"community_code": …})`` or a refusal."""
    payload, refusal = parse_payload(body)
    if refusal is not None or payload is None:
        return refusal or _error(422, "请求内容无法读取")
    code = payload_community_code(payload)
    refusal = _mismatch(code, community)
    if refusal is not None:
        return refusal
    import xlsxwriter
    from xlsxwriter.exceptions import XlsxWriterException

    options = {"strings_to_numbers": False, "strings_to_formulas": False,
               "strings_to_urls": False, "constant_memory": True}  # fmt: skip
    try:
        wb = xlsxwriter.Workbook(target, options)
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        time_fmt = wb.add_format({"num_format": "hh:mm:ss"})
        stamp_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for sheet in payload["sheets"]:
            if sheet["name"] == CONFIG_SHEET:
                continue
            ws = wb.add_worksheet(sheet["name"])
            for r, row in enumerate(sheet["values"]):
                for c, raw in enumerate(row):
                    _write(ws, r, c, _value(raw), date_fmt, time_fmt, stamp_fmt)
        wb.close()
    except (XlsxWriterException, ValueError, TypeError) as exc:
        Path(target).unlink(missing_ok=True)
        return _error(422, f"工作簿的内容无法保存为台账文件：{exc}")
    with open(target, "rb+") as fh:
        os.fsync(fh.fileno())
    return 200, {"community_code": code}


def _write(ws: Any, r: int, c: int, v: Any, date_fmt: Any, time_fmt: Any, stamp_fmt: Any) -> None:
    if v is None or v == "":
        return
    if isinstance(v, bool):
        ws.write_boolean(r, c, v)
    elif isinstance(v, int) and abs(v) >= 10**15:
        ws.write_string(r, c, str(v))  # a long digit text the VBA client sent unquoted
    elif isinstance(v, int | float):
        ws.write_number(r, c, v)
    elif isinstance(v, dt.datetime):
        ws.write_datetime(r, c, v, stamp_fmt)
    elif isinstance(v, dt.date):
        ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
    elif isinstance(v, dt.time):
        ws.write_datetime(r, c, v, time_fmt)
    else:
        ws.write_string(r, c, str(v))


# ── files ───────────────────────────────────────────────────────────────────────────────────

_OFFICE_CACHE: dict[tuple[str, int, int], Any] = {}


def _office(path: str | None) -> Any:
    """The office data of ``街道汇总`` (cached per file version), or the defaults."""
    from xlhfjz.model.rawbook import UnreadableWorkbook
    from xlhfjz.office.inputs import OfficeData, read_office
    from xlhfjz.xlsx.reader import read_workbook

    if path is None or not os.path.isfile(path):
        return OfficeData()
    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size)
    if key not in _OFFICE_CACHE:
        try:
            office = read_office(read_workbook(path))
        except UnreadableWorkbook:
            office = OfficeData()
        _OFFICE_CACHE.clear()
        _OFFICE_CACHE[key] = office
    return _OFFICE_CACHE[key]


def check_file(path: str, display_name: str, office_path: str | None) -> Result:
    """Read, validate and score a workbook: ``(200, {"validate": <one file of validate --json>,
    "score": <one file of score --json>, "community_code", "community_name", "errors",
    "warnings", "total", "result"})``; an unreadable file is ``(422, {"error": reason})`` and one
    over the reader's size limit ``(413, …)``."""
    from xlhfjz.office.documents import report_json
    from xlhfjz.scoring import card_json, score_report
    from xlhfjz.xlsx.files import validate_file
    from xlhfjz.xlsx.guard import LIMITS

    if os.path.getsize(path) > LIMITS["max_file_bytes"]:
        return _error(413, "文件过大，超过允许的上限")
    report = validate_file(path)
    if not report.readable:
        return _error(422, f"无法读取该文件：{report.issues[0].message}")
    office = _office(office_path)
    card = score_report(report, office.inspections_for(report.community_code), office.parameters)
    validated = report_json(report)
    validated["file"] = display_name
    scored = {"file": display_name, "community_code": report.community_code,
              "community_name": report.community_name, **card_json(card)}  # fmt: skip
    return 200, {
        "validate": validated,
        "score": scored,
        "community_code": report.community_code,
        "community_name": report.community_name,
        "errors": report.errors,
        "warnings": report.warnings,
        "total": round(card.total, 6),
        "result": card.result,
    }


def mark_file(path: str, suffix: str, target: str) -> Result:
    """``POST /api/marked``: validate ``path`` and write it marked to ``target`` (same type; the
    VBA project kept for ``.xlsm``): ``(200, {"community_code", "errors", "warnings",
    "marked"})`` or a refusal (the reader's reason)."""
    from xlhfjz.model.rawbook import UnreadableWorkbook
    from xlhfjz.server.marked import mark_workbook
    from xlhfjz.xlsx.guard import LIMITS

    if os.path.getsize(path) > LIMITS["max_file_bytes"]:
        return _error(413, "文件过大，超过允许的上限")
    try:
        done = mark_workbook(path, target, macros=suffix == ".xlsm")
    except UnreadableWorkbook as exc:
        Path(target).unlink(missing_ok=True)
        return _error(422, f"无法读取该文件：{exc.reason}")
    except Exception as exc:  # openpyxl refusing what the reader accepted
        Path(target).unlink(missing_ok=True)
        return _error(422, f"该工作簿可以校验，但无法在其中标注（{type(exc).__name__}）；"
                           "请看网页上的问题列表逐条修改")  # fmt: skip
    with open(target, "rb+") as fh:
        os.fsync(fh.fileno())
    return 200, done


# ── the office ──────────────────────────────────────────────────────────────────────────────


def _merge(ledgers: str, office_path: str | None) -> Any:
    from xlhfjz.batch import merge_folder

    return merge_folder(ledgers, _office(office_path), workers=1)


def dashboard(ledgers: str, office_path: str | None) -> dict[str, Any]:
    """The ``merge --json`` document over ``台账/`` (the CLI's own builder), without ``summary``."""
    from xlhfjz.office.documents import merge_json

    doc = merge_json(_merge(ledgers, office_path), Path())
    doc.pop("summary")
    return doc


def summary(ledgers: str, office_path: str | None, target: str) -> Result:
    """Write the summary workbook of ``台账/`` (office.md) to ``target``."""
    from xlhfjz.xlsx.summary import SummaryWriteError, write_summary

    try:
        path = write_summary(target, _merge(ledgers, office_path))
    except SummaryWriteError as exc:
        return _error(500, f"汇总文件未能生成：{exc}")
    return 200, {"path": str(path)}


def community_name(office_path: str | None, code: str | None) -> str | None:
    """The name of a community on 社区名单 (None when it is not there)."""
    if code is None:
        return None
    return _office(office_path).roster_codes.get(code)


def board(ledgers: str, office_path: str | None) -> dict[str, Any]:
    """The office page's data: the dashboard model of :mod:`xlhfjz.office.dashboard` (the one the
    summary's 汇总看板 lays out) as JSON, and the ``merge --json`` document it was built from."""
    from dataclasses import asdict

    from xlhfjz.office.dashboard import dashboard as build
    from xlhfjz.office.documents import merge_json

    result = _merge(ledgers, office_path)
    d = build(result)
    doc = merge_json(result, Path())
    doc.pop("summary")
    t = d.target
    target: dict[str, Any] = {"n": t.n, "passed": t.passed, "required": t.required}
    target.update(ratio=t.ratio, rate=t.rate, gap=t.gap, sentence=t.sentence())
    return {
        "merge": doc,
        "board": {
            "title": d.title,
            "street": d.street,
            "generated": d.generated.strftime("%Y-%m-%d %H:%M:%S"),
            "target": target,
            "pass_line": d.pass_line,
            "progress": [list(p) for p in d.progress],
            "counts": [list(c) for c in d.counts],
            "communities": [asdict(c) for c in d.communities],
            "scores": [list(s) for s in d.scores],
            "candidates": [asdict(c) for c in d.candidates],
            "not_submitted": [list(n) for n in d.not_submitted],
            "problems": [asdict(f) for f in d.problems],
        },
    }
