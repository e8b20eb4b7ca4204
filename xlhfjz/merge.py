"""The merge (office.md "What the merge does"): a folder of community workbooks → one summary.

Files are only ever opened for reading. Each file is read, validated and scored exactly as the
community's own button would, in a pool of worker processes (both cores); one bad file never
stops the merge. Then communities are identified by 社区代码, duplicates resolved, the list's
missing communities marked 未提交, and the summary written atomically.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from xlhfjz.api import validate_file
from xlhfjz.issues import E, Issue, W
from xlhfjz.office import OfficeData
from xlhfjz.scoring import ScoreCard, score_report
from xlhfjz.sheetdata import render_rows
from xlhfjz.summary import (
    CONTACT_SHEETS,
    NOT_SUBMITTED,
    UNREADABLE,
    Community,
    FileLog,
    Target,
    ledger_rows,
    merged_sheets,
    pack_rows,
    target,
)
from xlhfjz.validate import Record, Report

EXTENSIONS = (".xlsx", ".xlsm")
_LEADING_CODE = re.compile(r"^(\d{12})")

Progress = Callable[[int, int, str], None]


@dataclass
class FileResult:
    """What a worker brings back for one file."""

    path: str
    size: int
    sha256: str
    report: Report
    card: ScoreCard | None


@dataclass
class MergeResult:
    folder: str
    communities: list[Community]
    logs: list[FileLog]
    target: Target
    office: OfficeData
    contacts: bool = False
    """The contact sheets' records were kept (``merge_folder(..., contacts=True)``)."""


def find_files(folder: Path, recursive: bool = False) -> tuple[list[Path], list[FileLog]]:
    """Candidate workbooks (sorted by name) and the skipped entries with their reasons."""
    entries = sorted(folder.rglob("*") if recursive else folder.iterdir(), key=lambda p: p.name)
    take: list[Path] = []
    skipped: list[FileLog] = []
    for p in entries:
        if p.is_dir():
            if not recursive and not p.name.startswith("."):
                skipped.append(FileLog(p.name, None, None, "skipped", "文件夹（未进入子文件夹）"))
            continue
        rel = str(p.relative_to(folder))
        if p.name.startswith("~$"):
            skipped.append(
                FileLog(rel, _size(p), None, "skipped", "Excel 打开文件时产生的临时锁文件")
            )
        elif p.name.startswith("."):
            skipped.append(FileLog(rel, _size(p), None, "skipped", "隐藏文件"))
        elif p.suffix.lower() not in EXTENSIONS:
            skipped.append(FileLog(rel, _size(p), None, "skipped", "不是 .xlsx/.xlsm 文件"))
        else:
            take.append(p)
    return take, skipped


def _size(p: Path) -> int | None:
    try:
        return p.stat().st_size
    except OSError:
        return None


@dataclass(frozen=True)
class Job:
    """What every worker needs besides the file: the office data and how to hand rows back."""

    office: OfficeData
    root: str
    keep_rows: bool = False
    """Keep the merged rows as values too (packed), not only rendered (see :func:`merge_folder`)."""
    contacts: bool = False
    """Keep the contact sheets' records (for :func:`~xlhfjz.summary_writer.write_contacts`)."""
    overlap: bool = True
    """Let the reader check parts in a helper thread (False when every core has a worker)."""


