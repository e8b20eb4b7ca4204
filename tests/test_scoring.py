"""The creation score (spec: scoring.md) on real files: sample → .xlsx → validate_file → score_report.

Every case starts from one small, fully controlled community whose ledger rows are written out
literally below (the random generator only supplies the skeleton), so each expected score can be
derived by hand from the rubric.

The period used throughout:
    创建开始日期 2020-06-01, 创建截止日期 2020-12-31, 报送日期 2020-12-20
    → as_of = min(2020-12-31, 2020-12-20) = 2020-12-20
    → M = 7 months (2020-06 … 2020-12)
    → 2020-06-01 is a Monday (ISO week 23), 2020-12-20 is a Sunday (ISO week 51) → W = 51 − 23 + 1 = 29
    辖区户数 H = 100, 网格数 G = 2, 辖区重点领域 = 养老服务、保健品/消费返利, 有无重点人员 = 无.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from helpers import standard_sheets, write_xlsx

from xlhfjz.checks.validate import Report
from xlhfjz.model.rubric import ITEMS
from xlhfjz.model.schema import BY_NAME, LEDGERS
from xlhfjz.sample import CommunitySample, default_basic, generate_community
from xlhfjz.scoring import ITEM_SCORERS, ScoreCard, item, score_report
from xlhfjz.xlsx.files import validate_file

D = dt.date
START, END, REPORT = D(2020, 6, 1), D(2020, 12, 31), D(2020, 12, 20)
AS_OF = REPORT
M, W, H, G = 7, 29, 100, 2
CODE = "370303009001"
DOC = "华侨城社字〔2020〕5号"


# ── building a community ───────────────────────────────────────────────────────────────────


def rows(sheet_name: str, dicts: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Ledger rows in the sheet's field order from dicts of field id → value."""
    ids = [f.id for f in BY_NAME[sheet_name].fields]
    for d in dicts:
        unknown = set(d) - set(ids)
        assert not unknown, f"{sheet_name} has no field {unknown}"
    return [[d.get(fid) for fid in ids] for d in dicts]


def mobile(n: int) -> str:
    return f"1385330{n:04d}"


def member(role: str, n: int, status: str = "在任", doc: str | None = None) -> dict[str, Any]:
    return {
        "org_name": "华侨城社区防范和处置非法集资工作领导小组",
        "established": D(2020, 6, 4),
        "establish_doc": doc,
        "name": f"组员{n}",
        "role": role,
        "position": "两委成员",
        "phone": mobile(100 + n),
        "status": status,
    }


def liaison(n: int, status: str = "在任") -> dict[str, Any]:
    row = {
        "name": f"联络员{n}",
        "position": "社区两委委员",
        "mobile": mobile(200 + n),
        "appointed": D(2020, 6, 4),
        "status": status,
    }
    if status == "已更换":
        row["replaced"] = D(2020, 9, 1)
    return row


def volunteer(n: int, status: str = "在册", phone: str | None = None) -> dict[str, Any]:
    return {
        "name": f"志愿者{n}",
        "mobile": phone or mobile(300 + n),
        "grid_no": n % G + 1,
        "category": "居民志愿者",
        "recruited": D(2020, 6, 15),
        "status": status,
    }


def staff(n: int, grid: int, role: str, status: str = "在岗") -> dict[str, Any]:
    return {
        "name": f"网格员{n}",
        "mobile": mobile(400 + n),
        "grid_no": grid,
        "role": role,
        "patrol_tier": "一级",
        "status": status,
    }


def activity(day: dt.date, venue: str, forms: str, case: str = "否") -> dict[str, Any]:
    return {
        "activity_date": day,
        "theme": "防范非法集资宣传",
        "location": "社区广场",
        "venue": venue,
        "forms": forms,
        "typical_case": case,
        "staff_count": 3,
        "audience": 50,
        "materials": 100 if "发放传单" in forms else None,
        "banners": 1 if "悬挂横幅" in forms else None,
        "consultations": 5,
        "evidence": "照片及签到表",
    }


def card_batch(reached: int, content: str = "联络员电话、网格员电话、举报电话") -> dict[str, Any]:
    return {
        "issue_date": D(2020, 7, 10),
        "scope": "1号楼至6号楼",
        "grid_no": 1,
        "households_reached": reached,
        "cards": reached + 5,
        "content": content,
        "distributor": "王芳",
    }


def letter(reached: int, hotline: str = "是") -> dict[str, Any]:
    return {
        "issue_date": D(2020, 7, 15),
        "title": "致辖区居民防范非法集资的一封信",
        "issuer": "车站街道办事处",
        "channel": "入户发放",
        "households_reached": reached,
        "copies": reached + 5,
        "has_hotline": hotline,
    }


def pledge(name: str, party_type: str) -> dict[str, Any]:
    return {
        "sign_date": D(2020, 6, 20),
        "doc_type": "承诺书",
        "party_type": party_type,
        "party_name": name,
        "signer": "签字人",
    }


def training(attended: int, audience_type: str = "网格员", expected: int = 10) -> dict[str, Any]:
    return {
        "training_date": D(2020, 7, 1),
        "topic": "防范非法集资业务培训",
        "audience_type": audience_type,
        "trainer": "车站街道处非专班",
        "mode": "集中授课",
        "expected": expected,
        "attended": attended,
        "hours": 2,
        "evidence": "签到表及照片",
    }


ELDERLY_CARE = ("福寿康养老服务中心", "养老机构", "养老服务")
HEALTH_SHOP = ("安康保健品店", "个体工商户", "保健品/消费返利")


def screening(day: dt.date, target: tuple[str, str, str] = ELDERLY_CARE) -> dict[str, Any]:
    name, target_type, domain = target
    return {
        "screen_date": day,
        "screener": "赵刚",
        "method": "门店检查",
        "grid_no": 1,
        "target_name": name,
        "target_type": target_type,
        "domain": domain,
        "address": "人民路1号",
        "sensitive_name": "否",
        "licensed": "有",
        "findings": "未发现异常",
        "risk_level": "无",
        "action": "无需处置",
    }


