"""Feedback to each community after a merge: one small workbook per community,
``CODE_名称_反馈.xlsx``, with

- ``反馈说明``: its result, total, the pass line and the gap to it, its rank in the street and the
  street's progress as counts only (no other community is named);
- ``问题清单``: its own issues *with the values* (it is the community's own data, so nothing is
  masked, unlike the office's 问题清单);
- ``创建评分``: the 19 items with score, basis and what is missing, the basic conditions and vetoes.

Each file is written to a temporary name and renamed into place; a target that is one of the
merge's input files, or a folder inside the ledger folder, is refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from xlhfjz.model.issues import E
from xlhfjz.model.rubric import GATES, ITEMS, VETOES
from xlhfjz.office.resolve import MergeResult
from xlhfjz.office.summary import Community
from xlhfjz.xlsx.atomic import replacing
from xlhfjz.xlsx.layout import A4, WORKBOOK_OPTIONS, print_setup

SUFFIX = "_反馈.xlsx"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


class FeedbackError(Exception):
    """The feedback folder cannot be used; one Chinese sentence for the user."""


def feedback_name(c: Community) -> str:
    """``CODE_名称_反馈.xlsx`` with characters no file system accepts replaced by ``_``."""
    return _UNSAFE.sub("_", f"{c.code}_{c.name}") + SUFFIX


def ranks(communities: Sequence[Community]) -> dict[str, int]:
    """Rank by total (1 = highest; equal totals share a rank) of every scored community."""
    totals = sorted((round(c.total, 1) for c in communities if c.total is not None), reverse=True)
    return {c.code: totals.index(round(c.total, 1)) + 1 for c in communities if c.total is not None}


def _inputs(result: MergeResult) -> set[Path]:
    root = Path(result.folder)
    return {(root / log.file).resolve() for log in result.logs}


def write_feedback(folder: str | os.PathLike[str], result: MergeResult) -> list[Path]:
    """One feedback workbook per community with a used file; returns their paths."""
    target = Path(folder)
    ledgers = Path(result.folder).resolve()
    if target.resolve() == ledgers or ledgers in target.resolve().parents:
        raise FeedbackError(
            f"反馈文件夹“{target}”在台账文件夹中，下次合并会把反馈文件当成台账读取；请换一个文件夹"
        )
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FeedbackError(f"无法创建反馈文件夹“{target}”") from exc
    inputs = _inputs(result)
    rank = ranks(result.communities)
    scored = len(rank)
    out = []
    for c in result.communities:
        if c.report is None:
            continue
        path = target / feedback_name(c)
        if path.resolve() in inputs:
            raise FeedbackError(f"“{path}”是合并读取的台账文件，不能覆盖")
        t = result.target
        standing = (rank.get(c.code), scored, t.passed, t.required, t.n)
        try:
            _write_one(path, c, result, standing)
        except OSError as exc:
            raise FeedbackError(f"无法写入“{path}”（没有写权限、磁盘已满或文件正被打开）") from exc
        out.append(path)
    return out


def _write_one(path: Path, c: Community, result: MergeResult, standing: tuple[Any, ...]) -> None:
    with replacing(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        wb.set_properties({"title": f"{c.name}台账反馈", "author": "xlhfjz"})
        f = _Formats(wb)
        _overview(wb.add_worksheet("反馈说明"), f, c, result, standing)
        _issues(wb.add_worksheet("问题清单"), f, c)
        _score(wb.add_worksheet("创建评分"), f, c)
        wb.close()


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.title = wb.add_format({"bold": True, "font_size": 14, "font_color": "#1F4E78"})
        self.header = wb.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF",
                                     "border": 1, "text_wrap": True, "valign": "vcenter"})  # fmt: skip
        self.key = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        self.error = wb.add_format({"border": 1, "valign": "top", "bg_color": "#FFC7CE"})
        self.warning = wb.add_format({"border": 1, "valign": "top", "bg_color": "#FFEB9C"})


def _overview(
    ws: Any, f: _Formats, c: Community, result: MergeResult, standing: tuple[Any, ...]
) -> None:
    rank, scored, passed, needed, total = standing
    pass_line = result.office.parameters["pass_line"]
    score = round(c.total, 1) if c.total is not None else None
    gap = None if score is None else round(max(pass_line - score, 0.0), 1)
    street = result.office.settings.get("street") or "本街道"
    rows: list[tuple[str, Any]] = [
        ("社区名称", c.name),
        ("社区代码", c.code),
        ("使用的文件", c.file or ""),
        ("创建结果", c.status),
        ("总分", score if score is not None else "无法评分"),
        ("达标分数线", pass_line),
        ("距达标线", "已达到" if gap == 0 else (f"还差 {gap:g} 分" if gap is not None else "—")),
        ("街道排名", f"第 {rank} 名（共 {scored} 个参评社区）" if rank else "未参加排名"),
        ("街道进度", f"{street}已有 {passed} 个社区创建成功，目标至少 {needed} 个（共 {total} 个社区）"),
        ("错误数", c.errors),
        ("提醒数", c.warnings),
    ]  # fmt: skip
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 70)
    ws.write_string(0, 0, f"{c.name}台账校验和评分反馈", f.title)
    for i, (key, value) in enumerate(rows, start=2):
        ws.write_string(i, 0, key, f.key)
        if isinstance(value, str):
            ws.write_string(i, 1, value, f.cell)
        else:
            ws.write_number(i, 1, value, f.cell)
    note = (
        "“问题清单”列出本社区台账的全部问题（含单元格内容），“错误”所在的行不计入评分；"
        "“创建评分”列出每项得分和还差什么。改正后请重新报送。"
    )
    ws.merge_range(len(rows) + 3, 0, len(rows) + 3, 1, note, f.cell)
    ws.set_row(len(rows) + 3, 36)
    print_setup(ws, landscape=False, title="反馈说明", owner=c.name, paper=A4)


ISSUE_HEADER = ("工作表", "行", "列", "级别", "代码", "单元格内容", "说明")


def _issues(ws: Any, f: _Formats, c: Community) -> None:
    for col, width in enumerate((12, 6, 16, 6, 22, 24, 70)):
        ws.set_column(col, col, width)
    ws.write_row(0, 0, ISSUE_HEADER, f.header)
    r = 0
    for r, (_, i) in enumerate(c.file_issues(), start=1):
        fmt = f.error if i.severity == E else f.warning
        cells = (i.sheet or "", i.row, i.column or "", "错误" if i.severity == E else "提醒",
                 i.code, i.value or "", i.message)  # fmt: skip
        for col, value in enumerate(cells):
            if isinstance(value, int):
                ws.write_number(r, col, value, f.cell)
            elif value is None:
                ws.write_blank(r, col, None, f.cell)
            else:
                ws.write_string(r, col, str(value), fmt if col == 3 else f.cell)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(r, 1), len(ISSUE_HEADER) - 1)
    print_setup(ws, landscape=True, title="问题清单", owner=c.name, paper=A4)
    ws.repeat_rows(0)


SCORE_HEADER = ("项目", "名称", "满分", "得分", "依据", "还差什么")


def _score(ws: Any, f: _Formats, c: Community) -> None:
    for col, width in enumerate((6, 18, 6, 6, 50, 50)):
        ws.set_column(col, col, width)
    ws.write_row(0, 0, SCORE_HEADER, f.header)
    card = c.card
    r = 0
    if card is not None:
        for r, (iid, name, full) in enumerate(ITEMS, start=1):
            item = card.items[iid]
            ws.write_string(r, 0, iid, f.cell)
            ws.write_string(r, 1, name, f.cell)
            ws.write_number(r, 2, full, f.cell)
            ws.write_number(r, 3, round(item.score, 1), f.cell)
            ws.write_string(r, 4, item.detail, f.cell)
            ws.write_string(r, 5, item.missing, f.cell)
        r += 2
        for g, label in GATES.items():
            ws.write_string(r, 0, g, f.cell)
            ws.write_string(r, 1, label, f.cell)
            ws.write_string(r, 4, "满足" if card.gates[g] else "不满足", f.cell)
            r += 1
        for v in card.vetoes:
            ws.write_string(r, 0, v, f.error)
            ws.write_string(r, 1, VETOES[v], f.cell)
            r += 1
        for reason in card.reasons:
            ws.write_string(r, 1, "说明", f.key)
            ws.merge_range(r, 2, r, 5, reason, f.cell)
            r += 1
    else:
        ws.write_string(1, 0, "无法评分：台账无法读取或缺少基本信息", f.cell)
    ws.freeze_panes(1, 0)
    print_setup(ws, landscape=True, title="创建评分", owner=c.name, paper=A4)
    ws.repeat_rows(0)
