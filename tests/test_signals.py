"""疑点提示 (review.md): each signal fires on a planted case and stays silent on clean communities.

Three clean sample communities are written as real workbooks, one case is planted with the sample's
own setter, and the real merge (workers, fingerprints, pandas) finds it. The 说明 texts and row
numbers below are worked out from the planted cells (data row k is Excel row k + 3).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xlhfjz.batch import merge_folder
from xlhfjz.office.fingerprints import Signal, Source, signal_facts, signal_sheets
from xlhfjz.sample import CommunitySample, default_basic, generate_community
from xlhfjz.xlsx.community import write_community_workbook
from xlhfjz.xlsx.files import validate_file
from xlhfjz.xlsx.summary import write_summary

A, B, C = "370303009001", "370303009002", "370303009003"
NAMES = {A: "华侨城社区", B: "柳泉社区", C: "杏园社区"}

pytest.importorskip("pandas")


def basic(k: int, code: str) -> dict:
    """Communities differ in size (the street's 公开信 is the same letter everywhere)."""
    return default_basic(NAMES[code], code, households=1100 + 70 * k)


def street(tmp_path: Path, plant: Callable[[dict[str, CommunitySample]], None]) -> list[Signal]:
    folder = tmp_path / "台账"
    folder.mkdir()
    samples = {
        code: generate_community(k + 7, basic(k, code), scale=0.6) for k, code in enumerate(NAMES)
    }
    plant(samples)
    for code, s in samples.items():
        write_community_workbook(folder / f"{code}.xlsx", basic=s.basic, data=s.data)
    result = merge_folder(folder, workers=1, signals=True)
    assert result.signals is not None
    out = write_summary(tmp_path / "汇总.xlsx", result)
    rows = list(load_workbook(out)["疑点提示"].iter_rows(values_only=True))
    assert rows[0] == ("编号", "类型", "社区代码", "社区名称", "台账", "行", "说明")
    assert [list(r) for r in rows[1:]] == [s.cells() for s in result.signals]
    for s in result.signals:  # never a phone number, whatever the signal
        assert not re.search(r"1\d{10}", s.note)
    return list(result.signals)


def lines(signals: list[Signal]) -> list[tuple[str, str, str, int | None, str]]:
    return [(s.number, s.kind, s.code, s.row, s.note) for s in signals]


def test_clean_communities_raise_no_signal(tmp_path: Path) -> None:
    assert street(tmp_path, lambda s: None) == []


def test_copied_free_text(tmp_path: Path) -> None:
    text = "组织辖区居民观看防范非法集资警示教育片，现场解答群众咨询"

    def plant(s: dict[str, CommunitySample]) -> None:
        s[A].set("宣传活动", 0, "theme", text)
        s[B].set("宣传活动", 2, "theme", text.replace("，", " ") + "。")

    # 组织辖区居民观看防范非法集资警示教育片 (19) + 现场解答群众咨询 (8) = 27 characters
    assert lines(street(tmp_path, plant)) == [
        ("Y001", "跨社区雷同文字", A, 3, f"活动主题与 {B} 宣传活动第 5 行的文字相同（去除空格和标点后 27 字）"),
        ("Y001", "跨社区雷同文字", B, 5, f"活动主题与 {A} 宣传活动第 3 行的文字相同（去除空格和标点后 27 字）"),
    ]  # fmt: skip


def test_short_texts_are_not_compared(tmp_path: Path) -> None:
    def plant(s: dict[str, CommunitySample]) -> None:  # 14 characters without punctuation
        s[A].set("宣传活动", 0, "theme", "防范非法集资宣传进社区活动，")
        s[B].set("宣传活动", 0, "theme", "防范非法集资宣传进社区活动")

    assert street(tmp_path, plant) == []


def test_identical_record(tmp_path: Path) -> None:
    def plant(s: dict[str, CommunitySample]) -> None:
        s[C].data["巡查"][1] = list(s[A].data["巡查"][4])

    assert lines(street(tmp_path, plant)) == [
        ("Y001", "跨社区雷同记录", A, 7, f"本行与 {C} 巡查第 4 行除序号外完全相同"),
        ("Y001", "跨社区雷同记录", C, 4, f"本行与 {A} 巡查第 7 行除序号外完全相同"),
    ]


def test_identical_record_in_a_file_without_the_remark_column(tmp_path: Path) -> None:
    """C's 巡查 has no 备注 column (it is optional); its row 4 is A's row 7, whose 备注 is
    empty: the same row all the same (fingerprinted alike whichever columns a file has)."""
    folder = tmp_path / "台账"
    folder.mkdir()
    samples = {
        code: generate_community(k + 7, basic(k, code), scale=0.6) for k, code in enumerate(NAMES)
    }
    samples[C].data["巡查"][1] = list(samples[A].data["巡查"][4])
    for code, s in samples.items():
        write_community_workbook(folder / f"{code}.xlsx", basic=s.basic, data=s.data)
    wb = load_workbook(folder / f"{C}.xlsx")
    ws = wb["巡查"]
    ws.delete_cols(next(c.column for c in ws[2] if c.value == "备注"))
    wb.save(folder / f"{C}.xlsx")

    result = merge_folder(folder, workers=1, signals=True)
    assert lines(list(result.signals or ())) == [
        ("Y001", "跨社区雷同记录", A, 7, f"本行与 {C} 巡查第 4 行除序号外完全相同"),
        ("Y001", "跨社区雷同记录", C, 4, f"本行与 {A} 巡查第 7 行除序号外完全相同"),
    ]


@pytest.mark.parametrize("rows, fires", [(10, True), (9, False)])
def test_bulk_entry(tmp_path: Path, rows: int, fires: bool) -> None:
    def plant(s: dict[str, CommunitySample]) -> None:
        day = s[B].data["巡查"][2][0]  # 巡查日期 is the sheet's first field
        for k in range(2, 2 + rows):
            s[B].data["巡查"][k][0] = day

    found = street(tmp_path, plant)
    if fires:
        day = generate_community(8, basic(1, B), scale=0.6).data["巡查"][2][0]
        assert lines(found) == [
            ("Y001", "集中补录", B, 5,
             f"同一日期 {day:%Y-%m-%d} 登记了 10 行（第 5–14 行之间），请核实是否集中补录"),
        ]  # fmt: skip
    else:
        assert found == []


def test_implausible_numbers(tmp_path: Path) -> None:
    def plant(s: dict[str, CommunitySample]) -> None:
        s[A].basic["population"] = 100
        s[A].set("宣传活动", 1, "audience", 101)  # > 常住人口
        s[A].set("宣传活动", 2, "audience", 100)  # = 常住人口: plausible
        s[B].basic["households"] = 500
        letters = s[B].data["公开信"]
        for k in range(len(letters)):
            s[B].set("公开信", k, "households_reached", 0)
        s[B].set("公开信", 0, "households_reached", 1001)  # Σ = 1001 > 2 × 500
        for k in range(len(s[B].data["联系卡"])):
            s[B].set("联系卡", k, "households_reached", 1000 if k == 0 else 0)  # Σ = 2 × 500: fine

    assert lines(street(tmp_path, plant)) == [
        ("Y001", "数字不合常理", A, 4, "受众人数 101 超过辖区常住人口 100"),
        ("Y002", "数字不合常理", B, None, "覆盖户数合计 1001 户，超过辖区户数 500 的两倍"),
    ]


def test_shared_mobile_number_is_not_shown(tmp_path: Path) -> None:
    def plant(s: dict[str, CommunitySample]) -> None:
        phone = s[C].data["志愿者"][5][[f for f in s[C].data["志愿者"][5]].index(
            next(v for v in s[C].data["志愿者"][5] if isinstance(v, str) and re.fullmatch(r"1\d{10}", v))
        )]  # fmt: skip
        k = (
            s[A]
            .data["志愿者"][1]
            .index(
                next(
                    v
                    for v in s[A].data["志愿者"][1]
                    if isinstance(v, str) and re.fullmatch(r"1\d{10}", v)
                )
            )
        )
        s[A].data["志愿者"][1][k] = phone

    assert lines(street(tmp_path, plant)) == [
        ("Y001", "跨社区同一号码", A, 4, f"志愿者第 4 行与 {C} 志愿者第 8 行号码相同"),
        ("Y001", "跨社区同一号码", C, 8, f"志愿者第 8 行与 {A} 志愿者第 4 行号码相同"),
    ]


def test_repeated_evidence(tmp_path: Path) -> None:
    def plant(s: dict[str, CommunitySample]) -> None:
        s[B].set("培训", 0, "evidence", "签到表照片存档第12号")
        s[C].set("宣传活动", 3, "evidence", "签到表、照片存档第12号")

    assert lines(street(tmp_path, plant)) == [
        ("Y001", "佐证材料重复", B, 3, f"佐证材料与 {C} 宣传活动第 6 行的佐证材料相同"),
        ("Y001", "佐证材料重复", C, 6, f"佐证材料与 {B} 培训第 3 行的佐证材料相同"),
    ]


def test_lines_past_the_cap_are_counted_not_listed(tmp_path: Path) -> None:
    """Three findings of two lines each (the same 巡查 row copied into C three times); with room
    for three lines only the first finding is listed, and the last line counts the other four."""
    from xlhfjz.analysis.signals import find_signals

    folder = tmp_path / "台账"
    folder.mkdir()
    samples = {
        code: generate_community(k + 7, basic(k, code), scale=0.6) for k, code in enumerate(NAMES)
    }
    for k in (4, 5, 6):  # A's 巡查 data rows 4–6 (Excel rows 7–9) become C's rows 1–3
        samples[C].data["巡查"][k - 3] = list(samples[A].data["巡查"][k])
    for code, s in samples.items():
        write_community_workbook(folder / f"{code}.xlsx", basic=s.basic, data=s.data)
    result = merge_folder(folder, workers=1, signals=True)
    assert result.signal_findings == 3 and len(result.signals or ()) == 6
    # found again by a worker process of the merge (its rows fingerprinted by their hash)
    pooled = merge_folder(folder, workers=2, signals=True)
    assert pooled.signal_findings == 3 and list(pooled.signals or ()) == list(result.signals)

    facts = {  # the rows fingerprinted by a digest here
        c.code: signal_facts(validate_file(c.result.path), signal_sheets())
        for c in result.communities
        if c.result is not None
    }
    used = [Source(code, NAMES[code], partial(facts.__getitem__, code)) for code in sorted(facts)]
    listed, findings = find_signals(used, {}, max_lines=3)
    assert findings == 3
    assert lines(listed) == [
        ("Y001", "跨社区雷同记录", A, 7, f"本行与 {C} 巡查第 4 行除序号外完全相同"),
        ("Y001", "跨社区雷同记录", C, 4, f"本行与 {A} 巡查第 7 行除序号外完全相同"),
        (
            "",
            "（未列出）",
            "",
            None,
            "疑点过多：另有 4 行未列出（本表最多 3 行），请先核查以上各条",
        ),
    ]


def test_parts_give_the_same_lines(tmp_path: Path) -> None:
    """A city's facts are looked at in parts (by fingerprint, and by ranges of 社区代码 for the
    dates and counts): any number of parts gives the same lines, in the same order."""
    from xlhfjz.analysis.signals import find_signals

    folder = tmp_path / "台账"
    folder.mkdir()
    samples = {
        code: generate_community(k + 7, basic(k, code), scale=0.6) for k, code in enumerate(NAMES)
    }
    text = "组织辖区居民观看防范非法集资警示教育片，现场解答群众咨询"
    samples[A].set("宣传活动", 0, "theme", text)  # 跨社区雷同文字
    samples[B].set("宣传活动", 2, "theme", text + "。")
    for k in (1, 4):  # 跨社区雷同记录, twice
        samples[C].data["巡查"][k] = list(samples[A].data["巡查"][k + 3])
    day = samples[B].data["巡查"][2][0]  # 集中补录
    for k in range(2, 12):
        samples[B].data["巡查"][k][0] = day
    samples[A].basic["population"] = 100  # 数字不合常理
    samples[A].set("宣传活动", 1, "audience", 101)
    samples[B].set("培训", 0, "evidence", "签到表照片存档第12号")  # 佐证材料重复
    samples[C].set("宣传活动", 3, "evidence", "签到表、照片存档第12号")
    for code, s in samples.items():
        write_community_workbook(folder / f"{code}.xlsx", basic=s.basic, data=s.data)
    facts = {
        code: signal_facts(validate_file(folder / f"{code}.xlsx"), signal_sheets())
        for code in NAMES
    }
    used = [Source(code, NAMES[code], partial(facts.__getitem__, code)) for code in NAMES]

    whole, findings = find_signals(used, {})
    kinds = ["跨社区雷同文字", "跨社区雷同记录", "集中补录", "数字不合常理", "佐证材料重复"]
    assert list(dict.fromkeys(s.kind for s in whole)) == kinds  # each kind, in this order
    assert sum(s.kind == "跨社区雷同记录" for s in whole) == 4
    assert findings == len({s.number for s in whole}) >= 6
    for parts in (2, 3, 7):
        assert find_signals(used, {}, parts=parts) == (whole, findings)
