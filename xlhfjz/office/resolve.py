"""Who is who in a merge (office.md "What the merge does"): each file's community by 社区代码,
files that are not ledgers, duplicates (the latest 报送日期 wins), codes not on 社区名单, the
listed communities with no file (未提交), and the target over them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlhfjz.checks.validate import Report
from xlhfjz.model.issues import E, Issue, W
from xlhfjz.office.fileresult import FileResult
from xlhfjz.office.inputs import OfficeData
from xlhfjz.office.summary import (
    CONTACT_SHEETS,
    NOT_SUBMITTED,
    UNREADABLE,
    Community,
    FileLog,
    Target,
    target,
)
from xlhfjz.scoring import ScoreCard

_LEADING_CODE = re.compile(r"^(\d{12})")


@dataclass
class MergeResult:
    folder: str
    communities: list[Community]
    logs: list[FileLog]
    target: Target
    office: OfficeData
    contacts: bool = False
    """The contact sheets' records were kept (``merge_folder(..., contacts=True)``)."""
    eval_date: dt.date | None = None
    """The day 整改期限 were judged against (G4)."""
    reviews: dict[str, Any] | None = None
    """社区代码 → :class:`~xlhfjz.office.review.Review` (``merge --previous``), else None."""
    signals: Sequence[Any] | None = None
    """疑点提示 rows (:class:`xlhfjz.office.fingerprints.Signal`; a merge keeps them on disk, a
    block at a time), None when not computed."""
    signal_findings: int | None = None
    """How many findings (Y001…) the signals made, listed or not (the lines are capped)."""
    signals_note: str = ""
    """Why there are no 疑点提示 (e.g. pandas is not installed)."""


def identity(report: Report, rel: str, roster: Mapping[str, str]) -> tuple[str, str]:
    """(社区代码 or a stand-in naming the file, 社区名称 or the list's name) of a ledger file."""
    code = report.community_code or f"（无社区代码：{rel}）"
    return code, report.community_name or roster.get(code, "")


_MIN_DATE = dt.date.min


#: Sheets that mark the office's own files (a summary or the office workbook left in the folder).
_OFFICE_MARKS = {"汇总看板": "这是合并生成的汇总文件", "督导检查": "这是街道汇总工作簿"}
OFFICE_SHEETS = frozenset(_OFFICE_MARKS)
"""The sheet names of the office's own files: the merge recognises them before reading more."""


def not_a_ledger(report: Report) -> tuple[str, str] | None:
    """(outcome, reason) for a file that is not a community ledger, else None."""
    if not report.readable:
        return "unreadable", report.issues[0].message if report.issues else "无法读取"
    for sheet, what in _OFFICE_MARKS.items():
        if sheet in report.sheet_names:
            return "skipped", f"{what}，不是社区台账"
    missing = report.missing_sheets
    if "基本信息" in missing and len(missing) > len(report.tables) // 2:
        return (
            "unreadable",
            f"不是社区台账模板（缺少“基本信息”等 {len(missing)} 张工作表），"
            "请用 xlhfjz new 生成的模板填报后再提交",
        )
    return None


def relative_name(path: str, root: Path) -> str:
    """The file's name under the folder, as it is shown (see :func:`display_name`)."""
    try:
        return display_name(str(Path(path).relative_to(root)))
    except ValueError:
        return display_name(Path(path).name)