def patrol(day: dt.date, tier: str = "一级", members: Any = 3) -> dict[str, Any]:
    return {
        "patrol_date": day,
        "tier": tier,
        "grid_no": 1,
        "leader": "孙强",
        "members": members,
        "focus": "临街门店",
        "anomaly": "否",
    }


def lead(n: int, received: dt.date, reported: dt.date | None = None, **kw: Any) -> dict[str, Any]:
    row = {
        "lead_id": f"XS-2020-{n:03d}",
        "received": received,
        "source": "群众来电",
        "reporter_type": "匿名",
        "subject": "某养生馆",
        "domain": "保健品/消费返利",
        "behaviour": "承诺高额回报",
        "summary": "反映该店以赠送礼品吸引老年人参加讲座",
        "reported": reported or received,
        "referred_to": "街道处非专班",
        "verification": "不属实",
        "disposal": "无需处置",
        "closed": received + dt.timedelta(days=10),
    }
    row.update(kw)
    return row


def follow_up(code: str, day: dt.date) -> dict[str, Any]:
    return {
        "person_code": code,
        "name": "某某",
        "grid_no": 1,
        "case_name": "某养老服务公司非法吸收公众存款案",
        "category": "集资参与人",
        "follow_date": day,
        "method": "电话",
        "note": "情绪稳定，关注退赔进度",
        "owner": "稳控责任人",
    }


POINT = "华侨城便民服务站监测点"


def point(name: str = POINT, hotline: str = "是") -> dict[str, Any]:
    return {
        "point_name": name,
        "location": "便民服务站",
        "set_up": D(2020, 6, 10),
        "keeper": "周敏",
        "keeper_phone": "0533-2281002",
        "hotline_posted": hotline,
    }


def log(month: str, name: str = POINT) -> dict[str, Any]:
    return {"point_name": name, "month": month, "result": "无异常"}


EXERCISED, ESTABLISHED = D(2020, 9, 1), D(2020, 6, 5)


def mechanism(
    category: str, last: dt.date | None = EXERCISED, established: dt.date = ESTABLISHED
) -> dict[str, Any]:
    return {
        "category": category,
        "title": f"{category}制度",
        "established": established,
        "form": "正式文件",
        "partners": "车站派出所" if category == "区域协作" else None,
        "last_exercised": last,
    }


def progress(due: dt.date, submitted: dt.date | None) -> dict[str, Any]:
    row: dict[str, Any] = {"period_label": f"{due:%Y年%m月}", "due": due, "submitted": submitted}
    if submitted:
        row |= {"progress": "完成宣传排查工作", "submitter": "王晓燕"}
    return row


MONTHS = [f"2020-{m:02d}" for m in range(6, 13)]  # the M = 7 months
MONDAYS = [START + dt.timedelta(weeks=k) for k in range(W)]  # 2020-06-01 … 2020-12-14


def perfect_community() -> CommunitySample:
    """Every item at its maximum (C4 needs an inspection). 81 ledger rows, none with an issue."""
    basic = default_basic(start=START, end=END, report=REPORT, households=H, grids=G)
    basic |= {"key_domains": "养老服务、保健品/消费返利", "has_involved": "无"}
    sample = generate_community(7, basic)
    sample.basic = basic
    data = {
        "组织机构": [member("组长", 1, doc=DOC), member("副组长", 2), member("成员", 3)],
        "联络员": [liaison(1)],
        "志愿者": [volunteer(i) for i in range(10)],
        "网格力量": [staff(1, 1, "网格长"), staff(2, 2, "专职网格员")],
        "宣传活动": [
            activity(D(2020, 6, 20), "进社区", "发放传单、张贴海报"),
            activity(D(2020, 7, 20), "进家庭", "入户走访"),
            activity(D(2020, 8, 20), "进学校", "典型案例宣讲", case="是"),
            activity(D(2020, 9, 20), "进机关", "悬挂横幅"),
        ],
        "联系卡": [card_batch(90)],
        "公开信": [letter(90)],
        "责任书": [
            pledge(ELDERLY_CARE[0], "养老机构"),
            pledge(HEALTH_SHOP[0], "个体工商户"),
            pledge("第1网格", "网格员"),
            pledge("第2网格", "网格员"),
        ],
        "培训": [training(2, expected=2)],
        "风险排查": [
            screening(D(2020, m, 10), (ELDERLY_CARE, HEALTH_SHOP)[m % 2]) for m in range(6, 13)
        ],
        "巡查": [patrol(day, ("一级", "二级", "三级")[k % 3]) for k, day in enumerate(MONDAYS)],
        "线索": [],
        "重点人员": [],
        "监测点": [point()],
        "监测记录": [log(m) for m in MONTHS],
        "防控机制": [mechanism(k) for k in ("举报投诉", "日常监管", "区域协作", "应急处置")],
        "进度报送": [progress(D(2020, m, 5), D(2020, m, 5)) for m in range(7, 13)],
    }
    sample.data = {sheet.name: rows(sheet.name, data[sheet.name]) for sheet in LEDGERS}
    return sample


def replace(sample: CommunitySample, sheet_name: str, dicts: Sequence[dict[str, Any]]) -> None:
    sample.data[sheet_name] = rows(sheet_name, dicts)


def invalid_rows(report: Report) -> list[tuple[str, int]]:
    return [
        (t.sheet.name, rec.row)
        for t in report.tables.values()
        if not t.sheet.key_value
        for rec in t.records
        if not rec.valid
    ]


def validate(sample: CommunitySample, tmp_path: Path) -> Report:
    return validate_file(write_xlsx(tmp_path / "community.xlsx", standard_sheets(sample)))


