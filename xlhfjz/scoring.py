"""The creation score (spec: scoring.md): 19 items, 3 gates, 4 vetoes, the result.

Computed from the *valid* rows of a validated workbook (:class:`~xlhfjz.checks.validate.Report`) plus,
at the office, the 督导检查 rows for the community. Item scores are exact; the total is their
exact sum. Every item says what it was computed from (``detail``) and what is missing for full
marks (``missing``), in words a community secretary understands.

The rubric itself (items, parameters, gates, vetoes, results) is data in
:mod:`xlhfjz.model.rubric`, re-exported here; each item is scored by one function registered
under its id with :func:`item`, and importing this module fails if an item has none.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlhfjz.checks.validate import Report
from xlhfjz.model.rubric import (
    DEFAULTS,
    GATES,
    ITEMS,
    PARAMETERS,
    RESULTS,
    VETOES,
    Parameter,
)
from xlhfjz.model.schema import (
    BY_ID,
    CORE_LEDGERS,
    FIVE_VENUES,
    GRID_ROLES,
    MECHANISM_KINDS,
    ORG_TYPES,
)


@dataclass(frozen=True)
class Verification:
    """The office's 核定 of one item (review.md 评分核定)."""

    score: float
    method: str
    reason: str
    verifier: str
    date: dt.date
    row: int | None = None
    """Its row on 评分核定."""

    def to_json(self) -> dict[str, Any]:
        return {"score": round(self.score, 6), "method": self.method, "reason": self.reason,
                "verifier": self.verifier, "date": self.date.isoformat()}  # fmt: skip


@dataclass
class Item:
    id: str
    name: str
    max: int
    score: float = 0.0
    """The score that counts: the 核定分 when the office verified the item, else the 自评."""
    detail: str = ""
    missing: str = ""
    figures: dict[str, float] = field(default_factory=dict)
    """The counts behind ``detail`` (for the office's aggregates)."""
    self_score: float | None = None
    """The community's own (computed) score, kept when a 核定分 replaced it."""
    verified: Verification | None = None

    @property
    def differs(self) -> bool:
        """核定 and 自评 differ (every output shows both then)."""
        return self.self_score is not None and abs(self.self_score - self.score) > 1e-9

    def verified_text(self) -> str:
        """“自评 12.0 分，核定 8.0 分（实地察看：理由）” — empty without a differing 核定."""
        v = self.verified
        if v is None or self.self_score is None:
            return ""
        return f"自评 {self.self_score:.1f} 分，核定 {v.score:.1f} 分（{v.method}：{v.reason}）"


@dataclass
class ScoreCard:
    """The score of one community."""

    result: str
    total: float
    items: dict[str, Item]
    gates: dict[str, bool]
    vetoes: list[str]
    reasons: list[str] = field(default_factory=list)
    """Why the result is 无法评分 / 一票否决 / 不具备验收条件 (with the evidence)."""
    parameters: dict[str, float] = field(default_factory=lambda: dict(DEFAULTS))

    @property
    def passed(self) -> bool:
        return self.result.startswith("创建成功")

    def shortfalls(self, n: int = 3) -> list[Item]:
        """The ``n`` items with the largest (max − score), largest first."""
        gaps = [i for i in self.items.values() if i.max - i.score > 1e-9]
        return sorted(gaps, key=lambda i: (-(i.max - i.score), i.id))[:n]


# ── helpers ─────────────────────────────────────────────────────────────────────────────────


def _valid(report: Report, sheet_id: str) -> list[dict[str, Any]]:
    table = report.tables.get(sheet_id)
    return table.valid_values() if table else []


