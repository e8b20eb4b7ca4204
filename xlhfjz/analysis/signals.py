"""疑点提示 (review.md): six signals over every community at once, with pandas doing the group-bys.

Input: each used file's :class:`~xlhfjz.office.fingerprints.SignalFacts` (fingerprints, dates and
counts taken in the merge's workers). Output: :class:`~xlhfjz.office.fingerprints.Signal` lines —
warnings for a human, never a verdict, never a score. A 说明 names sheets, rows, columns and
counts; it never quotes a text, a number of a personal column or anything from 线索 / 重点人员.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from xlhfjz.office.fingerprints import LABELS, SHEETS, Signal, Source

TEXT = "跨社区雷同文字"
RECORD = "跨社区雷同记录"
BULK = "集中补录"
NUMBERS = "数字不合常理"
PHONE = "跨社区同一号码"
EVIDENCE = "佐证材料重复"
KINDS = (TEXT, RECORD, BULK, NUMBERS, PHONE, EVIDENCE)


class _Who:
    """The used communities: a row of the frames names its community by position (``who``) and
    by the rank of its 社区代码 (``code``: sorting by it sorts by the code, equal codes tie)."""

    def __init__(self, used: Sequence[Source]) -> None:
        self.used = used
        self.codes = sorted({c.code for c in used})
        rank = {code: k for k, code in enumerate(self.codes)}
        self.rank = np.array([rank[c.code] for c in used], dtype=np.int32)


#: The arrays' types of each kind of facts (:class:`~xlhfjz.office.fingerprints.SignalFacts`).
_DTYPES = {"B": np.uint8, "i": np.int32, "q": np.int64, "d": np.float64}


def _frame(who: _Who, attr: str, columns: list[str]) -> pd.DataFrame:
    """One kind of facts of every community as one frame, straight from their arrays."""
    parts: list[list[Any]] = [[] for _ in columns]
    owners: list[Any] = []
    for k, c in enumerate(who.used):
        given = getattr(c.facts, attr)
        if not len(given[0]):
            continue
        owners.append(np.full(len(given[0]), k, dtype=np.int32))
        for part, values in zip(parts, given, strict=True):
            part.append(np.frombuffer(values, dtype=_DTYPES[values.typecode]))
    if not owners:
        return pd.DataFrame({name: [] for name in ("who", "code", *columns)})
    owner = np.concatenate(owners)
    data: dict[str, Any] = {"who": owner, "code": who.rank[owner]}
    for name, part in zip(columns, parts, strict=True):
        data[name] = np.concatenate(part)
    return pd.DataFrame(data, copy=False)  # the arrays are its own: no second copy


#: At most this many lines in 疑点提示 (a street where every community filled in the same
#: sample would otherwise give millions — past Excel's 1,048,576 rows — and hold them all in
#: memory); the findings past it are still counted, and the table's last line says so.
MAX_LINES = 100_000


class _Numbers:
    """Numbers the findings (Y001…) and keeps the lines within :data:`MAX_LINES`."""

    def __init__(self, max_lines: int) -> None:
        self.max_lines = max_lines
        self.k = 0
        self.lines = 0
        self.left_out = 0

    def next(self) -> str:
        self.k += 1
        return f"Y{self.k:03d}"

    def room(self, n: int = 1) -> bool:
        """Whether ``n`` more lines fit (once some did not, none does: the table stops there);
        lines that do not fit are counted as left out."""
        if self.left_out or self.lines + n > self.max_lines:
            self.left_out += n
            return False
        self.lines += n
        return True

    def fit(self, sizes: np.ndarray) -> int:
        """How many of these findings (``sizes``: their lines, in order) are listed: those before
        the first that does not fit; the lines of the others are left out."""
        listed = 0
        while listed < len(sizes) and self.room(int(sizes[listed])):
            listed += 1
        self.left_out += int(sizes[listed + 1 :].sum())  # room() counted the first one
        return listed


def _shared(
    df: pd.DataFrame,
    who: _Who,
    kind: str,
    numbers: _Numbers,
    describe: Any,
) -> list[Signal]:
    """One finding per fingerprint (``fp``) seen in two or more communities; one line per row.
    Findings are numbered in the order of their first row (社区代码, 台账, 行)."""
    if df.empty:
        return []
    # in two or more communities: the lowest and the highest 社区代码 of the group differ
    codes = df.groupby("fp", sort=False)["code"]
    hits = df[codes.transform("min").to_numpy() != codes.transform("max").to_numpy()]
    if hits.empty:
        return []
    hits = hits.sort_values(["code", "sheet", "row"], kind="stable")
    # findings in the order of their first rows; only those that fit the table are listed
    finding, _ = pd.factorize(hits["fp"])
    sizes = np.bincount(finding)
    listed = numbers.fit(sizes)
    groups: dict[Any, list[Any]] = {}  # insertion order = order of the first rows
    for line in hits[finding < listed].itertuples(index=False):
        groups.setdefault(line.fp, []).append(line)
    used = who.used
    out: list[Signal] = []
    for lines in groups.values():
        number = numbers.next()
        per_code = Counter(o.code for o in lines)
        for line in lines:
            others = []
            for o in lines:
                if o.code != line.code:
                    others.append(o)
                    if len(others) == 3:
                        break
            where = "、".join(f"{used[o.who].code} {SHEETS[o.sheet]}第 {o.row} 行" for o in others)
            n_others = len(lines) - per_code[line.code]
            if n_others > 3:
                where += f" 等 {n_others} 处"
            c = used[line.who]
            out.append(Signal(number, kind, c.code, c.name, SHEETS[line.sheet], int(line.row),
                              describe(line, where)))  # fmt: skip
    numbers.k += len(sizes) - listed  # findings not listed still count
    return out


def find_signals(
    used: Sequence[Source], parameters: Mapping[str, float], max_lines: int = MAX_LINES
) -> tuple[list[Signal], int]:
    """Every 疑点提示 line of a merge's used files (findings numbered Y001… in a stable order,
    at most ``max_lines`` lines, then one that says how many were left out) and the number
    of findings."""
    who = _Who(used)
    numbers = _Numbers(max_lines)
    out: list[Signal] = []

    # each frame is made when it is needed and let go right after (a street's rows are many)
    out += _shared(_frame(who, "texts", ["sheet", "row", "column", "fp", "length"]), who, TEXT,
                   numbers, lambda x, where: (
        f"{LABELS[x.column]}与 {where}的文字相同（去除空格和标点后 {x.length} 字）"))  # fmt: skip
    out += _shared(_records(who), who, RECORD, numbers, lambda x, where: (
        f"本行与 {where}除序号外完全相同"))  # fmt: skip
    out += _bulk(who, numbers, int(parameters.get("bulk_entry_rows", 10)))
    out += _numbers(who, numbers)
    out += _shared(_frame(who, "phones", ["sheet", "row", "fp"]), who, PHONE, numbers,
                   lambda x, where: f"{SHEETS[x.sheet]}第 {x.row} 行与 {where}号码相同")  # fmt: skip
    out += _shared(_frame(who, "evidence", ["sheet", "row", "fp"]), who, EVIDENCE, numbers,
                   lambda x, where: f"佐证材料与 {where}的佐证材料相同")  # fmt: skip
    if numbers.left_out:
        out.append(Signal("", "（未列出）", "", "", "", None,
                          f"疑点过多：另有 {numbers.left_out:,} 行未列出（本表最多 {max_lines:,} 行），"
                          "请先核查以上各条"))  # fmt: skip
    return out, numbers.k


def _records(who: _Who) -> pd.DataFrame:
    """The rows' fingerprints, the sheet folded into the key: the same row of the same sheet."""
    records = _frame(who, "records", ["sheet", "row", "fp"])
    records["fp"] ^= records["sheet"].to_numpy().astype(np.int64) << 56
    return records