def score(
    sample: CommunitySample,
    tmp_path: Path,
    inspections: Sequence[dict[str, Any]] = (),
    parameters: dict[str, float] | None = None,
    *,
    allow_invalid: bool = False,
) -> ScoreCard:
    """Write, validate and score; unless told otherwise, every literal row must be valid."""
    report = validate(sample, tmp_path)
    if not allow_invalid:
        bad = invalid_rows(report)
        assert not bad, [i for i in report.issues if i.severity == "error"]
    return score_report(report, inspections, parameters)


def inspection(visited: int = 30, aware: int = 28, vetoes: tuple[str, ...] = ("无",)) -> dict:
    return {
        "community_code": CODE,
        "visited": visited,
        "aware": aware,
        "vetoes": vetoes,
        "inspect_date": D(2020, 12, 28),
    }


def assert_partial(card: ScoreCard, item: str, expected: float, *words: str) -> None:
    """Score as derived; below the max, ``missing`` says what to do, with the given words."""
    it = card.items[item]
    assert it.score == pytest.approx(expected), (it.detail, it.missing)
    assert it.score < it.max
    assert it.missing, f"{item} is below its max but says nothing is missing"
    for word in words:
        assert word in it.missing, (word, it.missing)


# ── the calendar facts the comments rely on ──────────────────────────────────────────────────


def test_calendar_facts_of_the_period() -> None:
    assert START.isocalendar() == (2020, 23, 1)  # a Monday, ISO week 23
    assert AS_OF.isocalendar() == (2020, 51, 7)  # a Sunday, ISO week 51
    assert len(MONDAYS) == W == 51 - 23 + 1
    assert MONDAYS[-1] == D(2020, 12, 14)
    assert len(MONTHS) == M


# ── the perfect community ────────────────────────────────────────────────────────────────────


def test_perfect_community_scores_95_without_inspection(tmp_path: Path) -> None:
    sample = perfect_community()
    assert sum(len(r) for r in sample.data.values()) == 81
    report = validate(sample, tmp_path)
    assert [i for i in report.issues if i.severity == "error"] == []
    card = score_report(report)
    assert sum(mx for _, _, mx in ITEMS) == 100
    for iid, it in card.items.items():
        if iid == "C4":
            continue
        assert it.score == it.max, (iid, it.detail, it.missing)
        assert it.missing == "", (iid, it.missing)
    assert card.items["C4"].score == 0
    assert "待检查" in card.items["C4"].detail
    assert card.total == pytest.approx(95)
    assert card.result == "创建成功（优秀）"
    assert card.gates == {"G1": True, "G2": True, "G3": True, "G4": True}
    assert card.vetoes == []


def test_perfect_community_with_good_inspection_scores_100(tmp_path: Path) -> None:
    # k = 28 / 30 = 0.933 ≥ 0.9 → C4 = 5
    card = score(perfect_community(), tmp_path, [inspection(30, 28)])
    assert card.items["C4"].score == 5
    assert card.items["C4"].missing == ""
    assert card.total == pytest.approx(100)
    assert card.result == "创建成功（优秀）"
    assert card.vetoes == []


# ── A 组织与台账 ────────────────────────────────────────────────────────────────────────────


def test_a1_two_members_score_1(tmp_path: Path) -> None:
    # m = 2 < 3 (org_min_members) → 1, even with a 组长 and a 成立文件
    sample = perfect_community()
    replace(sample, "组织机构", [member("组长", 1, doc=DOC), member("成员", 2)])
    assert_partial(score(sample, tmp_path), "A1", 1, "再补 1 人")


def test_a1_without_founding_document_scores_3(tmp_path: Path) -> None:
    # m = 3 with a 组长 but no row has 成立文件 → 3
    sample = perfect_community()
    replace(sample, "组织机构", [member("组长", 1), member("副组长", 2), member("成员", 3)])
    assert_partial(score(sample, tmp_path), "A1", 3, "成立文件")


def test_a1_counts_only_serving_members_and_a_serving_leader(tmp_path: Path) -> None:
    # The 组长 was replaced (已调整): m = 2 在任, no 在任 组长 → 1 (m ≥ 1)
    sample = perfect_community()
    org = [member("组长", 1, status="已调整", doc=DOC), member("副组长", 2), member("成员", 3)]
    replace(sample, "组织机构", org)
    assert_partial(score(sample, tmp_path), "A1", 1, "组长")


def test_a2_two_serving_liaisons_score_2(tmp_path: Path) -> None:
    # n = 2 > 1 → 2 (a W sheet-rule; both rows stay valid)
    sample = perfect_community()
    replace(sample, "联络员", [liaison(1), liaison(2)])
    assert_partial(score(sample, tmp_path), "A2", 2, "一名")


def test_a3_missing_core_ledgers_reduce_coverage(tmp_path: Path) -> None:
    # 培训 and 防控机制 empty: k = 9 → 3 × 9/11 = 2.4545; 0 errors of 76 rows → quality 3
    sample = perfect_community()
    replace(sample, "培训", [])
    replace(sample, "防控机制", [])
    assert_partial(score(sample, tmp_path), "A3", 3 * 9 / 11 + 3, "培训", "防控机制")


@pytest.mark.parametrize(
    ("bad", "quality"),
    [
        (4, 3),  # e = 4/81 = 0.049 ≤ 0.05
        (5, 2),  # e = 5/81 = 0.062 ≤ 0.15
        (12, 2),  # e = 12/81 = 0.148 ≤ 0.15
        (13, 1),  # e = 13/81 = 0.160 ≤ 0.30
        (24, 1),  # e = 24/81 = 0.296 ≤ 0.30
        (25, 0),  # e = 25/81 = 0.309 > 0.30
    ],
)
def test_a3_quality_from_share_of_rows_with_errors(tmp_path: Path, bad: int, quality: int) -> None:
    # `bad` of the 29 巡查 rows get 参加人数 "3人" (invalid-number, E); 81 rows in all;
    # 巡查 keeps ≥ 4 valid rows, so coverage stays 3 × 11/11 = 3.
    sample = perfect_community()
    patrols = [
        patrol(day, ("一级", "二级", "三级")[k % 3], members="3人" if k < bad else 3)
        for k, day in enumerate(MONDAYS)
    ]
    replace(sample, "巡查", patrols)
    card = score(sample, tmp_path, allow_invalid=True)
    it = card.items["A3"]
    assert it.score == pytest.approx(3 + quality)
    if quality < 3:
        assert f"改正有错误的 {bad} 行" in it.missing
    else:
        assert it.missing == ""


