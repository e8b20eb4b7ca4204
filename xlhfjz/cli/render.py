"""What the command line prints (cli.md): the human forms and the ``--json`` documents.

Pure functions of the core's results; :mod:`xlhfjz.cli` runs the commands and
:mod:`xlhfjz.cli.demo` prints the dashboard with :func:`format_dashboard`.
"""

from __future__ import annotations

from typing import Any

from xlhfjz.checks.validate import Report
from xlhfjz.model.issues import SEVERITY_ZH
from xlhfjz.model.values import display_width
from xlhfjz.office.dashboard import dashboard, review_sections
from xlhfjz.office.resolve import MergeResult
from xlhfjz.scoring import ScoreCard

# ── validate ────────────────────────────────────────────────────────────────────────────────


def format_report(report: Report) -> str:
    """The human form of one file's issues, grouped by sheet, with a count line."""
    who = " ".join(x for x in (report.community_name, report.community_code) if x)
    lines = [f"■ {report.path}" + (f"（{who}）" if who else "")]
    if not report.readable:
        lines.append(f"  无法读取：{report.issues[0].message}")
        return "\n".join(lines)
    groups: dict[str, list[Any]] = {}
    for issue in report.issues:
        groups.setdefault(issue.sheet or "整个文件", []).append(issue)
    for sheet, issues in groups.items():
        lines.append(f"  【{sheet}】")
        for i in sorted(issues, key=lambda i: i.row or 0):
            where = f"第{i.row}行" if i.row else "  —  "
            col = f" {i.column}" if i.column else ""
            lines.append(f"    {where}{col}  {SEVERITY_ZH[i.severity]}：{i.message}  [{i.code}]")
    if report.errors or report.warnings:
        lines.append(f"  共 {report.errors} 个错误、{report.warnings} 个提醒")
    else:
        lines.append("  校验通过：没有发现问题")
    return "\n".join(lines)


# ── score ───────────────────────────────────────────────────────────────────────────────────


def format_card(report: Report, card: ScoreCard) -> str:
    """The human form of one community's score."""
    who = " ".join(x for x in (report.community_name, report.community_code) if x)
    lines = [f"■ {report.path}" + (f"（{who}）" if who else "")]
    lines.append(f"  创建结果：{card.result}    总分：{card.total:.1f} / 100")
    for reason in card.reasons:
        lines.append(f"  · {reason}")
    gates = "  ".join(f"{g}{'✓' if ok else '✗'}" for g, ok in card.gates.items())
    lines.append(f"  基本条件：{gates}    错误 {report.errors} 个、提醒 {report.warnings} 个")
    for item in card.items.values():
        mark = (
            ""
            if item.score >= item.max - 1e-9
            else f"  → 还需：{item.missing}"
            if item.missing
            else ""
        )
        lines.append(
            f"  {item.id} {item.name:<8} {item.score:4.1f}/{item.max:<2}  {item.detail}{mark}"
        )
        if item.differs:
            lines.append(f"      街道核定：{item.verified_text()}")
    return "\n".join(lines)


# ── merge ───────────────────────────────────────────────────────────────────────────────────


def _pad(text: str, width: int) -> str:
    """Left-justify for a terminal where a CJK character takes two columns."""
    used = display_width(text)
    return text + " " * max(0, width - used)


def format_dashboard(result: MergeResult) -> str:
    """The dashboard (:mod:`xlhfjz.office.dashboard`) for the terminal: target, progress,
    results, every community, the nearest candidates, the files not merged."""
    d = dashboard(result)
    lines = [f"━━ {d.title} ━━"]
    lines.append(f"创建成功 {d.target.sentence()}")
    lines.append("总体进度：" + "  ".join(f"{label} {n}" for label, n in d.progress))
    counts = "  ".join(f"{k} {n}" for k, n in d.counts if n)
    lines.append(f"结果分布：{counts}")
    lines.append("")
    lines.append(
        _pad("社区代码", 14)
        + _pad("社区名称", 14)
        + _pad("创建结果", 18)
        + _pad("总分", 8)
        + "错误/提醒"
    )
    for c in d.communities:
        total = "" if c.total is None else f"{c.total:.1f}"
        issues = "" if c.errors is None else f"{c.errors}/{c.warnings}"
        lines.append(
            _pad(c.code, 14) + _pad(c.name, 14) + _pad(c.status, 18) + _pad(total, 8) + issues
        )
    if d.candidates:
        lines.append("")
        lines.append("最接近达标的社区：")
        for n in d.candidates:
            lines.append(f"  {n.name}（{n.total:.1f} 分，差 {n.short_by:.1f} 分）：{n.shortfalls}")
    if d.problems:
        lines.append("")
        lines.append("有问题的文件：")
        for f in d.problems:
            lines.append(f"  {f.file}：{f.reason}")
    for title, header, rows in review_sections(d):
        if not rows:
            continue
        lines.append("")
        lines.append(f"{title}：")
        for row in rows:
            cells = [_cell_text(v) for v in row]
            lines.append(
                "  " + "  ".join(f"{h} {v}" for h, v in zip(header, cells, strict=True) if v)
            )
    return "\n".join(lines)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
