"""Row rules and sheet rules against the sheet rules of ledgers.md.

The rule instances are the schema's own; every expected finding is worked out by hand from the
spec. A finding is compared as ``(field id, code, severity)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest

from xlhfjz.model import rules as r
from xlhfjz.model import schema
from xlhfjz.model.issues import E, W
from xlhfjz.model.rules import INVALID, Context

D = dt.date


def _labels(sheet_id: str) -> dict[str, str]:
    return {f.id: f.label for f in schema.BY_ID[sheet_id].fields}


def row_findings(sheet_id: str, values: Mapping[str, Any]) -> list[tuple[Any, str, str]]:
    """All row rules of a sheet on one row, as sorted (field, code, severity)."""
    sheet = schema.BY_ID[sheet_id]
    labels = _labels(sheet_id)
    out = [
        (fid, code, sev)
        for rule in sheet.row_rules
        for fid, code, sev, _ in rule.check(values, labels)
    ]
    return sorted(out, key=repr)


def messages(findings: Iterable[tuple[Any, str, str, str]]) -> list[str]:
    return [m for *_, m in findings]


def sheet_findings(
    sheet_id: str, rows: Sequence[Mapping[str, Any]], ctx: Context
) -> list[tuple[Any, str, str, str]]:
    sheet = schema.BY_ID[sheet_id]
    return [f for rule in sheet.sheet_rules for f in rule.check(rows, ctx)]


def codes(findings: Iterable[tuple[Any, str, str, str]]) -> list[tuple[str, str]]:
    return [(code, sev) for _, code, sev, _ in findings]


# ── Order (date-order, E) ───────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("appointed", "replaced", "expected"),
    [
        (D(2020, 6, 15), D(2020, 6, 14), [("replaced", "date-order", E)]),
        (D(2020, 6, 15), D(2020, 6, 15), []),  # equal is fine (≥)
        (D(2020, 6, 15), D(2020, 6, 16), []),
        (D(2020, 6, 15), None, []),
        (None, D(2020, 6, 14), []),
        (D(2020, 6, 15), INVALID, []),
        (INVALID, D(2020, 6, 14), []),
    ],
)
def test_liaison_replaced_not_before_appointed(
    appointed: Any, replaced: Any, expected: list[Any]
) -> None:
    assert row_findings("liaison", {"appointed": appointed, "replaced": replaced}) == expected


@pytest.mark.parametrize(
    ("start", "end", "report", "expected"),
    [
        (D(2020, 6, 1), D(2020, 12, 31), D(2020, 10, 1), []),
        # 创建截止日期 > 创建开始日期 is strict: equal is an error.
        (D(2020, 6, 1), D(2020, 6, 1), D(2020, 6, 1), [("period_end", "date-order", E)]),
        (D(2020, 6, 1), D(2020, 5, 31), D(2020, 6, 1), [("period_end", "date-order", E)]),
        # 报送日期 ≥ 创建开始日期: equal fine, before is an error.
        (D(2020, 6, 1), D(2020, 12, 31), D(2020, 6, 1), []),
        (D(2020, 6, 1), D(2020, 12, 31), D(2020, 5, 31), [("report_date", "date-order", E)]),
        (
            D(2020, 6, 1),
            D(2020, 5, 1),
            D(2020, 5, 31),
            [("period_end", "date-order", E), ("report_date", "date-order", E)],
        ),
        (None, D(2020, 5, 1), D(2020, 5, 31), []),
    ],
)
def test_basic_info_period_order(start: Any, end: Any, report: Any, expected: list[Any]) -> None:
    values = {"period_start": start, "period_end": end, "report_date": report}
    assert row_findings("basic_info", values) == expected


def test_order_strict_flag_controls_equal_dates() -> None:
    labels = {"a": "甲日期", "b": "乙日期"}
    day = D(2020, 6, 15)
    assert codes(r.Order("a", "b").check({"a": day, "b": day}, labels)) == []
    assert codes(r.Order("a", "b", strict=True).check({"a": day, "b": day}, labels)) == [
        ("date-order", E)
    ]


def test_order_message_names_both_dates() -> None:
    (finding,) = r.Order("replaced", "appointed").check(
        {"appointed": D(2020, 6, 15), "replaced": D(2020, 6, 14)}, _labels("liaison")
    )
    assert "更换日期" in finding[3] and "确定日期" in finding[3]
    assert "2020-06-15" in finding[3] and "2020-06-14" in finding[3]


@pytest.mark.parametrize(
    ("sheet_id", "later", "earlier"),
    [
        ("responsibility_letters", "valid_until", "sign_date"),
        ("leads", "reported", "received"),
        ("leads", "closed", "received"),
        ("mechanisms", "last_exercised", "established"),
        ("screenings", "recheck", "screen_date"),
    ],
)
@pytest.mark.parametrize(
    ("later_day", "expected_code"),
    [(14, "date-order"), (15, None), (16, None)],
)
def test_other_date_orders(
    sheet_id: str, later: str, earlier: str, later_day: int, expected_code: str | None
) -> None:
    values = {earlier: D(2020, 6, 15), later: D(2020, 6, later_day)}
    expected = [(later, expected_code, E)] if expected_code else []
    assert row_findings(sheet_id, values) == expected


# ── Compare (inconsistent) ──────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # 实训人数 ≤ 应训人数 (E)
        ({"expected": 10, "attended": 10}, []),
        ({"expected": 10, "attended": 9}, []),
        ({"expected": 10, "attended": 11}, [("attended", "inconsistent", E)]),
        ({"expected": None, "attended": 11}, []),  # blank other field → no finding
        ({"expected": INVALID, "attended": 11}, []),
        ({"expected": 10, "attended": None}, []),
        ({"expected": 10, "attended": INVALID}, []),
        # 时长 > 8 is W (constant operand)
        ({"hours": 8.0}, []),
        ({"hours": 1.5}, []),
        ({"hours": 8.5}, [("hours", "inconsistent", W)]),
        ({"hours": 24.0}, [("hours", "inconsistent", W)]),
        ({"hours": None}, []),
        ({"hours": INVALID}, []),
        (
            {"expected": 10, "attended": 12, "hours": 9.0},
            [("attended", "inconsistent", E), ("hours", "inconsistent", W)],
        ),
    ],
)
def test_trainings_compare(values: dict[str, Any], expected: list[Any]) -> None:
    assert row_findings("trainings", values) == expected


@pytest.mark.parametrize(
    ("households", "population", "expected"),
    [
        (100, 300, []),
        (100, 100, []),
        (100, 99, [("population", "inconsistent", W)]),
        (100, None, []),  # 常住人口 is optional
        (None, 99, []),
        (INVALID, 99, []),
        (100, INVALID, []),
    ],
)
def test_basic_info_population_not_below_households(
    households: Any, population: Any, expected: list[Any]
) -> None:
    values = {"households": households, "population": population}
    assert row_findings("basic_info", values) == expected


@pytest.mark.parametrize(
    ("reached", "cards", "expected"),
    [
        (50, 50, []),
        (50, 60, []),
        (50, 49, [("cards", "inconsistent", W)]),
        (None, 49, []),
        (50, None, []),
    ],
)
def test_contact_cards_not_fewer_than_households(
    reached: Any, cards: Any, expected: list[Any]
) -> None:
    values = {"households_reached": reached, "cards": cards}
    assert row_findings("contact_cards", values) == expected


def test_compare_with_constant_and_field_directly() -> None:
    labels = {"a": "甲", "b": "乙"}
    rule_const = r.Compare("a", ">", 0, W, "应大于0")
    assert codes(rule_const.check({"a": 1}, labels)) == []
    assert codes(rule_const.check({"a": 0}, labels)) == [("inconsistent", W)]
    rule_field = r.Compare("a", "<=", "b", E, "甲不超过乙")
    assert codes(rule_field.check({"a": 3, "b": 3}, labels)) == []
    assert codes(rule_field.check({"a": 4, "b": 3}, labels)) == [("inconsistent", E)]
    assert codes(rule_field.check({"a": 4}, labels)) == []  # other field blank
    (finding,) = rule_field.check({"a": 4, "b": 3}, labels)
    assert finding == ("a", "inconsistent", E, "甲不超过乙")


# ── IfHas + Compare (宣传活动) ────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # 发放传单 → 发放资料份数 > 0 (W); a blank count counts as 0.
        ({"forms": ("发放传单",), "materials": 200}, []),
        ({"forms": ("发放传单",), "materials": 1}, []),
        ({"forms": ("发放传单",), "materials": 0}, [("materials", "inconsistent", W)]),
        ({"forms": ("发放传单",), "materials": None}, [("materials", "inconsistent", W)]),
        ({"forms": ("发放传单",), "materials": INVALID}, []),
        ({"forms": ("张贴海报",), "materials": 0}, []),
        ({"forms": ("张贴海报",), "materials": None}, []),
        ({"forms": INVALID, "materials": 0}, []),
        ({"forms": None, "materials": 0}, []),
        # 悬挂横幅 → 横幅条数 ≥ 1 (W)
        ({"forms": ("悬挂横幅",), "banners": 1}, []),
        ({"forms": ("悬挂横幅",), "banners": 0}, [("banners", "inconsistent", W)]),
        ({"forms": ("悬挂横幅",), "banners": None}, [("banners", "inconsistent", W)]),
        ({"forms": ("发放传单",), "banners": 0, "materials": 5}, []),
        (
            {"forms": ("张贴海报", "发放传单", "悬挂横幅")},
            [("banners", "inconsistent", W), ("materials", "inconsistent", W)],
        ),
        # 咨询人次 ≤ 受众人数 (W)
        ({"audience": 100, "consultations": 100}, []),
        ({"audience": 100, "consultations": 101}, [("consultations", "inconsistent", W)]),
        ({"audience": 100, "consultations": None}, []),
        ({"audience": None, "consultations": 101}, []),
    ],
)
def test_publicity_rules(values: dict[str, Any], expected: list[Any]) -> None:
    assert row_findings("publicity", values) == expected


# ── 风险排查: SensitiveName, Exclusive, CalmButRisky, ReportedLate ─────────────────────────────

CALM = ("未发现异常",)


@pytest.mark.parametrize(
    ("name", "flag", "expected"),
    [
        ("鑫盛财富管理有限公司", "否", [("sensitive_name", "inconsistent", W)]),
        ("鑫盛财富管理有限公司", "是", []),
        ("鑫盛商贸有限公司", "否", []),
        ("鑫盛商贸有限公司", "是", []),
        ("华信金融服务有限公司", "否", [("sensitive_name", "inconsistent", W)]),
        ("齐鲁文化艺术品交易所", "否", [("sensitive_name", "inconsistent", W)]),
        ("淄博大宗商品交易中心", "否", [("sensitive_name", "inconsistent", W)]),
        ("安心理财工作室", "否", [("sensitive_name", "inconsistent", W)]),
        ("众筹天下股权众筹平台", "否", [("sensitive_name", "inconsistent", W)]),
        ("鑫盛财富管理有限公司", None, []),
        ("鑫盛财富管理有限公司", INVALID, []),
        (None, "否", []),
    ],
)
def test_sensitive_name(name: Any, flag: Any, expected: list[Any]) -> None:
    values = {"target_name": name, "sensitive_name": flag}
    assert row_findings("screenings", values) == expected


def test_sensitive_name_message_names_the_word() -> None:
    rule = next(x for x in schema.BY_ID["screenings"].row_rules if isinstance(x, r.SensitiveName))
    values = {"target_name": "鑫盛财富管理有限公司", "sensitive_name": "否"}
    (message,) = messages(rule.check(values, _labels("screenings")))
    assert "财富管理" in message


def test_sensitive_words_are_the_spec_list() -> None:
    rule = next(x for x in schema.BY_ID["screenings"].row_rules if isinstance(x, r.SensitiveName))
    assert set(rule.words) == {"金融", "交易所", "交易中心", "理财", "财富管理", "股权众筹"}


@pytest.mark.parametrize(
    ("findings", "level", "expected"),
    [
        (CALM, "无", []),
        (CALM, "低", []),
        (CALM, "中", [("risk_level", "inconsistent", W)]),
        (CALM, "高", [("risk_level", "inconsistent", W)]),
        (("承诺高额回报",), "高", []),
        (("承诺高额回报", "其他"), "中", []),
        # 未发现异常 with anything else is E (and then it is not "only 未发现异常").
        (("未发现异常", "其他"), "无", [("findings", "inconsistent", E)]),
        (("其他", "未发现异常"), "低", [("findings", "inconsistent", E)]),
        (("未发现异常", "承诺高额回报"), "高", [("findings", "inconsistent", E)]),
        (CALM, None, []),
        (CALM, INVALID, []),
        (INVALID, "高", []),
        (None, "高", []),
    ],
)
def test_findings_and_risk_level(findings: Any, level: Any, expected: list[Any]) -> None:
    values = {"findings": findings, "risk_level": level}
    assert row_findings("screenings", values) == expected


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        (D(2020, 6, 15), []),  # same day
        (D(2020, 6, 16), []),  # 1 day later: fine
        (D(2020, 6, 17), [("reported", "inconsistent", W)]),  # 2 days: late
        (D(2020, 7, 15), [("reported", "inconsistent", W)]),
        (D(2020, 6, 14), [("reported", "date-order", E)]),  # before: order, not lateness
        (None, []),
        (INVALID, []),
    ],
)
def test_screening_reported_late(reported: Any, expected: list[Any]) -> None:
    values = {"screen_date": D(2020, 6, 15), "reported": reported}
    assert row_findings("screenings", values) == expected


def test_reported_late_message_gives_days() -> None:
    rule = r.ReportedLate("reported", "screen_date", days=1)
    values = {"screen_date": D(2020, 6, 15), "reported": D(2020, 6, 18)}
    (message,) = messages(rule.check(values, _labels("screenings")))
    assert "3" in message


def test_exclusive_key_domains_none_with_others() -> None:
    ok = {"key_domains": ("无",)}
    both = {"key_domains": ("无", "虚拟货币")}
    assert row_findings("basic_info", ok) == []
    assert row_findings("basic_info", both) == [("key_domains", "inconsistent", E)]


def test_exclusive_message_names_the_value() -> None:
    rule = r.Exclusive("findings", "未发现异常", E)
    (message,) = messages(rule.check({"findings": ("未发现异常", "其他")}, {}))
    assert "未发现异常" in message


# ── Forbidden (线索) ─────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("verification", "disposal", "expected"),
    [
        ("查实", "无需处置", [("disposal", "inconsistent", E)]),
        ("查实", "已化解", []),
        ("查实", "已取缔关闭", []),
        ("不属实", "无需处置", []),
        ("核查中", "无需处置", []),
        ("查实", None, []),
        (None, "无需处置", []),
        ("查实", INVALID, []),
    ],
)
def test_leads_confirmed_needs_disposal(
    verification: Any, disposal: Any, expected: list[Any]
) -> None:
    values = {"verification": verification, "disposal": disposal}
    assert row_findings("leads", values) == expected


# ── a full valid row raises nothing ─────────────────────────────────────────────────────────


def test_clean_screening_row_has_no_findings() -> None:
    values = {
        "screen_date": D(2020, 6, 15),
        "target_name": "鑫盛财富管理有限公司",
        "sensitive_name": "是",
        "findings": ("承诺高额回报",),
        "risk_level": "高",
        "reported": D(2020, 6, 16),
        "recheck": D(2020, 7, 1),
    }
    assert row_findings("screenings", values) == []


def test_messy_screening_row_reports_each_rule() -> None:
    values = {
        "screen_date": D(2020, 6, 15),
        "target_name": "安心理财工作室",
        "sensitive_name": "否",
        "findings": CALM,
        "risk_level": "中",
        "reported": D(2020, 6, 20),
        "recheck": D(2020, 6, 1),
    }
    assert row_findings("screenings", values) == [
        ("recheck", "date-order", E),
        ("reported", "inconsistent", W),
        ("risk_level", "inconsistent", W),
        ("sensitive_name", "inconsistent", W),
    ]


# ── conditions for "required if …" ──────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("cond", "values", "holds"),
    [
        (r.Eq("status", "已更换"), {"status": "已更换"}, True),
        (r.Eq("status", "已更换"), {"status": "在任"}, False),
        (r.Eq("status", "已更换"), {}, False),
        (r.In("risk_level", ("中", "高")), {"risk_level": "中"}, True),
        (r.In("risk_level", ("中", "高")), {"risk_level": "高"}, True),
        (r.In("risk_level", ("中", "高")), {"risk_level": "低"}, False),
        (r.In("risk_level", ("中", "高")), {"risk_level": None}, False),
        (r.Present("submitted"), {"submitted": D(2020, 7, 1)}, True),
        (r.Present("submitted"), {"submitted": None}, False),
        (r.Present("submitted"), {}, False),
    ],
)
def test_conditions(cond: Any, values: dict[str, Any], holds: bool) -> None:
    assert cond.holds(values) is holds


def test_context_as_of_is_the_earlier_of_end_and_report() -> None:
    assert Context(period_end=D(2020, 12, 31), report_date=D(2020, 10, 1)).as_of == D(2020, 10, 1)
    assert Context(period_end=D(2020, 9, 30), report_date=D(2020, 10, 1)).as_of == D(2020, 9, 30)
    assert Context(period_end=D(2020, 9, 30)).as_of == D(2020, 9, 30)
    assert Context().as_of is None


def test_invalid_is_falsy_and_distinct_from_none() -> None:
    assert not INVALID
    assert INVALID is not None
    assert repr(INVALID) == "INVALID"


# ── sheet rules ─────────────────────────────────────────────────────────────────────────────

CTX = Context(households=100, grid_count=3)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([{"role": "组长", "status": "在任"}], []),
        ([{"role": "成员", "status": "在任"}, {"role": "组长", "status": "在任"}], []),
        ([], [("sheet-rule", E)]),
        ([{"role": "组长", "status": "已调整"}], [("sheet-rule", E)]),
        (
            [{"role": "副组长", "status": "在任"}, {"role": "成员", "status": "在任"}],
            [("sheet-rule", E)],
        ),
    ],
)
def test_org_members_needs_a_serving_leader(
    rows: list[dict[str, Any]], expected: list[Any]
) -> None:
    assert codes(sheet_findings("org_members", rows, CTX)) == expected


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], [("sheet-rule", E)]),
        (["已更换"], [("sheet-rule", E)]),
        (["在任"], []),
        (["已更换", "在任", "已更换"], []),
        (["在任", "在任"], [("sheet-rule", W)]),
        (["在任", "已更换", "在任", "在任"], [("sheet-rule", W)]),
    ],
)
def test_liaison_exactly_one_serving(statuses: list[str], expected: list[Any]) -> None:
    rows = [{"status": s} for s in statuses]
    assert codes(sheet_findings("liaison", rows, CTX)) == expected


def test_liaison_more_than_one_message_gives_count() -> None:
    rows = [{"status": "在任"}] * 2
    (message,) = messages(sheet_findings("liaison", rows, CTX))
    assert "2" in message


def _staff(grid: int, role: str = "专职网格员", status: str = "在岗") -> dict[str, Any]:
    return {"grid_no": grid, "role": role, "status": status}


@pytest.mark.parametrize(
    ("rows", "missing"),
    [
        ([_staff(1), _staff(2), _staff(3)], []),
        ([_staff(1, "网格长"), _staff(2, "兼职网格员"), _staff(3, "专职网格员")], []),
        ([_staff(1), _staff(3)], [2]),
        ([_staff(1), _staff(2, status="离岗"), _staff(3)], [2]),
        ([_staff(1), _staff(2, role="巡防队员"), _staff(3)], [2]),
        ([_staff(1), _staff(2, role="社区民警"), _staff(2, role="其他"), _staff(3)], [2]),
        ([_staff(1), _staff(1), _staff(2, status="离岗"), _staff(2)], [3]),
        ([], [1, 2, 3]),
        ([_staff(2, role="巡防队员")], [1, 2, 3]),
    ],
)
def test_grids_covered(rows: list[dict[str, Any]], missing: list[int]) -> None:
    found = sheet_findings("grid_staff", rows, CTX)
    assert codes(found) == [("sheet-rule", W)] * len(missing)
    for grid, message in zip(missing, messages(found), strict=True):
        assert f"第{grid}网格" in message


def test_grids_covered_names_only_the_missing_grid() -> None:
    found = sheet_findings("grid_staff", [_staff(1), _staff(3)], CTX)
    (message,) = messages(found)
    assert "第2网格" in message
    assert "第1网格" not in message and "第3网格" not in message


def test_grids_covered_needs_a_grid_count() -> None:
    assert sheet_findings("grid_staff", [], Context(grid_count=None)) == []


@pytest.mark.parametrize("sheet_id", ["contact_cards", "open_letters"])
@pytest.mark.parametrize(
    ("households", "reached", "expected"),
    [
        (100, [50, 60], []),  # 110 = 1.1 × 100: fine
        (100, [110], []),
        (100, [50, 61], [("sheet-rule", W)]),  # 111 > 110
        (100, [100], []),
        (1000, [1100], []),  # 1.1 × 1000 = 1100 exactly
        (1000, [1101], [("sheet-rule", W)]),
        (95, [104], []),  # 1.1 × 95 = 104.5
        (95, [105], [("sheet-rule", W)]),
        (100, [None, 110], []),
        (100, [], []),
        (None, [500], []),  # no 辖区户数 → rule skipped
    ],
)
def test_households_cap(
    sheet_id: str, households: Any, reached: list[Any], expected: list[Any]
) -> None:
    rows = [{"households_reached": n} for n in reached]
    ctx = Context(households=households, grid_count=3)
    assert codes(sheet_findings(sheet_id, rows, ctx)) == expected


def test_households_cap_message_gives_total() -> None:
    rows = [{"households_reached": 61}, {"households_reached": 50}]
    (message,) = messages(sheet_findings("contact_cards", rows, CTX))
    assert "111" in message and "100" in message


@pytest.mark.parametrize(
    ("categories", "missing"),
    [
        (["举报投诉", "日常监管", "区域协作", "应急处置"], []),
        (["应急处置", "区域协作", "日常监管", "举报投诉", "其他"], []),
        (["举报投诉", "日常监管"], ["区域协作", "应急处置"]),
        (["其他"], ["举报投诉", "日常监管", "区域协作", "应急处置"]),
        ([], ["举报投诉", "日常监管", "区域协作", "应急处置"]),
        (["举报投诉", "举报投诉", "日常监管", "区域协作"], ["应急处置"]),
    ],
)
def test_mechanism_kinds_present(categories: list[str], missing: list[str]) -> None:
    rows = [{"category": c} for c in categories]
    found = sheet_findings("mechanisms", rows, CTX)
    assert codes(found) == [("sheet-rule", W)] * len(missing)
    for kind, message in zip(missing, messages(found), strict=True):
        assert kind in message


@pytest.mark.parametrize(
    ("has_involved", "row_counts", "expected"),
    [
        ("有", {"involved_persons": 0}, [("has_involved", "sheet-rule", E)]),
        ("有", {}, [("has_involved", "sheet-rule", E)]),
        ("有", {"involved_persons": 1}, []),
        ("有", {"involved_persons": 12}, []),
        ("无", {"involved_persons": 0}, []),
        ("无", {}, []),
        (None, {"involved_persons": 0}, []),
    ],
)
def test_involved_persons_listed(
    has_involved: Any, row_counts: dict[str, int], expected: list[Any]
) -> None:
    ctx = Context(has_involved=has_involved, row_counts=row_counts)
    found = sheet_findings("basic_info", [], ctx)
    assert [(fid, code, sev) for fid, code, sev, _ in found] == expected


def test_sheets_without_sheet_rules_in_the_spec_have_none() -> None:
    with_rules = {s.id for s in schema.SHEETS if s.sheet_rules}
    assert with_rules == {
        "basic_info",
        "org_members",
        "liaison",
        "grid_staff",
        "contact_cards",
        "open_letters",
        "mechanisms",
    }