def test_a3_no_rows_at_all_scores_0(tmp_path: Path) -> None:
    sample = perfect_community()
    for sheet in LEDGERS:
        replace(sample, sheet.name, [])
    card = score(sample, tmp_path)
    assert card.items["A3"].score == 0
    assert "志愿者" in card.items["A3"].missing


# ── B 监测预警体系 ──────────────────────────────────────────────────────────────────────────


def test_b1_no_posted_hotline_and_three_months_of_logs(tmp_path: Path) -> None:
    # hotline 否 → 0; logs 2020-06..08 → 2 × 3/7 = 0.8571
    sample = perfect_community()
    replace(sample, "监测点", [point(hotline="否")])
    replace(sample, "监测记录", [log(m) for m in MONTHS[:3]])
    assert_partial(score(sample, tmp_path), "B1", 2 * 3 / 7, "公示举报电话", "2020年9月")


def test_b1_months_count_once_across_points(tmp_path: Path) -> None:
    # two points both report 06..08, the second also 09 → 4 distinct months: 3 + 2 × 4/7 = 4.1429
    other = "华侨城老年活动中心监测点"
    sample = perfect_community()
    replace(sample, "监测点", [point(), point(other)])
    logs = [log(m) for m in MONTHS[:3]] + [log(m, other) for m in MONTHS[:4]]
    replace(sample, "监测记录", logs)
    assert_partial(score(sample, tmp_path), "B1", 3 + 2 * 4 / 7, "2020年10月")


def test_b2_grid_without_serving_grid_staff(tmp_path: Path) -> None:
    # grid 2 has only a 离岗 专职网格员 and a 巡防队员 (not a grid role) → 4 × 1/2 = 2
    sample = perfect_community()
    grid_staff = [
        staff(1, 1, "网格长"),
        staff(2, 2, "专职网格员", status="离岗"),
        staff(3, 2, "巡防队员"),
    ]
    replace(sample, "网格力量", grid_staff)
    assert_partial(score(sample, tmp_path), "B2", 2, "第2网格")


FOUR_GRID_STAFF = [
    staff(1, 1, "网格长"),
    staff(2, 1, "兼职网格员"),
    staff(3, 2, "专职网格员"),
    staff(4, 2, "兼职网格员"),
    staff(5, 2, "巡防队员"),  # not a grid role
]


@pytest.mark.parametrize(
    ("attended", "expected"),
    [
        (0, 0),  # r = 0 → 0
        (1, 1),  # r = 1/4 = 0.25 > 0 → 1
        (2, 2),  # r = 2/4 = 0.5 ≥ 0.5 → 2
        (3, 2),  # r = 3/4 = 0.75 < 0.8 → 2
    ],
)
def test_b3_training_tiers(tmp_path: Path, attended: int, expected: int) -> None:
    # staff = 4 在岗 grid-role rows; the 志愿者 training (10) does not count
    sample = perfect_community()
    replace(sample, "网格力量", FOUR_GRID_STAFF)
    replace(sample, "培训", [training(attended), training(10, "志愿者")])
    card = score(sample, tmp_path)
    # full marks need ⌈0.8 × 4⌉ = 4 trained
    assert_partial(card, "B3", expected, f"再培训网格员 {4 - attended} 人次")


def test_b3_mixed_training_counts(tmp_path: Path) -> None:
    # 混合 counts: trained = 1 + 3 = 4, staff 4 → r = 1 → 4
    sample = perfect_community()
    replace(sample, "网格力量", FOUR_GRID_STAFF)
    replace(sample, "培训", [training(1), training(3, "混合")])
    assert score(sample, tmp_path).items["B3"].score == 4


def test_b4_tracking_gaps_and_recency(tmp_path: Path) -> None:
    # as_of 2020-12-20, limits 30 days:
    #   RY-001 11-01, 11-30 (29 d), 12-20 (20 d), last 0 d ago          → tracked (rows unsorted)
    #   RY-002 10-01, 11-15 (45 d) …                                      → not tracked (gap)
    #   RY-003 10-21, 11-15 (25 d); 12-20 − 11-15 = 35 d                  → not tracked (recency)
    #   RY-004 10-21, 11-20 (30 d, Oct has 31 days); 12-20 − 11-20 = 30 d → tracked (both limits)
    # → 3 × 2/4 = 1.5
    sample = perfect_community()
    sample.basic["has_involved"] = "有"
    follow = [
        ("RY-001", D(2020, 12, 20)),
        ("RY-001", D(2020, 11, 1)),
        ("RY-001", D(2020, 11, 30)),
        ("RY-002", D(2020, 10, 1)),
        ("RY-002", D(2020, 11, 15)),
        ("RY-002", D(2020, 12, 10)),
        ("RY-003", D(2020, 10, 21)),
        ("RY-003", D(2020, 11, 15)),
        ("RY-004", D(2020, 10, 21)),
        ("RY-004", D(2020, 11, 20)),
    ]
    replace(sample, "重点人员", [follow_up(code, day) for code, day in follow])
    card = score(sample, tmp_path)
    assert_partial(card, "B4", 1.5, "2 人")
    assert "重点人员 4 人，按时跟踪 2 人" in card.items["B4"].detail


def test_b4_declared_persons_without_rows_score_0(tmp_path: Path) -> None:
    # 有无重点人员 = 有 but no valid row → persons = 0 → 0 (and an E sheet-rule)
    sample = perfect_community()
    sample.basic["has_involved"] = "有"
    assert_partial(score(sample, tmp_path), "B4", 0, "重点人员")