def _bulk(who: _Who, numbers: _Numbers, threshold: int) -> list[Signal]:
    """集中补录: ≥ ``threshold`` rows of one sheet with the same date in one community; found by
    one integer key (社区代码's rank, sheet, day) per row, in that order."""
    dates = _frame(who, "dates", ["sheet", "row", "date"])
    if dates.empty:
        return []
    day0 = int(dates["date"].min())  # the days from it fit in 24 bits (45,000 years)
    key = (
        (dates["code"].to_numpy().astype(np.int64) << 32)
        | (dates["sheet"].to_numpy().astype(np.int64) << 24)
        | (dates["date"].to_numpy().astype(np.int64) - day0)
    )
    rows = dates["row"]
    del dates
    sizes = rows.groupby(key).agg(["size", "min", "max"])  # sorted by the key
    bulk = sizes[sizes["size"] >= threshold]
    names = {c.code: c.name for c in who.used}
    out: list[Signal] = []
    for k, size, first, last in zip(
        bulk.index, bulk["size"], bulk["min"], bulk["max"], strict=True
    ):
        rank, sheet, day = k >> 32, (k >> 24) & 0xFF, (k & 0xFFFFFF) + day0
        number, code = numbers.next(), who.codes[rank]
        if numbers.room():
            out.append(Signal(number, BULK, code, names[code], SHEETS[sheet], int(first),
                              f"同一日期 {dt.date.fromordinal(int(day)):%Y-%m-%d} 登记了 "
                              f"{size} 行（第 {first}–{last} 行之间），请核实是否集中补录"))  # fmt: skip
    return out


def _numbers(who: _Who, numbers: _Numbers) -> list[Signal]:
    """数字不合常理: 受众人数 > 常住人口; 覆盖户数 summed > 2 × 辖区户数; 实训人数 > 常住人口."""
    out: list[Signal] = []
    counts = _frame(who, "numbers", ["sheet", "row", "column", "value"])
    if not counts.empty:
        population = np.array(
            [np.nan if c.facts.population is None else c.facts.population for c in who.used],
            dtype=np.float64,
        )
        counts["population"] = population[counts["who"].to_numpy()]
        over = counts[counts["value"] > counts["population"]].sort_values(["code", "sheet", "row"])
        for x in over.itertuples(index=False):
            c = who.used[x.who]
            number = numbers.next()
            if numbers.room():
                out.append(Signal(number, NUMBERS, c.code, c.name, SHEETS[x.sheet], int(x.row),
                                  f"{LABELS[x.column]} {int(x.value)} 超过辖区常住人口 "
                                  f"{int(x.population)}"))  # fmt: skip
    for c in who.used:
        facts = c.facts
        if not facts.households:
            continue
        for sheet, reached in sorted(facts.reached.items()):
            if reached > 2 * facts.households:
                number = numbers.next()
                if numbers.room():
                    out.append(Signal(number, NUMBERS, c.code, c.name, sheet, None,
                                      f"覆盖户数合计 {reached} 户，超过辖区户数 {facts.households} 的两倍"))  # fmt: skip
    return out