def month_list(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    """The calendar months from start's month to end's month, inclusive."""
    out, (y, m) = [], (start.year, start.month)
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def week_list(start: dt.date, end: dt.date) -> list[dt.date]:
    """The Mondays of the ISO weeks that contain a day of [start, end]."""
    monday = start - dt.timedelta(days=start.weekday())
    out = []
    while monday <= end:
        out.append(monday)
        monday += dt.timedelta(days=7)
    return out


def _n(x: float) -> str:
    """A number for a sentence: 3, 2.5, 0.83 → "3", "2.5", "83%" is done by callers."""
    return f"{x:g}" if float(x).is_integer() else f"{x:.1f}"


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _tiered(value: float, tiers: Sequence[tuple[float, float]], strict_last: bool = False) -> float:
    """The score of the first tier (threshold, score) whose threshold value reaches."""
    for k, (threshold, score) in enumerate(tiers):
        last = k == len(tiers) - 1
        if (value > threshold) if (last and strict_last) else (value >= threshold):
            return score
    return 0.0


# ── the items ───────────────────────────────────────────────────────────────────────────────


@dataclass
class _Facts:
    """What every item reads: the report, the parameters, the office's inspections, the period
    (``start`` … ``as_of``, its months and ISO weeks), H and G, and the valid rows by sheet id."""

    report: Report
    params: dict[str, float]
    inspections: Sequence[Mapping[str, Any]]
    start: dt.date
    as_of: dt.date
    households: int
    """H of scoring.md: 辖区户数."""
    grids: int
    """G of scoring.md: 网格数."""
    months: list[tuple[int, int]]
    weeks: list[dt.date]
    rows: dict[str, list[dict[str, Any]]]
    """The valid rows of each sheet, by sheet id."""

    @classmethod
    def of(
        cls, report: Report, inspections: Sequence[Mapping[str, Any]], params: dict[str, float]
    ) -> _Facts:
        ctx = report.context
        start: dt.date = ctx.period_start  # type: ignore[assignment]
        as_of: dt.date = ctx.as_of  # type: ignore[assignment]
        return cls(
            report=report,
            params=params,
            inspections=inspections,
            start=start,
            as_of=as_of,
            households=ctx.households,  # type: ignore[arg-type]
            grids=ctx.grid_count,  # type: ignore[arg-type]
            months=month_list(start, as_of),
            weeks=week_list(start, as_of),
            rows={sid: _valid(report, sid) for sid in BY_ID},
        )


ItemScorer = Callable[[_Facts, Item], None]
_ITEM_IDS = {iid for iid, _, _ in ITEMS}

#: The scoring function of each item, by item id (filled by :func:`item`).
ITEM_SCORERS: dict[str, ItemScorer] = {}


def item(item_id: str) -> Callable[[ItemScorer], ItemScorer]:
    """Register the function that scores item ``item_id`` of :data:`ITEMS`."""

    def register(fn: ItemScorer) -> ItemScorer:
        if item_id not in _ITEM_IDS or item_id in ITEM_SCORERS:
            raise ValueError(f"{item_id} is not an item of the rubric or is scored twice")
        ITEM_SCORERS[item_id] = fn
        return fn

    return register


def _grid_staff(facts: _Facts) -> list[dict[str, Any]]:
    return [
        x for x in facts.rows["grid_staff"] if x["status"] == "在岗" and x["role"] in GRID_ROLES
    ]


@item("A1")
def _organisation(facts: _Facts, it: Item) -> None:
    active = [x for x in facts.rows["org_members"] if x["status"] == "在任"]
    m = len(active)
    leader = any(x["role"] == "组长" for x in active)
    doc = any(x.get("establish_doc") for x in facts.rows["org_members"])
    need = int(facts.params["org_min_members"])
    if m >= need and leader and doc:
        it.score = 5
    elif m >= need and leader:
        it.score = 3
    elif m >= 1:
        it.score = 1
    it.detail = f"在任成员 {m} 人，{'有' if leader else '无'}组长，{'有' if doc else '无'}成立文件"
    it.missing = _clauses(
        f"在任成员至少 {need} 人（再补 {need - m} 人）" if m < need else "",
        "确定一名在任组长" if not leader else "",
        "填写成立文件文号或会议纪要" if not doc else "",
    )


@item("A2")
def _liaison(facts: _Facts, it: Item) -> None:
    n = sum(x["status"] == "在任" for x in facts.rows["liaison"])
    it.score = 4 if n == 1 else 2 if n > 1 else 0
    it.detail = f"在任联络员 {n} 名"
    it.missing = "" if n == 1 else ("确定一名在任联络员" if n == 0 else "在任联络员只保留一名")


@item("A3")
def _ledgers(facts: _Facts, it: Item) -> None:
    have = [sid for sid in CORE_LEDGERS if facts.rows[sid]]
    k = len(have)
    coverage = 3 * k / len(CORE_LEDGERS)
    rows = errors = 0
    for sid, table in facts.report.tables.items():
        if sid == "basic_info":
            continue
        rows += len(table.records)
        errors += sum(not rec.valid for rec in table.records)
    quality = 0.0
    if rows:
        e = errors / rows
        p = facts.params
        quality = (
            3
            if e <= p["quality_full"]
            else 2
            if e <= p["quality_good"]
            else 1
            if e <= p["quality_fair"]
            else 0
        )
    it.score = coverage + quality
    it.detail = f"核心台账 {k}/{len(CORE_LEDGERS)} 类有有效记录；有错误的行 {errors}/{rows}"
    lacking = [BY_ID[sid].name for sid in CORE_LEDGERS if sid not in have]
    it.missing = _clauses(
        f"补填 {'、'.join(lacking)}" if lacking else "",
        f"改正有错误的 {errors} 行" if quality < 3 and errors else "",
    )


@item("B1")
def _monitoring(facts: _Facts, it: Item) -> None:
    posted = any(x["hotline_posted"] == "是" for x in facts.rows["monitoring_points"])
    months = {x["month"] for x in facts.rows["monitoring_logs"]} & set(facts.months)
    M = len(facts.months)
    it.score = (3 if posted else 0) + 2 * len(months) / M
    it.detail = f"{'有' if posted else '无'}公示举报电话的监测点；{len(months)}/{M} 个月有监测记录"
    lacking = [f"{y}年{m}月" for y, m in facts.months if (y, m) not in months]
    it.missing = _clauses(
        "设立公示举报电话的监测点" if not posted else "",
        f"补报 {_first(lacking)} 的监测记录（无异常也要零报告）" if lacking else "",
    )


@item("B2")
def _grid_coverage(facts: _Facts, it: Item) -> None:
    covered = {x["grid_no"] for x in _grid_staff(facts)} & set(range(1, facts.grids + 1))
    it.score = 4 * len(covered) / facts.grids
    it.detail = f"{len(covered)}/{facts.grids} 个网格有在岗网格员"
    lacking = [f"第{g}网格" for g in range(1, facts.grids + 1) if g not in covered]
    it.missing = f"为 {_first(lacking)} 配备在岗网格员" if lacking else ""


@item("B3")
def _grid_training(facts: _Facts, it: Item) -> None:
    trained = sum(
        x["attended"] for x in facts.rows["trainings"] if x["audience_type"] in ("网格员", "混合")
    )
    staff = len(_grid_staff(facts))
    r = min(1.0, trained / staff) if staff else 0.0
    p = facts.params
    it.score = _tiered(
        r, [(p["training_full"], 4), (p["training_half"], 2), (0, 1)], strict_last=True
    )
    it.detail = f"网格员培训 {trained} 人次，在岗网格员 {staff} 人，覆盖 {_pct(r)}"
    if it.score < 4:
        need = max(0, int(-(-p["training_full"] * staff // 1)) - trained) if staff else 0
        it.missing = f"再培训网格员 {need} 人次" if staff else "先登记在岗网格员，再组织培训"


@item("B4")
def _involved_tracking(facts: _Facts, it: Item) -> None:
    if facts.report.context.has_involved == "无":
        it.score, it.detail, it.figures = 3, "无重点人员", {"persons": 0, "tracked": 0}
        return
    by_person: dict[str, list[dt.date]] = {}
    for x in facts.rows["involved_persons"]:
        by_person.setdefault(x["person_code"], []).append(x["follow_date"])
    gap, recent = facts.params["follow_gap_days"], facts.params["follow_recent_days"]
    tracked = 0
    for dates in by_person.values():
        dates.sort()
        gaps_ok = all((b - a).days <= gap for a, b in itertools.pairwise(dates))
        if gaps_ok and (facts.as_of - dates[-1]).days <= recent:
            tracked += 1
    persons = len(by_person)
    it.figures = {"persons": persons, "tracked": tracked}
    it.score = 3 * tracked / persons if persons else 0.0
    it.detail = f"重点人员 {persons} 人，按时跟踪 {tracked} 人"
    if persons == 0:
        it.missing = "登记重点人员跟踪情况"
    elif tracked < persons:
        it.missing = f"{persons - tracked} 人跟踪间隔超过 {gap:g} 天或近 {recent:g} 天未跟踪"


@item("B5")
def _early_reporting(facts: _Facts, it: Item) -> None:
    leads = facts.rows["leads"]
    if leads:
        days = facts.params["lead_report_days"]
        on_time = sum((x["reported"] - x["received"]).days <= days for x in leads)
        it.score = 4 * on_time / len(leads)
        it.detail = f"线索 {len(leads)} 条，{_n(days)} 天内上报 {on_time} 条"
        if on_time < len(leads):
            it.missing = f"{len(leads) - on_time} 条线索未在 {_n(days)} 天内上报街道"
        return
    patrols, logs = bool(facts.rows["patrols"]), bool(facts.rows["monitoring_logs"])
    it.score = 4 if patrols and logs else 2 if patrols or logs else 0
    it.detail = f"无线索；巡查记录{'有' if patrols else '无'}，监测记录{'有' if logs else '无'}"
    it.missing = _clauses(
        "开展巡查并登记" if not patrols else "",
        "按月填报监测记录" if not logs else "",
    )


@item("C1")
def _publicity(facts: _Facts, it: Item) -> None:
    rows = facts.rows["publicity"]
    p = facts.params
    n = len(rows)
    venues = {x["venue"] for x in rows} & set(FIVE_VENUES)
    forms = {f for x in rows for f in x["forms"]}
    case = any(x["typical_case"] == "是" for x in rows)
    need_n, need_v, need_f = p["publicity_events"], p["publicity_venues"], p["publicity_forms"]
    part3 = (3 if case else 2) if len(forms) >= need_f else (1 if forms else 0)
    it.score = 5 * min(1, n / need_n) + 4 * min(1, len(venues) / need_v) + part3
    it.detail = f"宣传活动 {n} 场，五进覆盖 {len(venues)} 类，宣传形式 {len(forms)} 种，{'有' if case else '无'}典型案例剖析"
    lacking_v = [v for v in FIVE_VENUES if v not in venues]
    it.missing = _clauses(
        f"再开展 {_n(need_n - n)} 场活动" if n < need_n else "",
        f"覆盖 {lacking_v[0]} 等 {_n(need_v - len(venues))} 类" if len(venues) < need_v else "",
        f"再采用 {_n(need_f - len(forms))} 种宣传形式" if len(forms) < need_f else "",
        "开展一次剖析典型案例的活动" if not case else "",
    )


def _coverage(
    facts: _Facts, it: Item, sheet_id: str, what: str, has_hotline: Callable[[dict], bool]
) -> None:
    rows = facts.rows[sheet_id]
    reached = sum(x["households_reached"] for x in rows)
    c = reached / facts.households
    p = facts.params
    score = _tiered(c, [(p["coverage_full"], 4), (p["coverage_part"], 2), (0, 1)], strict_last=True)
    hotline = any(has_hotline(x) for x in rows)
    if c > 0 and not hotline:
        score = max(0, score - 1)
    it.score = score
    it.detail = f"{what}覆盖 {reached} 户 / 辖区 {facts.households} 户（{_pct(c)}）"
    if c > 0 and not hotline:
        it.detail += "，未载明举报电话"
    need = max(0, int(-(-p["coverage_full"] * facts.households // 1)) - reached)
    it.missing = _clauses(
        f"再覆盖 {need} 户" if c < p["coverage_full"] else "",
        "载明举报电话" if rows and not hotline else "",
    )


@item("C2")
def _contact_cards(facts: _Facts, it: Item) -> None:
    _coverage(facts, it, "contact_cards", "联系卡", lambda x: "举报电话" in x["content"])


@item("C3")
def _open_letters(facts: _Facts, it: Item) -> None:
    _coverage(facts, it, "open_letters", "公开信", lambda x: x["has_hotline"] == "是")


@item("C4")
def _awareness(facts: _Facts, it: Item) -> None:
    visited = sum(x.get("visited") or 0 for x in facts.inspections)
    aware = sum(x.get("aware") or 0 for x in facts.inspections)
    if visited < facts.params["awareness_min_visits"]:
        it.detail = (
            "待检查"
            if not visited
            else f"待检查（已走访 {visited} 户，不足 {facts.params['awareness_min_visits']:g} 户）"
        )
        it.missing = "需街道督导检查走访"
        return
    k = aware / visited
    it.score = _tiered(k, [(0.9, 5), (0.8, 3), (0.6, 1)])
    it.detail = f"督导走访 {visited} 户，知晓 {aware} 户（{_pct(k)}）"
    it.missing = "" if it.score == 5 else "加强入户宣传，知晓率达到 90%"


@item("D1")
def _volunteers(facts: _Facts, it: Item) -> None:
    n = sum(x["status"] == "在册" for x in facts.rows["volunteers"])
    full, part = facts.params["volunteers_full"], facts.params["volunteers_part"]
    it.score = 5 if n >= full else 3 if n >= part else 1 if n >= 1 else 0
    it.detail = f"在册志愿者 {n} 人"
    it.missing = f"再选聘 {_n(full - n)} 名志愿者" if n < full else ""


@item("D2")
def _responsibility(facts: _Facts, it: Item) -> None:
    orgs = {
        x["target_name"].strip() for x in facts.rows["screenings"] if x["target_type"] in ORG_TYPES
    }
    letters = facts.rows["responsibility_letters"]
    signed = {x["party_name"].strip() for x in letters}
    covered = orgs & signed
    if orgs:
        r = len(covered) / len(orgs)
        ext = _tiered(r, [(0.8, 4), (0.5, 2), (0, 1)], strict_last=True)
    else:
        r, ext = 0.0, (2 if letters else 0)
    i = sum(x["party_type"] in ("网格员", "楼长/单元长") for x in letters)
    internal = 2 if i >= facts.grids else 1 if i >= 1 else 0
    it.score = ext + internal
    it.detail = f"排查的单位 {len(orgs)} 家，签订责任书 {len(covered)} 家；网格员/楼长签订 {i} 份"
    lacking = sorted(orgs - signed)
    it.missing = _clauses(
        f"与 {_first(lacking)} 签订责任书或承诺书" if orgs and ext < 4 else "",
        "登记签订的责任书" if not orgs and not letters else "",
        "排查辖区单位，并与排查到的单位签订责任书或承诺书" if not orgs and letters else "",
        f"网格员/楼长再签订 {facts.grids - i} 份" if i < facts.grids else "",
    )


@item("D3")
def _screening(facts: _Facts, it: Item) -> None:
    rows = facts.rows["screenings"]
    months = {(x["screen_date"].year, x["screen_date"].month) for x in rows} & set(facts.months)
    M = len(facts.months)
    declared = [d for d in facts.report.context.key_domains if d != "无"]
    screened = {x["domain"] for x in rows}
    if declared:
        hit = screened & set(declared)
        dom = 3 * len(hit) / len(declared)
    else:
        hit, dom = set(), 3.0
    it.score = 5 * len(months) / M + dom
    it.detail = f"{len(months)}/{M} 个月有排查记录；辖区重点领域排查 {len(hit)}/{len(declared)} 类"
    lacking_m = [f"{y}年{m}月" for y, m in facts.months if (y, m) not in months]
    lacking_d = [d for d in declared if d not in screened]
    it.missing = _clauses(
        f"补充 {_first(lacking_m)} 的排查" if lacking_m else "",
        f"排查 {_first(lacking_d)} 领域" if lacking_d else "",
    )


@item("D4")
def _patrols(facts: _Facts, it: Item) -> None:
    rows = facts.rows["patrols"]
    weeks = {x["patrol_date"] - dt.timedelta(days=x["patrol_date"].weekday()) for x in rows}
    weeks &= set(facts.weeks)
    tiers = {x["tier"] for x in rows}
    W = len(facts.weeks)
    it.score = 4 * len(weeks) / W + 2 * len(tiers) / 3
    it.detail = f"{len(weeks)}/{W} 周有巡查；巡防层级 {len(tiers)}/3 级"
    it.missing = _clauses(
        f"还有 {W - len(weeks)} 周没有巡查记录" if len(weeks) < W else "",
        f"补齐 {'、'.join(t for t in ('一级', '二级', '三级') if t not in tiers)} 巡防"
        if len(tiers) < 3
        else "",
    )


@item("E1")
def _mechanisms(facts: _Facts, it: Item) -> None:
    rows = facts.rows["mechanisms"]
    missing_kinds, unexercised = [], []
    score = 0.0
    for kind in MECHANISM_KINDS:
        kind_rows = [x for x in rows if x["category"] == kind]
        if not kind_rows:
            missing_kinds.append(kind)
            continue
        score += 1.5
        if any(
            x.get("last_exercised") and facts.start <= x["last_exercised"] <= facts.as_of
            for x in kind_rows
        ):
            score += 0.5
        else:
            unexercised.append(kind)
    have = len(MECHANISM_KINDS) - len(missing_kinds)
    it.score = score
    it.detail = f"四项机制建立 {have}/4 项，期间执行 {have - len(unexercised)} 项"
    it.missing = _clauses(
        f"建立“{'、'.join(missing_kinds)}”制度" if missing_kinds else "",
        f"“{'、'.join(unexercised)}”在创建期间执行并填写最近执行日期" if unexercised else "",
    )


@item("E2")
def _progress_reports(facts: _Facts, it: Item) -> None:
    due = [x for x in facts.rows["progress_reports"] if x["due"] <= facts.as_of]
    on_time = [x for x in due if x.get("submitted") and x["submitted"] <= x["due"]]
    it.score = 4 * len(on_time) / len(due) if due else 0.0
    it.detail = f"应报 {len(due)} 期，按时报送 {len(on_time)} 期"
    if not due:
        it.missing = "登记进度报送情况"
    elif len(on_time) < len(due):
        it.missing = f"{len(due) - len(on_time)} 期未按时报送"


@item("E3")
def _lead_closure(facts: _Facts, it: Item) -> None:
    leads = facts.rows["leads"]
    if not leads:
        it.score, it.detail = 3, "无线索"
        return
    closed = sum(
        bool(x.get("closed")) or x["disposal"] in ("已取缔关闭", "已化解", "无需处置")
        for x in leads
    )
    it.score = 3 * closed / len(leads)
    it.detail = f"线索 {len(leads)} 条，已办结 {closed} 条"
    it.missing = f"{len(leads) - closed} 条线索尚未办结" if closed < len(leads) else ""


if set(ITEM_SCORERS) != _ITEM_IDS:  # the table of items and the code must not drift
    raise RuntimeError(f"items without a scoring function: {sorted(_ITEM_IDS - set(ITEM_SCORERS))}")


def _clauses(*parts: str) -> str:
    """The non-empty parts, joined as one sentence of clauses (“a；b”)."""
    return "；".join(p for p in parts if p)


def _first(names: Sequence[str], n: int = 3) -> str:
    return "、".join(names[:n]) + (f" 等 {len(names)} 项" if len(names) > n else "")


# ── the result ──────────────────────────────────────────────────────────────────────────────

_REQUIRED_BASIC = {
    "period_start": "创建开始日期",
    "period_end": "创建截止日期",
    "report_date": "报送日期",
    "households": "辖区户数",
    "grid_count": "网格数",
}


def overdue_fixes(
    inspections: Sequence[Mapping[str, Any]], eval_date: dt.date
) -> list[Mapping[str, Any]]:
    """督导检查 rows whose 整改期限 is before ``eval_date`` with no 整改完成日期 (G4)."""
    return [
        x
        for x in inspections
        if isinstance(x.get("fix_due"), dt.date)
        and x["fix_due"] < eval_date
        and not x.get("fix_done")
    ]


def score_report(
    report: Report,
    inspections: Sequence[Mapping[str, Any]] = (),
    parameters: Mapping[str, float] | None = None,
    verifications: Mapping[str, Verification] | None = None,
    eval_date: dt.date | None = None,
) -> ScoreCard:
    """Score one validated community; ``inspections`` are the office's 督导检查 rows for it,
    ``verifications`` its 评分核定 by item id (review.md), ``eval_date`` the day 整改期限 are
    judged against (G4; default today)."""
    p = dict(DEFAULTS)
    p.update(parameters or {})
    items = {iid: Item(iid, name, mx) for iid, name, mx in ITEMS}
    lacking = [label for fid, label in _REQUIRED_BASIC.items() if not report.basic.get(fid)]
    if not report.readable or lacking:
        why = "文件无法读取" if not report.readable else f"基本信息缺少有效的{'、'.join(lacking)}"
        return ScoreCard("无法评分", 0.0, items, {g: False for g in GATES}, [], [why], p)

    facts = _Facts.of(report, inspections, p)
    for iid, it in items.items():
        ITEM_SCORERS[iid](facts, it)
        it.score = float(it.score)
        verified = (verifications or {}).get(iid)
        if verified is not None:
            it.self_score, it.verified, it.score = it.score, verified, float(verified.score)
    total = sum(i.score for i in items.values())
    overdue = overdue_fixes(inspections, eval_date or dt.date.today())

    v = facts.rows
    gates = {
        "G1": any(x["role"] == "组长" and x["status"] == "在任" for x in v["org_members"]),
        "G2": any(x["status"] == "在任" for x in v["liaison"]),
        "G3": report.basic.get("self_declared_clean") == "是",
        "G4": not overdue,
    }
    vetoes: dict[str, str] = {}
    table = report.tables.get("leads")
    for rec in table.records if table else []:
        x = rec.values
        if rec.valid and x["verification"] == "查实" and x["disposal"] != "已取缔关闭":
            vetoes.setdefault("V1", f"线索表第{rec.row}行：核查查实，处置状态为“{x['disposal']}”")
    for ins in inspections:
        for vid, label in VETOES.items():
            if label in (ins.get("vetoes") or ()):
                vetoes.setdefault(
                    vid, f"督导检查（{_date_text(ins.get('inspect_date'))}）：{label}"
                )

    reasons: list[str] = []
    if vetoes:
        result = "一票否决"
        reasons = [f"{vid} {VETOES[vid]}：{ev}" for vid, ev in sorted(vetoes.items())]
    elif not all(gates.values()):
        result = "不具备验收条件"
        reasons = [f"{g} 未满足：{GATES[g]}" for g, ok in gates.items() if not ok and g != "G4"]
        reasons += [
            f"G4 未满足：{GATES['G4']}（{_date_text(x.get('inspect_date'))} 督导检查"
            f"（督导检查表第{x.get('_row', '?')}行）要求 {_date_text(x['fix_due'])} 前整改，"
            "尚未填写整改完成日期）"
            for x in overdue
        ]
    elif total >= p["excellent_line"]:
        result = "创建成功（优秀）"
    elif total >= p["pass_line"]:
        result = "创建成功"
    else:
        result = "未达标"
    return ScoreCard(result, total, items, gates, sorted(vetoes), reasons, p)


def _date_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else "日期未填"


def card_json(card: ScoreCard) -> dict[str, Any]:
    """The score part of ``score --json`` (cli.md)."""
    return {
        "result": card.result,
        "total": round(card.total, 6),
        "gates": card.gates,
        "vetoes": card.vetoes,
        "reasons": card.reasons,
        "items": {i.id: _item_json(i) for i in card.items.values()},
        "parameters": {
            k: (int(v) if float(v).is_integer() else v) for k, v in card.parameters.items()
        },
    }


def _item_json(i: Item) -> dict[str, Any]:
    out: dict[str, Any] = {
        "score": round(i.score, 6),
        "max": i.max,
        "detail": i.detail,
        "missing": i.missing,
    }
    if i.verified is not None:
        out["self_score"] = round(i.self_score or 0.0, 6)
        out["verified"] = i.verified.to_json()
    return out


__all__ = [
    "DEFAULTS",
    "GATES",
    "ITEMS",
    "ITEM_SCORERS",
    "PARAMETERS",
    "RESULTS",
    "VETOES",
    "Item",
    "Parameter",
    "ScoreCard",
    "Verification",
    "card_json",
    "item",
    "month_list",
    "overdue_fixes",
    "score_report",
    "week_list",
]