def test_b5_share_of_leads_reported_within_a_day(tmp_path: Path) -> None:
    # 07-01 → 07-02 (1 d ✓), 08-01 → 08-01 (0 d ✓), 09-01 → 09-04 (3 d ✗) → 4 × 2/3 = 2.6667
    sample = perfect_community()
    leads = [
        lead(1, D(2020, 7, 1), D(2020, 7, 2)),
        lead(2, D(2020, 8, 1), D(2020, 8, 1)),
        lead(3, D(2020, 9, 1), D(2020, 9, 4)),
    ]
    replace(sample, "线索", leads)
    assert_partial(score(sample, tmp_path), "B5", 4 * 2 / 3, "1 条线索")


def test_b5_without_leads_and_without_monitoring_logs(tmp_path: Path) -> None:
    # no leads; valid 巡查 rows but no 监测记录 → 2
    sample = perfect_community()
    replace(sample, "监测记录", [])
    assert_partial(score(sample, tmp_path), "B5", 2, "监测记录")


# ── C 宣传教育 ──────────────────────────────────────────────────────────────────────────────


def test_c1_two_activities_two_venues_two_forms(tmp_path: Path) -> None:
    # n = 2 → 5 × min(1, 2/4) = 2.5; v = 2 (进学校, 进社区) → 4 × 2/3 = 2.6667;
    # forms = {发放传单, 张贴海报} (2 < 3) → 1; total 6.1667
    sample = perfect_community()
    replace(
        sample,
        "宣传活动",
        [
            activity(D(2020, 6, 20), "进学校", "发放传单"),
            activity(D(2020, 7, 20), "进社区", "张贴海报", case="是"),
        ],
    )
    card = score(sample, tmp_path)
    assert_partial(card, "C1", 2.5 + 4 * 2 / 3 + 1, "再开展 2 场活动", "再采用 1 种宣传形式")
    assert "宣传活动 2 场，五进覆盖 2 类" in card.items["C1"].detail


def test_c1_other_venues_do_not_count_and_no_typical_case(tmp_path: Path) -> None:
    # n = 4 → 5; v = 1 (进社区; 其他场所 is not 五进) → 4 × 1/3 = 1.3333;
    # 3 forms but no 剖析典型案例 → 2; total 8.3333
    sample = perfect_community()
    replace(
        sample,
        "宣传活动",
        [
            activity(D(2020, 6, 20), "进社区", "发放传单"),
            activity(D(2020, 7, 20), "进社区", "张贴海报"),
            activity(D(2020, 8, 20), "其他场所", "悬挂横幅"),
            activity(D(2020, 9, 20), "其他场所", "发放传单、张贴海报"),
        ],
    )
    assert_partial(score(sample, tmp_path), "C1", 5 + 4 / 3 + 2, "2 类", "典型案例")


@pytest.mark.parametrize(
    ("reached", "hotline", "expected"),
    [
        ((50, 40), True, 4),  # c = 90/100 = 0.9 ≥ 0.9 → 4 (Σ over batches)
        ((89,), True, 2),  # 0.89 ≥ 0.6 → 2
        ((60,), True, 2),  # 0.6 → 2
        ((59,), True, 1),  # 0.59 > 0 → 1
        ((70,), False, 1),  # 0.7 → 2, − 1 without 举报电话
        ((30,), False, 0),  # 0.3 → 1, − 1 without 举报电话
        ((0,), False, 0),  # c = 0 → 0, no deduction below 0
    ],
)
def test_c2_contact_card_coverage(
    tmp_path: Path, reached: tuple[int, ...], hotline: bool, expected: int
) -> None:
    content = "联络员电话、网格员电话" + ("、举报电话" if hotline else "")
    sample = perfect_community()
    replace(sample, "联系卡", [card_batch(n, content) for n in reached])
    it = score(sample, tmp_path).items["C2"]
    assert it.score == expected
    if expected < 4:
        assert it.missing
    if not hotline:
        assert "举报电话" in it.missing


def test_c2_missing_says_how_many_households_and_the_hotline(tmp_path: Path) -> None:
    # c = 0.7 → 2 − 1 = 1; full marks need 0.9 × 100 = 90 households → 20 more
    sample = perfect_community()
    replace(sample, "联系卡", [card_batch(70, "联络员电话、网格员电话")])
    assert_partial(score(sample, tmp_path), "C2", 1, "再覆盖 20 户", "举报电话")


@pytest.mark.parametrize(
    ("reached", "hotline", "expected"),
    [
        (95, "是", 4),  # 0.95 → 4
        (95, "否", 3),  # 4 − 1
        (65, "是", 2),  # 0.65 → 2
        (10, "否", 0),  # 0.1 → 1 − 1
    ],
)
def test_c3_open_letter_coverage(tmp_path: Path, reached: int, hotline: str, expected: int) -> None:
    sample = perfect_community()
    replace(sample, "公开信", [letter(reached, hotline)])
    it = score(sample, tmp_path).items["C3"]
    assert it.score == expected
    if expected < 4:
        assert it.missing
    if hotline == "否":
        assert "举报电话" in it.missing


@pytest.mark.parametrize(
    ("visits", "expected"),
    [
        ([(30, 27)], 5),  # 0.9 → 5
        ([(30, 26)], 3),  # 0.867 → 3
        ([(30, 24)], 3),  # 0.8 → 3
        ([(30, 18)], 1),  # 0.6 → 1
        ([(30, 17)], 0),  # 0.567 → 0
        ([(15, 13), (15, 12)], 3),  # Σ: 25/30 = 0.833 → 3
        ([(19, 19)], 0),  # Σ 走访户数 19 < 20 → no score (待检查)
    ],
)
def test_c4_awareness_from_inspections(
    tmp_path: Path, visits: list[tuple[int, int]], expected: int
) -> None:
    card = score(perfect_community(), tmp_path, [inspection(v, a) for v, a in visits])
    it = card.items["C4"]
    assert it.score == expected
    if expected < 5:
        assert it.missing
    if sum(v for v, _ in visits) < 20:
        assert "待检查" in it.detail


