"""汇总看板 as data (office.md "Summary workbook outputs", scoring.md "Office target").

One model, built once from a merge; the summary workbook (:mod:`xlhfjz.xlsx.summary`), the
office workbook's button (:mod:`xlhfjz.excel`) and the terminal (:mod:`xlhfjz.cli.render`) only
lay it out. Values are kept unrounded; each renderer rounds as it shows them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from xlhfjz.office.resolve import MergeResult
from xlhfjz.office.review import (
    OverdueFix,
    VerifiedLine,
    overdue_lines,
    review_counts,
    verified_lines,
)
from xlhfjz.office.summary import (
    NOT_SUBMITTED,
    OUTCOME_ZH,
    Community,
    Target,
    candidates,
    progress_figures,
    shortfall_text,
    status_counts,
)


@dataclass(frozen=True)
class CommunityLine:
    """One community of the status board."""

    code: str
    name: str
    status: str
    total: float | None
    errors: int | None
    """E issues (None when no file of it was read)."""
    warnings: int | None
    file: str | None


@dataclass(frozen=True)
class Candidate:
    """A 未达标 community near the pass line, with what it still has to do."""

    code: str
    name: str
    total: float
    short_by: float
    """Points below the pass line."""
    shortfalls: str
    """Its three largest shortfalls (max − score), as one sentence."""


@dataclass(frozen=True)
class ProblemFile:
    """A file that was not merged (superseded, skipped or unreadable) and why."""

    file: str
    outcome: str
    """Chinese (已被替代 / 已跳过 / 无法读取)."""
    reason: str | None


@dataclass(frozen=True)
class Dashboard:
    street: str
    folder: str
    generated: dt.datetime
    target: Target
    pass_line: float
    progress: list[tuple[str, int]]
    """总体进度: 名单社区数, 已提交, 校验通过（无错误）, 创建成功, 目标（至少）."""
    counts: list[tuple[str, int]]
    """结果分布: every result, zeros included."""
    communities: list[CommunityLine]
    """Every community of the merge, in the merge's order."""
    scores: list[tuple[str, float]]
    """(name, or code without one; total) of every scored community (the scores chart)."""
    candidates: list[Candidate]
    """未达标 communities by total, highest first (all of them)."""
    not_submitted: list[tuple[str, str]]
    """(code, name) of the listed communities without a file."""
    problems: list[ProblemFile]
    """Every file found that was not merged, by name."""
    verified: list[VerifiedLine] = field(default_factory=list)
    """Items whose 核定分 differs from the 自评 (review.md)."""
    overdue: list[OverdueFix] = field(default_factory=list)
    """整改 past their 期限 with no 完成日期 (G4), by 期限."""
    reviews: list[tuple[str, int]] | None = None
    """复核结论 counts (``merge --previous``), else None."""
    signals: int | None = None
    """疑点提示 count (distinct 编号), None when not computed."""
    signals_note: str = ""

    @property
    def title(self) -> str:
        return f"{self.street}创建“无非法集资社区（村居）”汇总看板"


def dashboard(result: MergeResult, now: dt.datetime | None = None) -> Dashboard:
    """The dashboard of a merge."""
    comms = result.communities
    t = result.target
    pass_line = result.office.parameters["pass_line"]
    lines = [_line(c) for c in comms]
    scored = [
        (c.name or c.code, c.total or 0.0) for c in comms if c.card and c.card.result != "无法评分"
    ]
    near = [_candidate(c, pass_line) for c in candidates(comms)]
    names = {c.code: c.name for c in comms}
    eval_date = result.eval_date or (now or dt.datetime.now()).date()
    return Dashboard(
        street=result.office.settings.get("street") or "",
        folder=result.folder,
        generated=now or dt.datetime.now(),
        target=t,
        pass_line=pass_line,
        progress=progress_figures(comms, t, result.office.roster_codes),
        counts=status_counts(comms),
        communities=lines,
        scores=scored,
        candidates=near,
        not_submitted=[(c.code, c.name) for c in comms if c.status == NOT_SUBMITTED],
        problems=[
            ProblemFile(log.file, OUTCOME_ZH[log.outcome], log.reason)
            for log in result.logs
            if log.outcome != "merged"
        ],
        verified=verified_lines(comms),
        overdue=overdue_lines(result.office.inspections, names, eval_date),
        reviews=review_counts(result.reviews) if result.reviews is not None else None,
        signals=result.signal_findings,
        signals_note=result.signals_note,
    )


def review_sections(d: Dashboard) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The dashboard's review blocks (review.md) as (title, header, rows), laid out alike by every
    renderer: 核定 beside 自评, overdue 整改, 复核 counts, the 疑点 count."""
    out: list[tuple[str, list[str], list[list[Any]]]] = []
    out.append((
        "街道核定的评分（与社区自评不同的项）",
        ["社区名称", "社区代码", "评分项", "自评", "核定", "考评方式", "理由"],
        [[v.name, v.code, v.item, round(v.self_score, 1), round(v.verified, 1), v.method, v.reason]
         for v in d.verified],
    ))  # fmt: skip
    out.append((
        "逾期未完成的整改（G4 整改按期完成）",
        ["社区名称", "社区代码", "检查日期", "整改期限", "逾期天数", "督导检查行", "发现问题"],
        [[o.name, o.code, o.inspected, o.due, o.days, o.row, o.findings or None]
         for o in d.overdue],
    ))  # fmt: skip
    if d.reviews is not None:
        out.append(("复核结论（与上期汇总相比）", ["复核结论", "社区数"],
                    [[k, n] for k, n in d.reviews]))  # fmt: skip
    if d.signals is not None:
        rows = [["疑点提示", d.signals, "逐条见“疑点提示”表；疑点只是提示，需人工核实，不影响评分"]]
    else:
        rows = [["疑点提示", None, d.signals_note or "未计算"]]
    out.append(("疑点提示（弄虚作假线索）", ["项目", "条数", "说明"], rows))
    return out


def _line(c: Community) -> CommunityLine:
    read = c.report is not None
    errors, warnings = (c.errors, c.warnings) if read else (None, None)
    return CommunityLine(c.code, c.name, c.status, c.total, errors, warnings, c.file)


def _candidate(c: Community, pass_line: float) -> Candidate:
    total = c.total or 0.0
    shortfalls = shortfall_text(c.card) if c.card else ""
    return Candidate(c.code, c.name, total, pass_line - total, shortfalls)