def process_file(path: str, job: Job) -> FileResult:
    """Hash, validate and score one file; render its merged rows (runs in a worker process).

    The merged sheets' rows are rendered for the summary file here, in parallel (see
    :mod:`xlhfjz.sheetdata`), and their records dropped."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError:
        pass  # the reader reports why it cannot be read
    report = validate_file(path, overlap=job.overlap)
    card = None
    if report.readable:
        office = job.office
        card = score_report(
            report, office.inspections_for(report.community_code), office.parameters
        )
        if _not_a_ledger(report) is None:
            rel = _rel(path, Path(job.root))
            code, name = identity(report, rel, office.roster_codes)
            _prepare_tables(report, code, name, rel, job)
    return FileResult(path, size, digest.hexdigest(), report, card)


def identity(report: Report, rel: str, roster: Mapping[str, str]) -> tuple[str, str]:
    """(社区代码 or a stand-in naming the file, 社区名称 or the list's name) of a ledger file."""
    code = report.community_code or f"（无社区代码：{rel}）"
    return code, report.community_name or roster.get(code, "")


def _prepare_tables(report: Report, code: str, name: str, rel: str, job: Job) -> None:
    """Render the merged sheets' rows for the summary; then keep only what it still reads, so that
    little travels back from the worker: the valid 线索/重点人员 values (for the aggregates)
    and, with ``job.contacts``, the contact sheets' records (their full values)."""
    for sheet in merged_sheets():
        table = report.tables.get(sheet.id)
        if table is None or not table.records:
            continue
        rows = ledger_rows(table, code, name, rel)
        table.rendered = render_rows(rows)
        if job.keep_rows:
            table.packed = pack_rows(rows)
    for table in report.tables.values():
        sheet = table.sheet
        if sheet.restricted:
            table.row_count = table.size
            table.records = [Record(r.row, r.values, {}) for r in table.records if r.valid]
        elif sheet.id in CONTACT_SHEETS and job.contacts:
            continue
        elif table.rendered is not None:
            table.row_count = table.size
            table.records = []


def merge_folder(
    folder: str | os.PathLike[str],
    office: OfficeData | None = None,
    *,
    recursive: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
    keep_rows: bool = False,
    contacts: bool = False,
) -> MergeResult:
    """Read, validate and score every workbook of ``folder``; resolve who is who.

    ``keep_rows``: keep the merged sheets' rows as values too (for
    :func:`~xlhfjz.summary.ledger_table`), not only rendered for the summary file;
    ``contacts``: keep the records :func:`~xlhfjz.summary_writer.write_contacts` reads."""
    root = Path(folder)
    office = office or OfficeData()
    files, logs = find_files(root, recursive)
    results = _run(files, Job(office, str(root), keep_rows, contacts), workers, progress)

    by_code: dict[str, list[FileResult]] = {}
    for res in results:
        name = _rel(res.path, root)
        refused = _not_a_ledger(res.report)
        if refused is not None:
            outcome, reason = refused
            code = _code_from_name(name) if outcome == "unreadable" else None
            logs.append(FileLog(name, res.size, res.sha256, outcome, reason, community_code=code))
            continue
        code = identity(res.report, name, office.roster_codes)[0]
        by_code.setdefault(code, []).append(res)

    roster = office.roster_codes
    communities: dict[str, Community] = {}
    for code, group in by_code.items():
        group.sort(key=lambda r: (r.report.context.report_date or _MIN_DATE, _rel(r.path, root)))
        used, older = group[-1], group[:-1]
        name = identity(used.report, _rel(used.path, root), roster)[1]
        c = Community(code, name, used.card.result if used.card else UNREADABLE,
                      _rel(used.path, root), used.report, used.card)  # fmt: skip
        if older:
            files_text = "、".join(_rel(r.path, root) for r in group)
            for res in group:
                message = (
                    f"同一社区代码提交了 {len(group)} 个文件（{files_text}），"
                    f"已使用报送日期最晚的“{c.file}”"
                )
                issue = Issue("duplicate-community", E, None, None, None, None, None, message)
                c.extra_issues.append((_rel(res.path, root), issue))
        if roster and code not in roster:
            message = f"社区代码“{code}”不在街道的社区名单中，请核对"
            issue = Issue("unknown-community", W, None, None, None, None, None, message)
            c.extra_issues.append((c.file, issue))
        communities[code] = c
        for res in group:
            outcome = "merged" if res is used else "superseded"
            reason = None if res is used else f"同一社区有报送日期更晚的文件“{c.file}”"
            logs.append(FileLog(_rel(res.path, root), res.size, res.sha256, outcome, reason,
                                res.report.rows, code))  # fmt: skip

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
    return MergeResult(str(root), ordered, logs, tgt, office, contacts)


_MIN_DATE = dt.date.min


#: Sheets that mark the office's own files (a summary or the office workbook left in the folder).
_OFFICE_MARKS = {"汇总看板": "这是合并生成的汇总文件", "督导检查": "这是街道汇总工作簿"}


def _not_a_ledger(report: Report) -> tuple[str, str] | None:
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


def _rel(path: str, root: Path) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return Path(path).name


def _code_from_name(name: str) -> str | None:
    m = _LEADING_CODE.match(Path(name).name)
    return m.group(1) if m else None


def _run(
    files: Sequence[Path], job: Job, workers: int | None, progress: Progress | None
) -> list[FileResult]:
    total = len(files)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 2)
    results: list[FileResult] = []
    if workers <= 1 or total <= 2:
        for k, p in enumerate(files, 1):
            results.append(process_file(str(p), job))
            if progress:
                progress(k, total, p.name)
        return results
    job = dataclasses.replace(job, overlap=False)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for k, res in enumerate(
            pool.map(process_file, map(str, files), [job] * total, chunksize=2), 1
        ):
            results.append(res)
            if progress:
                progress(k, total, Path(res.path).name)
    return results