def test_c4_partial_names_awareness(tmp_path: Path) -> None:
    # k = 25/30 = 0.833 → 3
    card = score(perfect_community(), tmp_path, [inspection(30, 25)])
    assert_partial(card, "C4", 3, "知晓率")


# ── D 基层防范 ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("registered", "left", "expected"),
    [
        (10, 0, 5),  # n = 10 ≥ 10
        (9, 3, 3),  # n = 9 (退出 rows do not count) ≥ 5
        (5, 0, 3),
        (4, 0, 1),
        (1, 0, 1),
        (0, 2, 0),  # only 退出 rows
    ],
)
def test_d1_volunteer_tiers(tmp_path: Path, registered: int, left: int, expected: int) -> None:
    sample = perfect_community()
    vols = [volunteer(i) for i in range(registered)]
    vols += [volunteer(100 + i, status="退出") for i in range(left)]
    replace(sample, "志愿者", vols)
    it = score(sample, tmp_path).items["D1"]
    assert it.score == expected
    if expected < 5:
        assert f"再选聘 {10 - registered} 名志愿者" in it.missing


def test_d2_responsibility_letter_coverage_and_internal(tmp_path: Path) -> None:
    # orgs = {福寿康养老服务中心, 安康保健品店, 鑫源商贸有限公司} (出租房屋 is not an org type);
    # covered = {福寿康养老服务中心} → r = 1/3 > 0 → 1;
    # internal: one 网格员 letter, i = 1 < G = 2 → 1; total 2
    sample = perfect_community()
    targets = [
        ELDERLY_CARE,
        HEALTH_SHOP,
        ("鑫源商贸有限公司", "企业", "养老服务"),
        ("阳光花园出租房屋", "出租房屋", "房地产/租赁"),
    ]
    replace(sample, "风险排查", [screening(D(2020, 6 + k, 10), t) for k, t in enumerate(targets)])
    letters = [
        pledge(ELDERLY_CARE[0], "养老机构"),
        pledge("阳光花园出租房屋", "出租房屋业主"),
        pledge("第1网格", "网格员"),
    ]
    replace(sample, "责任书", letters)
    card = score(sample, tmp_path)
    assert_partial(card, "D2", 2, HEALTH_SHOP[0], "再签订 1 份")
    assert "阳光花园" not in card.items["D2"].missing


def test_d2_no_screened_organisations(tmp_path: Path) -> None:
    # orgs = 0 (only 出租房屋 screened) and valid letters → 2; two 网格员 letters, i = 2 ≥ G → 2;
    # total 4 < 6, so `missing` must say what full marks need (screen and sign organisations)
    sample = perfect_community()
    rental = ("阳光花园出租房屋", "出租房屋", "房地产/租赁")
    replace(sample, "风险排查", [screening(D(2020, m, 10), rental) for m in range(6, 13)])
    assert_partial(score(sample, tmp_path), "D2", 4)


def test_d3_months_and_key_domains(tmp_path: Path) -> None:
    # screenings in 06, 07, 09 (3 of M = 7) → 5 × 3/7 = 2.1429;
    # domains {养老服务} ∩ {养老服务, 保健品/消费返利} = 1 of 2 → 3 × 1/2 = 1.5; total 3.6429
    sample = perfect_community()
    days = [D(2020, 6, 10), D(2020, 7, 10), D(2020, 7, 20), D(2020, 9, 10)]
    replace(sample, "风险排查", [screening(d) for d in days])
    assert_partial(score(sample, tmp_path), "D3", 5 * 3 / 7 + 1.5, "2020年8月", "保健品/消费返利")


def test_d3_no_declared_key_domains_gives_the_domain_part(tmp_path: Path) -> None:
    # 辖区重点领域 = 无 → 3; 3 of 7 months → 5 × 3/7; total 5.1429
    sample = perfect_community()
    sample.basic["key_domains"] = "无"
    replace(sample, "风险排查", [screening(D(2020, m, 10)) for m in (6, 7, 8)])
    assert_partial(score(sample, tmp_path), "D3", 5 * 3 / 7 + 3, "2020年9月")


def test_d4_weeks_and_tiers(tmp_path: Path) -> None:
    # 10 patrols on the Mondays of weeks 1..10 plus one on Sunday 2020-06-07 (still week 1)
    # → 10 of W = 29 weeks: 4 × 10/29 = 1.3793; tiers {一级, 二级} → 2 × 2/3 = 1.3333; total 2.7126
    sample = perfect_community()
    patrols = [patrol(day, ("一级", "二级")[k % 2]) for k, day in enumerate(MONDAYS[:10])]
    patrols.append(patrol(D(2020, 6, 7), "二级"))
    replace(sample, "巡查", patrols)
    assert_partial(score(sample, tmp_path), "D4", 4 * 10 / 29 + 2 * 2 / 3, "19 周", "三级")


def test_d4_first_and_last_day_of_period_count(tmp_path: Path) -> None:
    # 2020-06-01 (Mon, week 23) and 2020-12-20 (Sun = as_of, week 51): 2 weeks, 1 tier
    # → 4 × 2/29 + 2 × 1/3 = 0.9425
    sample = perfect_community()
    replace(sample, "巡查", [patrol(START), patrol(AS_OF)])
    assert_partial(score(sample, tmp_path), "D4", 4 * 2 / 29 + 2 / 3, "27 周", "二级")


# ── E 沟通协调 ──────────────────────────────────────────────────────────────────────────────


