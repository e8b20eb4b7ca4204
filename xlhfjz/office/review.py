"""The office's review (review.md): 核定 shown beside 自评, overdue 整改, and 复核 against an
earlier summary (保持 / 警告 / 撤销 / 新创建成功). Pure data; reading the earlier summary is
:func:`xlhfjz.xlsx.previous.read_previous`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from xlhfjz.scoring import ScoreCard, overdue_fixes


class Community(Protocol):
    """What the review reads of a :class:`xlhfjz.office.summary.Community`."""

    code: str
    name: str
    status: str

    @property
    def total(self) -> float | None: ...

    @property
    def card(self) -> ScoreCard | None: ...


SUCCESS = ("创建成功", "创建成功（优秀）")
#: 复核结论 values, in the dashboard's order.
CONCLUSIONS = ("保持", "警告", "撤销", "新创建成功")
#: 社区评分's columns added by ``merge --previous``.
REVIEW_HEADER = ("上期结果", "上期总分", "变化", "复核结论")


@dataclass(frozen=True)
class Previous:
    """One community of the earlier summary's 社区评分."""

    result: str | None
    total: float | None
    conclusion: str | None = None
    """Its own 复核结论, when that summary was itself a 复核."""


@dataclass(frozen=True)
class Review:
    """复核 of one community: the earlier result and total, the change, the conclusion."""

    previous: Previous | None
    change: float | None
    conclusion: str
    """One of :data:`CONCLUSIONS`, or "" (not successful then nor now)."""


def conclusion(previous: Previous | None, now: str) -> str:
    """复核结论 of review.md's table: ``now`` is the community's status in this merge."""
    succeeded_now = now in SUCCESS
    if previous is not None and previous.result in SUCCESS:
        if succeeded_now:
            return "保持"
        return "撤销" if now == "一票否决" else "警告"
    if previous is not None and previous.conclusion == "警告":
        return "保持" if succeeded_now else "撤销"
    return "新创建成功" if succeeded_now else ""


def review(community: Community, previous: Previous | None) -> Review:
    change = None
    if previous is not None and previous.total is not None and community.total is not None:
        change = community.total - previous.total
    return Review(previous, change, conclusion(previous, community.status))


def review_all(
    communities: Sequence[Community], previous: Mapping[str, Previous]
) -> dict[str, Review]:
    """社区代码 → 复核 of every community of the merge."""
    return {c.code: review(c, previous.get(c.code)) for c in communities}


def review_counts(reviews: Mapping[str, Review]) -> list[tuple[str, int]]:
    """How many communities have each 复核结论 (every conclusion listed, zeros included)."""
    counts = dict.fromkeys(CONCLUSIONS, 0)
    for r in reviews.values():
        if r.conclusion:
            counts[r.conclusion] += 1
    return list(counts.items())


def review_cells(r: Review | None) -> list[Any]:
    """社区评分's 上期结果, 上期总分, 变化, 复核结论 of one community."""
    if r is None:
        return [None] * len(REVIEW_HEADER)
    prev = r.previous
    return [
        prev.result if prev else None,
        None if prev is None or prev.total is None else round(prev.total, 1),
        None if r.change is None else round(r.change, 1),
        r.conclusion or None,
    ]


# ── 核定 and 整改 on the dashboard ─────────────────────────────────────────────────────────


@dataclass(frozen=True)
class VerifiedLine:
    """One item whose 核定分 differs from the community's 自评."""

    code: str
    name: str
    item: str
    """e.g. "C1 宣传活动"."""
    self_score: float
    verified: float
    method: str
    reason: str


def verified_lines(communities: Sequence[Community]) -> list[VerifiedLine]:
    out = []
    for c in communities:
        if not c.card:
            continue
        for it in c.card.items.values():
            if it.differs and it.verified is not None:
                out.append(
                    VerifiedLine(c.code, c.name, f"{it.id} {it.name}", it.self_score or 0.0,
                                 it.score, it.verified.method, it.verified.reason)
                )  # fmt: skip
    return out


@dataclass(frozen=True)
class OverdueFix:
    """A 督导检查 row past its 整改期限 with no 整改完成日期 (G4)."""

    code: str
    name: str
    inspected: dt.date | None
    due: dt.date
    days: int
    """Days past the 期限 on the evaluation date."""
    row: int | None
    """Its row on 督导检查."""
    findings: str


def overdue_lines(
    inspections: Sequence[Mapping[str, Any]], names: Mapping[str, str], eval_date: dt.date
) -> list[OverdueFix]:
    out = [
        OverdueFix(
            x["community_code"],
            names.get(x["community_code"], ""),
            x.get("inspect_date"),
            x["fix_due"],
            (eval_date - x["fix_due"]).days,
            x.get("_row"),
            x.get("findings") or "",
        )
        for x in overdue_fixes(inspections, eval_date)
    ]
    return sorted(out, key=lambda o: (o.due, o.code))