def display_name(name: str) -> str:
    """A file name as shown and written: bytes that are not UTF-8 (a name unzipped from a Windows
    zip arrives as GBK) become U+FFFD; the file itself is still opened by its real name."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return name.encode("utf-8", "replace").decode("utf-8")


def _same_content(a: FileResult, b: FileResult) -> bool:
    return a.sha256 is not None and a.sha256 == b.sha256


def code_from_name(name: str) -> str | None:
    m = _LEADING_CODE.match(Path(name).name)
    return m.group(1) if m else None


def examine(
    path: str,
    root: Path,
    size: int,
    sha256: str | None,
    report: Report,
    card: ScoreCard | None,
    roster: Mapping[str, str],
    contacts: bool = False,
) -> FileResult:
    """One file's :class:`FileResult` (in its worker): refused or whose, its rows, the values the
    aggregates and (``contacts``) the contacts workbook read. ``report`` is not changed; the
    merged sheets' rendered rows are added by the worker (:mod:`xlhfjz.batch`)."""
    rel = relative_name(path, root)
    light = dataclasses.replace(report, tables={})
    res = FileResult(path, rel, size, sha256, light, card, not_a_ledger(report))
    if res.refused is not None:
        res.code = code_from_name(rel) if res.refused[0] == "unreadable" else None
        return res
    res.code, res.name = identity(report, rel, roster)
    res.rows = report.rows
    tables = report.tables
    res.leads = tables["leads"].valid_values() if "leads" in tables else []
    persons = tables.get("involved_persons")
    res.persons = persons.valid_values() if persons else []
    if contacts:
        res.contacts = {
            sid: [r.values for r in tables[sid].records] for sid in CONTACT_SHEETS if sid in tables
        }
    return res


def resolve(
    results: Sequence[FileResult],
    logs: list[FileLog],
    root: Path,
    office: OfficeData,
    contacts: bool = False,
) -> MergeResult:
    """The merge's outcome from every file's result and the log of the skipped entries."""
    by_code: dict[str, list[FileResult]] = {}
    for res in results:
        if res.refused is not None:
            outcome, reason = res.refused
            logs.append(
                FileLog(res.file, res.size, res.sha256, outcome, reason, community_code=res.code)
            )
            continue
        by_code.setdefault(res.code or "", []).append(res)

    roster = office.roster_codes
    communities: dict[str, Community] = {}
    for code, group in by_code.items():
        group.sort(key=lambda r: (r.report.context.report_date or _MIN_DATE, r.file))
        used, older = group[-1], group[:-1]
        status = used.card.result if used.card else UNREADABLE
        c = Community(code, used.name, status, used.file, used)
        copies = bool(older) and all(_same_content(r, used) for r in older)
        if older:
            files_text = "、".join(r.file for r in group)
            for res in group:
                if copies:  # the same file twice is no conflict: say so, as a warning
                    message = (
                        f"同一个文件提交了 {len(group)} 份（{files_text}，内容完全相同），"
                        f"只合并“{c.file}”；请删去多余的副本"
                    )
                else:
                    message = (
                        f"同一社区代码提交了 {len(group)} 个文件（{files_text}），"
                        f"已使用报送日期最晚的“{c.file}”"
                    )
                issue = Issue.new("duplicate-community", message, severity=W if copies else E)
                c.extra_issues.append((res.file, issue))
        if roster and code not in roster:
            message = f"社区代码“{code}”不在街道的社区名单中，请核对"
            issue = Issue.new("unknown-community", message)
            c.extra_issues.append((c.file, issue))
        communities[code] = c
        for res in group:
            outcome = "merged" if res is used else "superseded"
            why = (
                None
                if res is used
                else f"与“{c.file}”是同一个文件（内容完全相同）"
                if _same_content(res, used)
                else f"同一社区有报送日期更晚的文件“{c.file}”"
            )
            logs.append(FileLog(res.file, res.size, res.sha256, outcome, why, res.rows, code))

    unread_codes = {log.community_code for log in logs if log.outcome == "unreadable"}
    for code, name in roster.items():
        if code not in communities:
            status = UNREADABLE if code in unread_codes else NOT_SUBMITTED
            communities[code] = Community(code, name, status)
    if not roster:  # an unreadable file still shows in the status board
        for log in logs:
            if log.outcome == "unreadable" and (log.community_code or log.file) not in communities:
                key = log.community_code or log.file
                communities[key] = Community(log.community_code or "", "", UNREADABLE, log.file)

    ordered = sorted(communities.values(), key=lambda c: (c.code == "", c.code, c.file or ""))
    # N: the list, or (without one) every submitted community we could tell apart
    listed = [c for c in ordered if c.code in roster] if roster else [c for c in ordered if c.code]
    logs.sort(key=lambda log: log.file)
    tgt = target(listed, office.parameters["target_ratio"])
    return MergeResult(display_name(str(root)), ordered, logs, tgt, office, contacts)