def test_e1_mechanisms_established_and_exercised(tmp_path: Path) -> None:
    # 举报投诉 exercised 2020-09-01 (in period) → 2; 日常监管 never exercised → 1.5;
    # 区域协作 exercised 2019-05-01 (before the period) → 1.5; 应急处置 missing → 0;
    # an 其他 row counts for nothing; total 5
    sample = perfect_community()
    mechanisms = [
        mechanism("举报投诉"),
        mechanism("日常监管", last=None),
        mechanism("区域协作", last=D(2019, 5, 1), established=D(2019, 1, 10)),
        mechanism("其他"),
    ]
    replace(sample, "防控机制", mechanisms)
    assert_partial(score(sample, tmp_path), "E1", 5, "应急处置", "日常监管", "区域协作")


def test_e2_on_time_share_of_due_reports(tmp_path: Path) -> None:
    # due ≤ as_of: 07-05 (on 07-05 ✓), 08-05 (on 08-07 ✗), 09-05 (not sent ✗), 10-05 (on 10-01 ✓);
    # 12-25 is after as_of, not yet due → 4 × 2/4 = 2
    sample = perfect_community()
    reports = [
        progress(D(2020, 7, 5), D(2020, 7, 5)),
        progress(D(2020, 8, 5), D(2020, 8, 7)),
        progress(D(2020, 9, 5), None),
        progress(D(2020, 10, 5), D(2020, 10, 1)),
        progress(D(2020, 12, 25), None),
    ]
    replace(sample, "进度报送", reports)
    card = score(sample, tmp_path)
    assert_partial(card, "E2", 2, "2 期")
    assert "应报 4 期，按时报送 2 期" in card.items["E2"].detail


def test_e2_no_reports_due_scores_0(tmp_path: Path) -> None:
    sample = perfect_community()
    replace(sample, "进度报送", [])
    assert_partial(score(sample, tmp_path), "E2", 0, "进度报送")


def test_e3_share_of_closed_leads(tmp_path: Path) -> None:
    # 已化解 (no 办结日期) ✓; 处置中 with 办结日期 ✓; 未处置 without 办结日期 ✗ → 3 × 2/3 = 2
    sample = perfect_community()
    leads = [
        lead(1, D(2020, 7, 1), verification="核查中", disposal="已化解", closed=None),
        lead(2, D(2020, 8, 1), verification="核查中", disposal="处置中"),
        lead(3, D(2020, 9, 1), verification="核查中", disposal="未处置", closed=None),
    ]
    replace(sample, "线索", leads)
    card = score(sample, tmp_path)
    assert_partial(card, "E3", 2, "1 条")
    assert card.vetoes == []  # nothing 查实


# ── gates ────────────────────────────────────────────────────────────────────────────────────


def _no_leader(sample: CommunitySample) -> None:
    org = [member("组长", 1, status="已调整", doc=DOC), member("副组长", 2), member("成员", 3)]
    replace(sample, "组织机构", org)


def _no_liaison(sample: CommunitySample) -> None:
    replace(sample, "联络员", [liaison(1, status="已更换")])


def _not_declared_clean(sample: CommunitySample) -> None:
    sample.basic["self_declared_clean"] = "否"


@pytest.mark.parametrize(
    ("gate", "change"),
    [("G1", _no_leader), ("G2", _no_liaison), ("G3", _not_declared_clean)],
)
def test_failed_gate_means_not_ready_for_acceptance(
    tmp_path: Path, gate: str, change: Callable[[CommunitySample], None]
) -> None:
    sample = perfect_community()
    change(sample)
    card = score(sample, tmp_path)
    assert card.result == "不具备验收条件"
    assert card.gates == {g: g != gate for g in ("G1", "G2", "G3", "G4")}
    assert len(card.reasons) == 1
    assert gate in card.reasons[0]
    assert card.total > 80  # the score is still computed and shown


# ── vetoes ───────────────────────────────────────────────────────────────────────────────────


def test_verified_lead_still_being_handled_is_veto_v1(tmp_path: Path) -> None:
    sample = perfect_community()
    replace(
        sample,
        "线索",
        [
            lead(1, D(2020, 7, 1)),
            lead(2, D(2020, 8, 1), verification="查实", disposal="处置中", closed=None),
        ],
    )
    card = score(sample, tmp_path)
    assert card.result == "一票否决"
    assert card.vetoes == ["V1"]
    assert len(card.reasons) == 1
    assert "V1" in card.reasons[0]
    assert "第4行" in card.reasons[0]  # the second data row is Excel row 4
    assert "处置中" in card.reasons[0]


def test_verified_lead_closed_down_is_no_veto(tmp_path: Path) -> None:
    sample = perfect_community()
    replace(sample, "线索", [lead(1, D(2020, 7, 1), verification="查实", disposal="已取缔关闭")])
    card = score(sample, tmp_path)
    assert card.vetoes == []
    assert card.result == "创建成功（优秀）"
    assert card.total == pytest.approx(95)


def test_invalid_lead_row_is_no_veto(tmp_path: Path) -> None:
    # 接报日期 2020-05-20 is before 创建开始日期 (E date-out-of-period): not a valid row
    sample = perfect_community()
    bad = lead(1, D(2020, 5, 20), D(2020, 5, 21), verification="查实", disposal="处置中")
    replace(sample, "线索", [bad])
    report = validate(sample, tmp_path)
    assert invalid_rows(report) == [("线索", 3)]
    card = score_report(report)
    assert card.vetoes == []
    assert card.result != "一票否决"


@pytest.mark.parametrize(
    ("label", "veto"),
    [
        ("存在非法集资机构或场所", "V1"),
        ("发生涉非群体性事件", "V2"),
        ("泄露举报人信息", "V3"),
        ("台账弄虚作假", "V4"),
    ],
)
def test_inspection_veto(tmp_path: Path, label: str, veto: str) -> None:
    card = score(perfect_community(), tmp_path, [inspection(vetoes=(label,))])
    assert card.result == "一票否决"
    assert card.vetoes == [veto]
    assert veto in card.reasons[0]
    assert label in card.reasons[0]
    assert "2020-12-28" in card.reasons[0]


