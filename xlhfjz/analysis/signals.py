"""疑点提示 (review.md): six signals over every community at once, with pandas doing the group-bys.

Input: each used file's :class:`~xlhfjz.office.fingerprints.SignalFacts` (fingerprints, dates and
counts taken in the merge's workers). Output: :class:`~xlhfjz.office.fingerprints.Signal` lines —
warnings for a human, never a verdict, never a score. A 说明 names sheets, rows, columns and
counts; it never quotes a text, a number of a personal column or anything from 线索 / 重点人员.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
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
        # 基本信息's numbers and the sums of 覆盖户数, as :func:`_parts` first reads the facts
        self.population = np.full(len(used), np.nan)
        self.households: list[int | None] = [None] * len(used)
        self.reached: list[dict[str, int]] = [{} for _ in used]


#: The arrays' types of each kind of facts (:class:`~xlhfjz.office.fingerprints.SignalFacts`).
_DTYPES = {"B": np.uint8, "i": np.int32, "q": np.int64, "d": np.float64}


#: Each kind of facts' columns (:class:`~xlhfjz.office.fingerprints.SignalFacts`).
_FACTS = {
    "texts": ["sheet", "row", "column", "fp", "length"],
    "records": ["sheet", "row", "fp"],
    "phones": ["sheet", "row", "fp"],
    "evidence": ["sheet", "row", "fp"],
    "dates": ["sheet", "row", "date"],
    "numbers": ["sheet", "row", "column", "value"],
}


def _parts(who: _Who, parts: int) -> Iterator[dict[str, pd.DataFrame]]:
    """Every community's facts as one frame per kind, in ``parts`` parts (a city's do not fit
    in memory at once; each community's facts are read once a part). A part holds the rows
    whose fingerprint is the part's number modulo ``parts`` — every row of a finding of two
    communities shares its fingerprint — and the dates and counts of the communities whose
    社区代码 ranks in the part's range. A row of a frame says where it came from: ``who``,
    ``code`` (:class:`_Who`) and ``seq`` (its place in the community's facts, in order)."""
    codes = max(len(who.codes), 1)
    for part in range(parts):
        given: dict[str, list[list[Any]]] = {attr: [] for attr in _FACTS}
        for k, c in enumerate(who.used):
            facts = c.facts()
            if part == 0:
                who.population[k] = np.nan if facts.population is None else facts.population
                who.households[k], who.reached[k] = facts.households, facts.reached
            mine = int(who.rank[k]) * parts // codes == part
            for attr, columns in _FACTS.items():
                arrays = [np.frombuffer(a, dtype=_DTYPES[a.typecode]) for a in getattr(facts, attr)]
                n = len(arrays[0])
                if not n or ("fp" not in columns and not mine):
                    continue
                seq = np.arange(n, dtype=np.int64) | (k << 32)
                if "fp" in columns and parts > 1:
                    keep = arrays[columns.index("fp")] % parts == part
                    arrays, seq = [a[keep] for a in arrays], seq[keep]
                given[attr].append([np.full(len(seq), k, dtype=np.int32), seq, *arrays])
            del facts
        yield {attr: _frame(who, columns, given.pop(attr)) for attr, columns in _FACTS.items()}


def _frame(who: _Who, columns: list[str], given: list[list[Any]]) -> pd.DataFrame:
    """One kind of facts as one frame: the (who, seq, *columns) arrays of each community."""
    if not given:
        return pd.DataFrame({name: [] for name in ("who", "code", "seq", *columns)})
    joined = [np.concatenate(part) for part in zip(*given, strict=True)]
    given.clear()
    data: dict[str, Any] = {"who": joined[0], "code": who.rank[joined[0]], "seq": joined[1]}
    data.update(zip(columns, joined[2:], strict=True))
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


def _in_two(df: pd.DataFrame) -> pd.DataFrame:
    """The rows whose fingerprint (``fp``) is seen in two or more communities: the lowest and
    the highest 社区代码 of its rows differ."""
    if df.empty:
        return df
    codes = df.groupby("fp", sort=False)["code"]
    return df[codes.transform("min").to_numpy() != codes.transform("max").to_numpy()]


def _shared(
    found: list[pd.DataFrame],
    who: _Who,
    kind: str,
    numbers: _Numbers,
    describe: Any,
) -> list[Signal]:
    """One finding per fingerprint seen in two or more communities (``found``: their rows, by
    :func:`_in_two`, part by part); one line per row. Findings are numbered in the order of
    their first row (社区代码, 台账, 行)."""
    found = [df for df in found if not df.empty]
    if not found:
        return []
    hits = pd.concat(found, ignore_index=True) if len(found) > 1 else found[0]
    hits = hits.sort_values(["code", "sheet", "row", "seq"])  # seq: as the facts were taken
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
    used: Sequence[Source],
    parameters: Mapping[str, float],
    max_lines: int = MAX_LINES,
    parts: int = 1,
) -> tuple[list[Signal], int]:
    """Every 疑点提示 line of a merge's used files (findings numbered Y001… in a stable order,
    at most ``max_lines`` lines, then one that says how many were left out) and the number
    of findings. The facts are looked at in ``parts`` parts (:func:`_parts`): the lines are
    the same, the memory a part's."""
    who = _Who(used)
    threshold = int(parameters.get("bulk_entry_rows", 10))
    shared: dict[str, list[pd.DataFrame]] = {kind: [] for kind in _SHARED}
    bulk: list[pd.DataFrame] = []
    over: list[pd.DataFrame] = []
    for frames in _parts(who, parts):  # each frame let go after use: a street's rows are many
        for kind, attr in _SHARED.items():
            df = frames.pop(attr)
            if attr == "records":  # the sheet folded into the key: the same row of the same sheet
                df["fp"] ^= df["sheet"].to_numpy().astype(np.int64) << 56
            shared[kind].append(_in_two(df))
            del df
        bulk.append(_bulk_groups(frames.pop("dates"), threshold))
        over.append(_over(frames.pop("numbers"), who))
    numbers = _Numbers(max_lines)
    out: list[Signal] = []
    out += _shared(shared.pop(TEXT), who, TEXT, numbers, lambda x, where: (
        f"{LABELS[x.column]}与 {where}的文字相同（去除空格和标点后 {x.length} 字）"))  # fmt: skip
    out += _shared(shared.pop(RECORD), who, RECORD, numbers, lambda x, where: (
        f"本行与 {where}除序号外完全相同"))  # fmt: skip
    out += _bulk(bulk, who, numbers)
    out += _numbers(over, who, numbers)
    out += _shared(shared.pop(PHONE), who, PHONE, numbers,
                   lambda x, where: f"{SHEETS[x.sheet]}第 {x.row} 行与 {where}号码相同")  # fmt: skip
    out += _shared(shared.pop(EVIDENCE), who, EVIDENCE, numbers,
                   lambda x, where: f"佐证材料与 {where}的佐证材料相同")  # fmt: skip
    if numbers.left_out:
        out.append(Signal("", "（未列出）", "", "", "", None,
                          f"疑点过多：另有 {numbers.left_out:,} 行未列出（本表最多 {max_lines:,} 行），"
                          "请先核查以上各条"))  # fmt: skip
    return out, numbers.k


