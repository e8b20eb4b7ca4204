"""疑点提示 (review.md): six signals over every community at once, with pandas doing the group-bys.

Input: each used file's :class:`~xlhfjz.office.fingerprints.SignalFacts` (fingerprints, dates and
counts taken in the merge's workers). Output: :class:`~xlhfjz.office.fingerprints.Signal` lines —
warnings for a human, never a verdict, never a score. A 说明 names sheets, rows, columns and
counts; it never quotes a text, a number of a personal column or anything from 线索 / 重点人员.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from xlhfjz.office.fingerprints import Signal
from xlhfjz.office.summary import Community

TEXT = "跨社区雷同文字"
RECORD = "跨社区雷同记录"
BULK = "集中补录"
NUMBERS = "数字不合常理"
PHONE = "跨社区同一号码"
EVIDENCE = "佐证材料重复"
KINDS = (TEXT, RECORD, BULK, NUMBERS, PHONE, EVIDENCE)


def _frame(communities: Sequence[Community], attr: str, columns: list[str]) -> pd.DataFrame:
    """One kind of facts of every community as one frame (built column by column: fast)."""
    codes: list[str] = []
    names: list[str] = []
    cols: list[list[Any]] = [[] for _ in columns]
    for c in communities:
        facts = c.result.facts if c.result else None
        given = getattr(facts, attr) if facts is not None else None
        if not given or not given[0]:
            continue
        codes += [c.code] * len(given[0])
        names += [c.name] * len(given[0])
        for k, values in enumerate(given):
            cols[k].extend(values)
    data: dict[str, Any] = {"code": codes, "name": names}
    for label, values in zip(columns, cols, strict=True):
        if label in ("fp", "row", "length", "value"):
            data[label] = np.asarray(values, dtype=np.int64)
        else:
            data[label] = values
    return pd.DataFrame(data)


class _Numbers:
    def __init__(self) -> None:
        self.k = 0

    def next(self) -> str:
        self.k += 1
        return f"Y{self.k:03d}"


def _shared(
    df: pd.DataFrame, kind: str, numbers: _Numbers, describe: Any, keys: Sequence[str] = ("fp",)
) -> list[Signal]:
    """One finding per fingerprint seen in two or more communities; one line per row. Findings
    are numbered in the order of their first row (社区代码, 台账, 行)."""
    if df.empty:
        return []
    keys = list(keys)
    spread = df.groupby(keys, sort=False)["code"].transform("nunique")
    hits = df[spread.to_numpy() >= 2]
    if hits.empty:
        return []
    hits = hits.sort_values(["code", "sheet", "row"], kind="stable")
    groups: dict[Any, list[Any]] = {}  # insertion order = order of the first rows
    for line in hits.itertuples(index=False):
        groups.setdefault(tuple(getattr(line, k) for k in keys), []).append(line)
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
            where = "、".join(f"{o.code} {o.sheet}第 {o.row} 行" for o in others)
            n_others = len(lines) - per_code[line.code]
            if n_others > 3:
                where += f" 等 {n_others} 处"
            out.append(Signal(number, kind, line.code, line.name, line.sheet, int(line.row),
                              describe(line, where)))  # fmt: skip
    return out


def find_signals(communities: Sequence[Community], parameters: Mapping[str, float]) -> list[Signal]:
    """Every 疑点提示 of a merge's used files, numbered Y001… in a stable order."""
    used = [c for c in communities if c.result is not None and c.result.facts is not None]
    numbers = _Numbers()
    out: list[Signal] = []

    texts = _frame(used, "texts", ["sheet", "row", "column", "fp", "length"])
    out += _shared(texts, TEXT, numbers, lambda x, where: (
        f"{x.column}与 {where}的文字相同（去除空格和标点后 {x.length} 字）"))  # fmt: skip

    records = _frame(used, "records", ["sheet", "row", "fp"])  # the same row of the same sheet
    out += _shared(records, RECORD, numbers, lambda x, where: (
        f"本行与 {where}除序号外完全相同"), keys=("sheet", "fp"))  # fmt: skip

    dates = _frame(used, "dates", ["sheet", "row", "date"])
    threshold = int(parameters.get("bulk_entry_rows", 10))
    if not dates.empty:
        sizes = dates.groupby(["code", "sheet", "date"])["row"].agg(["size", "min", "max"])
        names = {c.code: c.name for c in used}
        bulk = sizes[sizes["size"] >= threshold].sort_index()
        for (code, sheet, day), size, first, last in zip(
            bulk.index, bulk["size"], bulk["min"], bulk["max"], strict=True
        ):
            out.append(Signal(numbers.next(), BULK, code, names[code], sheet, int(first),
                              f"同一日期 {day:%Y-%m-%d} 登记了 {size} 行（第 {first}"
                              f"–{last} 行之间），请核实是否集中补录"))  # fmt: skip

    out += _numbers(used, numbers)

    phones = _frame(used, "phones", ["sheet", "row", "fp"])
    out += _shared(phones, PHONE, numbers, lambda x, where: (
        f"{x.sheet}第 {x.row} 行与 {where}号码相同"))  # fmt: skip

    evidence = _frame(used, "evidence", ["sheet", "row", "fp"])
    out += _shared(evidence, EVIDENCE, numbers, lambda x, where: (
        f"佐证材料与 {where}的佐证材料相同"))  # fmt: skip
    return out


def _numbers(used: Sequence[Community], numbers: _Numbers) -> list[Signal]:
    """数字不合常理: 受众人数 > 常住人口; 覆盖户数 summed > 2 × 辖区户数; 实训人数 > 常住人口."""
    out: list[Signal] = []
    counts = _frame(used, "numbers", ["sheet", "row", "column", "value"])
    population = pd.Series(
        {c.code: c.result.facts.population for c in used if c.result and c.result.facts},
        dtype="Float64",
    )
    if not counts.empty:
        counts["population"] = counts["code"].map(population).astype("Float64")
        over = counts[counts["value"] > counts["population"]].sort_values(["code", "sheet", "row"])
        for x in over.itertuples(index=False):
            out.append(Signal(numbers.next(), NUMBERS, x.code, x.name, x.sheet, int(x.row),
                              f"{x.column} {x.value} 超过辖区常住人口 {int(x.population)}"))  # fmt: skip
    for c in used:
        facts = c.result.facts if c.result else None
        if facts is None or not facts.households:
            continue
        for sheet, reached in sorted(facts.reached.items()):
            if reached > 2 * facts.households:
                out.append(Signal(numbers.next(), NUMBERS, c.code, c.name, sheet, None,
                                  f"覆盖户数合计 {reached} 户，超过辖区户数 {facts.households} 的两倍"))  # fmt: skip
    return out