def test_veto_precedes_gates(tmp_path: Path) -> None:
    sample = perfect_community()
    sample.basic["self_declared_clean"] = "否"
    card = score(sample, tmp_path, [inspection(vetoes=("发生涉非群体性事件",))])
    assert card.gates["G3"] is False
    assert card.result == "一票否决"
    assert card.vetoes == ["V2"]


# ── result thresholds ────────────────────────────────────────────────────────────────────────


def _all_volunteers_left(sample: CommunitySample) -> None:
    # D1: no 在册 row → 0 (the 退出 rows are valid, so A3 still counts 志愿者)
    replace(sample, "志愿者", [volunteer(i, status="退出") for i in range(10)])


def community_at_90() -> CommunitySample:
    # 95 − D1 5 = 90
    sample = perfect_community()
    _all_volunteers_left(sample)
    return sample


def community_at_80() -> CommunitySample:
    # 95 − D1 5 − C2 4 (0 households) − C3 4 (0 households) − A2 2 (two 联络员) = 80
    sample = community_at_90()
    replace(sample, "联系卡", [card_batch(0)])
    replace(sample, "公开信", [letter(0)])
    replace(sample, "联络员", [liaison(1), liaison(2)])
    return sample


def test_total_exactly_90_is_excellent(tmp_path: Path) -> None:
    card = score(community_at_90(), tmp_path)
    assert card.total == pytest.approx(90)
    assert card.result == "创建成功（优秀）"


def test_total_exactly_80_passes(tmp_path: Path) -> None:
    card = score(community_at_80(), tmp_path)
    assert card.total == 80
    assert card.result == "创建成功"
    assert card.passed


def test_total_a_hair_below_80_fails(tmp_path: Path) -> None:
    # one patrol week fewer: 80 − 4/29 = 79.862 (shown as 79.9) → 未达标
    sample = community_at_80()
    patrols = [patrol(day, ("一级", "二级", "三级")[k % 3]) for k, day in enumerate(MONDAYS[1:])]
    replace(sample, "巡查", patrols)
    card = score(sample, tmp_path)
    assert card.total == pytest.approx(80 - 4 / 29)
    assert card.result == "未达标"


@pytest.mark.parametrize(
    ("parameters", "result"),
    [
        ({"pass_line": 80.01}, "未达标"),  # 80 is 0.01 below the line
        ({"pass_line": 80, "excellent_line": 80.01}, "创建成功"),
        ({"pass_line": 70, "excellent_line": 80}, "创建成功（优秀）"),
    ],
)
def test_result_lines_are_parameters(
    tmp_path: Path, parameters: dict[str, float], result: str
) -> None:
    card = score(community_at_80(), tmp_path, parameters=parameters)
    assert card.total == 80
    assert card.result == result
    for key, value in parameters.items():
        assert card.parameters[key] == value


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("period_start", "创建开始日期"),
        ("period_end", "创建截止日期"),
        ("report_date", "报送日期"),
        ("households", "辖区户数"),
        ("grid_count", "网格数"),
    ],
)
def test_missing_basic_value_cannot_be_scored(tmp_path: Path, field: str, label: str) -> None:
    sample = perfect_community()
    sample.basic[field] = None
    card = score(sample, tmp_path, allow_invalid=True)
    assert card.result == "无法评分"
    assert any(label in reason for reason in card.reasons), card.reasons


def test_invalid_grid_count_cannot_be_scored_even_with_a_veto(tmp_path: Path) -> None:
    # 网格数 "四个" is not a number (invalid-number) → no valid 网格数; 无法评分 precedes 一票否决
    sample = perfect_community()
    sample.basic["grid_count"] = "四个"
    card = score(sample, tmp_path, [inspection(vetoes=("台账弄虚作假",))], allow_invalid=True)
    assert card.result == "无法评分"
    assert "网格数" in card.reasons[0]


# ── only valid rows count; parameters ───────────────────────────────────────────────────────


def test_row_with_an_error_does_not_count(tmp_path: Path) -> None:
    # 10 在册 volunteers, one with 手机 "1381234" (invalid-phone, E) → n = 9 → 3
    sample = perfect_community()
    vols = [volunteer(i) for i in range(9)] + [volunteer(9, phone="1381234")]
    replace(sample, "志愿者", vols)
    report = validate(sample, tmp_path)
    assert invalid_rows(report) == [("志愿者", 12)]
    card = score_report(report)
    assert_partial(card, "D1", 3, "再选聘 1 名志愿者")
    assert "在册志愿者 9 人" in card.items["D1"].detail


def test_volunteers_full_parameter_moves_d1(tmp_path: Path) -> None:
    # 14 在册: default volunteers_full 10 → 5; volunteers_full 20 → 14 ≥ 5 → 3
    sample = perfect_community()
    replace(sample, "志愿者", [volunteer(i) for i in range(14)])
    assert score(sample, tmp_path).items["D1"].score == 5
    card = score(sample, tmp_path, parameters={"volunteers_full": 20})
    assert_partial(card, "D1", 3, "再选聘 6 名志愿者")
    assert card.parameters["volunteers_full"] == 20


# ── the item registry ──────────────────────────────────────────────────────────────────────


def test_every_item_of_the_rubric_has_exactly_one_scoring_function() -> None:
    ids = ["A1", "A2", "A3", "B1", "B2", "B3", "B4", "B5", "C1", "C2", "C3", "C4",
           "D1", "D2", "D3", "D4", "E1", "E2", "E3"]  # fmt: skip
    assert [iid for iid, _, _ in ITEMS] == ids
    assert sorted(ITEM_SCORERS) == ids
    with pytest.raises(ValueError):
        item("A1")(lambda facts, it: None)  # scored twice
    with pytest.raises(ValueError):
        item("F1")(lambda facts, it: None)  # not an item
    assert sorted(ITEM_SCORERS) == ids
