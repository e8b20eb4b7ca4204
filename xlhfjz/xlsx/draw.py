"""抽查 (review.md): a uniform, reproducible draw over 社区名单, appended to 抽查名单.

The office workbook is edited with openpyxl (XlsxWriter cannot edit a file), imported only here;
the workbook is written to a temporary file and renamed into place (:mod:`xlhfjz.xlsx.atomic`),
earlier draws are never rewritten, and a ``.xlsm`` keeps its VBA project (``keep_vba``).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path

from xlhfjz.model.rawbook import UnreadableWorkbook
from xlhfjz.model.schema import DRAWS, SERIAL_LABEL
from xlhfjz.office.inputs import read_office
from xlhfjz.xlsx.atomic import replacing
from xlhfjz.xlsx.reader import read_workbook
from xlhfjz.xlsx.style import DATE_FORMAT


class DrawError(Exception):
    """The draw cannot be made; the message is one Chinese sentence for the user."""


@dataclass(frozen=True)
class Drawn:
    order: int
    code: str
    name: str


def draw(roster: dict[str, str], n: int, seed: int) -> list[Drawn]:
    """``n`` communities of the list, uniformly without replacement, from ``seed`` (the list is
    taken in 社区代码 order, so the draw does not depend on the order of its rows)."""
    codes = sorted(roster)
    if n > len(codes):
        raise DrawError(f"社区名单只有 {len(codes)} 个社区，不能抽取 {n} 个")
    picked = random.Random(seed).sample(codes, n)
    return [Drawn(k, code, roster[code]) for k, code in enumerate(picked, 1)]


def default_seed() -> int:
    """A seed from the clock (printed and recorded, so the draw can be checked)."""
    return time.time_ns() % 1_000_000_007


def draw_into(
    path: str | os.PathLike[str], n: int, seed: int | None = None, today: dt.date | None = None
) -> tuple[int, list[Drawn]]:
    """Draw ``n`` communities and append them to the office workbook's 抽查名单; (seed, drawn)."""
    from openpyxl import load_workbook

    target = Path(path)
    lock = target.with_name(f"~${target.name}")
    if lock.exists():
        raise DrawError(f"街道汇总工作簿正被占用，请先关闭：{target}")
    try:
        office = read_office(read_workbook(target))
    except UnreadableWorkbook as exc:
        raise DrawError(f"街道汇总工作簿“{target}”无法读取：{exc.reason}") from None
    if not office.roster:
        raise DrawError("街道汇总工作簿的“社区名单”是空的，请先填写应报送的社区")
    seed = default_seed() if seed is None else seed
    drawn = draw(office.roster_codes, n, seed)
    day = today or dt.date.today()

    wb = load_workbook(target, keep_vba=target.suffix.lower() == ".xlsm")
    if DRAWS.name in wb.sheetnames:
        ws = wb[DRAWS.name]
    else:  # an office workbook from before 抽查名单: add the sheet with its header
        ws = wb.create_sheet(DRAWS.name)
        ws.append([DRAWS.title])
        ws.append([SERIAL_LABEL, *(f.label for f in DRAWS.fields), "备注"])
    last = 2
    for row in ws.iter_rows(min_row=3):
        if any(c.value not in (None, "") for c in row[:6]):
            last = row[0].row
    serial = last - 2
    for k, d in enumerate(drawn, 1):
        r = last + k
        values = [serial + k, day, seed, d.code, d.name, d.order]
        for c, value in enumerate(values, 1):
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
            elif c == 4:
                cell.number_format = "@"
    try:
        with replacing(target) as tmp:
            wb.save(tmp)
    except PermissionError as exc:
        raise DrawError(f"街道汇总工作簿正被占用，请先关闭：{target}") from exc
    return seed, drawn