#: The signals found in two communities, and the facts each compares.
_SHARED = {TEXT: "texts", RECORD: "records", PHONE: "phones", EVIDENCE: "evidence"}


def _bulk_groups(dates: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """集中补录's groups in these dates: ≥ ``threshold`` rows of one sheet with the same date in
    one community, as (code, sheet, date, size, min, max) sorted by the first three; found by
    one integer key (社区代码's rank, sheet, day) per row."""
    if dates.empty:
        return pd.DataFrame()
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
    k = bulk.index.to_numpy()
    return pd.DataFrame({
        "code": k >> 32, "sheet": (k >> 24) & 0xFF, "date": (k & 0xFFFFFF) + day0,
        "size": bulk["size"].to_numpy(), "min": bulk["min"].to_numpy(),
        "max": bulk["max"].to_numpy(),
    })  # fmt: skip


def _over(counts: pd.DataFrame, who: _Who) -> pd.DataFrame:
    """The counts over their community's 常住人口, by 社区代码, 台账, 行."""
    if counts.empty:
        return counts
    counts["population"] = who.population[counts["who"].to_numpy()]
    return counts[counts["value"] > counts["population"]].sort_values(["code", "sheet", "row"])


def _bulk(found: list[pd.DataFrame], who: _Who, numbers: _Numbers) -> list[Signal]:
    """集中补录 lines of :func:`_bulk_groups`' groups, part by part (the parts' ranges of
    社区代码 follow one another)."""
    names = {c.code: c.name for c in who.used}
    out: list[Signal] = []
    for bulk in found:
        if bulk.empty:
            continue
        for rank, sheet, day, size, first, last in zip(
            bulk["code"],
            bulk["sheet"],
            bulk["date"],
            bulk["size"],
            bulk["min"],
            bulk["max"],
            strict=True,
        ):
            number, code = numbers.next(), who.codes[rank]
            if numbers.room():
                out.append(Signal(number, BULK, code, names[code], SHEETS[sheet], int(first),
                                  f"同一日期 {dt.date.fromordinal(int(day)):%Y-%m-%d} 登记了 "
                                  f"{size} 行（第 {first}–{last} 行之间），请核实是否集中补录"))  # fmt: skip
    return out


def _numbers(found: list[pd.DataFrame], who: _Who, numbers: _Numbers) -> list[Signal]:
    """数字不合常理: 受众人数 or 实训人数 > 常住人口 (:func:`_over`, part by part); 覆盖户数
    summed > 2 × 辖区户数."""
    out: list[Signal] = []
    for over in found:
        for x in over.itertuples(index=False):
            c = who.used[x.who]
            number = numbers.next()
            if numbers.room():
                out.append(Signal(number, NUMBERS, c.code, c.name, SHEETS[x.sheet], int(x.row),
                                  f"{LABELS[x.column]} {int(x.value)} 超过辖区常住人口 "
                                  f"{int(x.population)}"))  # fmt: skip
    for c, households, reached_in in zip(who.used, who.households, who.reached, strict=True):
        if not households:
            continue
        for sheet, reached in sorted(reached_in.items()):
            if reached > 2 * households:
                number = numbers.next()
                if numbers.room():
                    out.append(Signal(number, NUMBERS, c.code, c.name, sheet, None,
                                      f"覆盖户数合计 {reached} 户，超过辖区户数 {households} 的两倍"))  # fmt: skip
    return out
