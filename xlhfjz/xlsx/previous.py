"""Reads an earlier summary's 社区评分 for ``merge --previous`` (review.md 复核)."""

from __future__ import annotations

import os

from xlhfjz.model.rawbook import UnreadableWorkbook
from xlhfjz.office.review import Previous
from xlhfjz.xlsx.reader import read_workbook

SCORES = "社区评分"
_NEEDED = ("社区代码", "创建结果", "总分")


class NotASummary(Exception):
    """The previous file is not a summary; the message is one Chinese sentence for the user."""


def read_previous(path: str | os.PathLike[str]) -> dict[str, Previous]:
    """社区代码 → its 创建结果, 总分 (and 复核结论, if any) in the earlier summary."""
    try:
        book = read_workbook(path, [SCORES, "汇总看板"])
    except UnreadableWorkbook as exc:
        raise NotASummary(f"上期汇总“{os.fsdecode(path)}”无法读取：{exc.reason}") from None
    sheet = book.sheets.get(SCORES)
    if sheet is None or "汇总看板" not in book.sheets or not sheet.rows:
        raise NotASummary(
            f"“{os.fsdecode(path)}”不是合并生成的汇总文件（没有“汇总看板”和“{SCORES}”表），"
            "请选择上期 xlhfjz merge 生成的汇总"
        )
    header = [str(x).strip() if x is not None else "" for x in sheet.rows[0]]
    missing = [label for label in _NEEDED if label not in header]
    if missing:
        raise NotASummary(
            f"“{os.fsdecode(path)}”的“{SCORES}”表缺少“{'、'.join(missing)}”列，不是汇总文件"
        )
    col = {label: header.index(label) for label in (*_NEEDED, "复核结论") if label in header}
    out: dict[str, Previous] = {}
    for row in sheet.rows[1:]:

        def cell(label: str, row: list = row) -> object:
            k = col.get(label)
            return row[k] if k is not None and k < len(row) else None

        code = cell("社区代码")
        if code in (None, ""):
            continue
        code = str(code).strip()
        if isinstance(code, str) and code.endswith(".0"):
            code = code[:-2]
        total = cell("总分")
        result = cell("创建结果")
        conclusion = cell("复核结论")
        out[code] = Previous(
            str(result).strip() if result not in (None, "") else None,
            float(total)
            if isinstance(total, (int, float)) and not isinstance(total, bool)
            else None,
            str(conclusion).strip() if conclusion not in (None, "") else None,
        )
    return out
