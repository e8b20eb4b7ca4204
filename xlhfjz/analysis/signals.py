"""疑点提示 (review.md): six signals over every community at once, with pandas doing the group-bys.

Input: each used file's :class:`~xlhfjz.office.fingerprints.SignalFacts` (fingerprints, dates and
counts taken in the merge's workers). Output: :class:`~xlhfjz.office.fingerprints.Signal` lines —
warnings for a human, never a verdict, never a score. A 说明 names sheets, rows, columns and
counts; it never quotes a text, a number of a personal column or anything from 线索 / 重点人员.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
    rows: list[tuple[Any, ...]] = []
    for c in communities:
        facts = c.result.facts if c.result else None
        if facts is None:
            continue
        for t in getattr(facts, attr):
            rows.append((c.code, c.name, *t))
    return pd.DataFrame(rows, columns=["code", "name", *columns])


class _Numbers:
    def __init__(self) -> None:
        self.k = 0

    def next(self) -> str:
        self.k += 1
        return f"Y{self.k:03d}"


def _shared(
    df: pd.DataFrame, kind: str, numbers: _Numbers, describe: Any, key: str = "fp"
) -> list[Signal]:
    """One finding per fingerprint seen in two or more communities; one line per row."""
    if df.empty:
        return []
    spread = df.groupby(key)["code"].nunique()
    hits = df[df[key].isin(spread[spread >= 2].index)]
    out: list[Signal] = []
    for _, group in sorted(hits.groupby(key), key=lambda kv: _first(kv[1])):
        group = group.sort_values(["code", "sheet", "row"])
        number = numbers.next()
        lines = list(group.itertuples(index=False))
        for line in lines:
            others = [o for o in lines if o.code != line.code]
            where = "、".join(f"{o.code} {o.sheet}第 {o.row} 行" for o in others[:3])
            if len(others) > 3:
                where += f" 等 {len(others)} 处"
            out.append(Signal(number, kind, line.code, line.name, line.sheet, int(line.row),
                              describe(line, where)))  # fmt: skip
    return out


def _first(group: pd.DataFrame) -> tuple[str, str, int]:
    row = group.sort_values(["code", "sheet", "row"]).iloc[0]
    return (row["code"], row["sheet"], int(row["row"]))


def find_signals(communities: Sequence[Community], parameters: Mapping[str, float]) -> list[Signal]:
    """Every 疑点提示 of a merge's used files, numbered Y001… in a stable order."""
    used = [c for c in communities if c.result is not None and c.result.facts is not None]
    numbers = _Numbers()
    out: list[Signal] = []

    texts = _frame(used, "texts", ["sheet", "row", "column", "fp", "length"])
    out += _shared(texts, TEXT, numbers, lambda x, where: (
        f"{x.column}与 {where}的文字相同（去除空格和标点后 {x.length} 字）"))  # fmt: skip

    records = _frame(used, "records", ["sheet", "row", "fp"])
    if not records.empty:  # the same row within a sheet, across communities
        records["fp"] = records["sheet"] + ":" + records["fp"].astype(str)
    out += _shared(records, RECORD, numbers, lambda x, where: (
        f"本行与 {where}除序号外完全相同"))  # fmt: skip

    dates = _frame(used, "dates", ["sheet", "row", "date"])
    threshold = int(parameters.get("bulk_entry_rows", 10))
    if not dates.empty:
        sizes = dates.groupby(["code", "sheet", "date"])["row"].agg(["size", "min", "max"])
        for (code, sheet, day), agg in sizes[sizes["size"] >= threshold].sort_index().iterrows():
            name = next(c.name for c in used if c.code == code)
            out.append(Signal(numbers.next(), BULK, code, name, sheet, int(agg["min"]),
                              f"同一日期 {day:%Y-%m-%d} 登记了 {agg['size']} 行（第 {agg['min']}"
                              f"–{agg['max']} 行之间），请核实是否集中补录"))  # fmt: skip

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
