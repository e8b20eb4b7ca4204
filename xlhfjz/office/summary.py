"""The office summary as tables (office.md "Summary workbook outputs") — pure data, no file I/O.

Every table is a header plus rows of plain values. Personal columns are masked here, 线索 and
重点人员 appear only as aggregates, and 问题清单 never quotes a personal or restricted value, so
whatever writes these tables cannot leak what the tables do not hold.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import pickle
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlhfjz.checks.privacy import mask
from xlhfjz.checks.validate import Report, Table, personal_data_in
from xlhfjz.model.issues import ISSUE_TYPES, SEVERITY_ZH, Issue
from xlhfjz.model.rubric import GATES, ITEMS, RESULTS, VETOES
from xlhfjz.model.schema import BY_ID, LEDGERS, REMARK, Sheet
from xlhfjz.office.fileresult import FileResult
from xlhfjz.scoring import ScoreCard

PROVENANCE = ("社区代码", "社区名称", "来源文件", "来源行", "校验状态")
REDACTED = "（含手机号或身份证号，已隐去，请查看社区台账）"
NOT_SUBMITTED = "未提交"
UNREADABLE = "无法读取"
OUTCOME_ZH = {
    "merged": "已合并",
    "superseded": "已被替代",
    "skipped": "已跳过",
    "unreadable": "无法读取",
}


@dataclass
class Community:
    """One community in the summary: its used file's result, or its status alone."""

    code: str
    name: str
    status: str
    file: str | None = None
    result: FileResult | None = None
    """The used file's result (None: 未提交, or a file that could not be read)."""
    extra_issues: list[tuple[str | None, Issue]] = field(default_factory=list)
    """Merge-level issues (duplicate-community, unknown-community) with the file each names."""

    @property
    def report(self) -> Report | None:
        return self.result.report if self.result else None

    @property
    def card(self) -> ScoreCard | None:
        return self.result.card if self.result else None

    @property
    def total(self) -> float | None:
        return self.card.total if self.card else None

    @property
    def issues(self) -> list[Issue]:
        return [i for _, i in self.file_issues()]

    def file_issues(self) -> list[tuple[str | None, Issue]]:
        """Every issue with the file it belongs to (问题清单's 文件 column)."""
        own = [(self.file, i) for i in self.report.issues] if self.report else []
        return [*self.extra_issues, *own]

    @property
    def errors(self) -> int:
        return sum(i.severity == "error" for i in self.issues)

    @property
    def warnings(self) -> int:
        return sum(i.severity == "warning" for i in self.issues)

    @property
    def passed(self) -> bool:
        return bool(self.card and self.card.passed)


@dataclass
class FileLog:
    """One file found in the folder (合并日志)."""

    file: str
    size: int | None
    sha256: str | None
    outcome: str
    reason: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    community_code: str | None = None


@dataclass(frozen=True)
class Target:
    n: int
    passed: int
    required: int
    ratio: float

    @property
    def rate(self) -> float:
        return self.passed / self.n if self.n else 0.0

    @property
    def gap(self) -> int:
        return max(0, self.required - self.passed)

    def sentence(self) -> str:
        """e.g. 5 / 12 = 41.7%，目标 50%，还差 1 个."""
        if not self.n:
            return "没有可统计的社区（没有收到台账，也没有社区名单），无法计算完成率"
        gap = f"还差 {self.gap} 个" if self.gap else "已达到目标"
        return (
            f"{self.passed} / {self.n} = {self.rate * 100:.1f}%，目标 {self.ratio * 100:g}%，{gap}"
        )


def target(communities: Sequence[Community], ratio: float) -> Target:
    """N = communities on the list (or submitted ones); required = ceil(ratio × N)."""
    n = len(communities)
    passed = sum(c.passed for c in communities)
    return Target(n, passed, math.ceil(ratio * n - 1e-9), ratio)


def progress_figures(
    communities: Sequence[Community], tgt: Target, roster: Mapping[str, str]
) -> list[tuple[str, int]]:
    """The dashboard's 总体进度: on the list, submitted, 校验通过, 创建成功, the target.

    With a 社区名单, only listed communities count (an unknown code is not progress)."""
    counted = [c for c in communities if c.code in roster] if roster else list(communities)
    return [
        ("名单社区数", tgt.n),
        ("已提交", sum(c.status != NOT_SUBMITTED for c in counted)),
        ("校验通过（无错误）", sum(bool(c.report) and c.errors == 0 for c in counted)),
        ("创建成功", tgt.passed),
        ("目标（至少）", tgt.required),
    ]


def status_counts(communities: Sequence[Community]) -> list[tuple[str, int]]:
    """How many communities have each result (every result listed, zeros included)."""
    counts = dict.fromkeys([*RESULTS, UNREADABLE, NOT_SUBMITTED], 0)
    for c in communities:
        counts[c.status] = counts.get(c.status, 0) + 1
    return list(counts.items())


def candidates(communities: Sequence[Community]) -> list[Community]:
    """未达标 communities by total, highest first (the nearest to passing)."""
    pending = [c for c in communities if c.status == "未达标" and c.card]
    return sorted(pending, key=lambda c: (-(c.total or 0), c.code))


def shortfall_text(card: ScoreCard) -> str:
    return "；".join(
        f"{i.id} {i.name} 差 {i.max - i.score:.1f} 分" + (f"（{i.missing}）" if i.missing else "")
        for i in card.shortfalls(3)
    )


# ── 社区评分 ────────────────────────────────────────────────────────────────────────────────


#: 社区评分's column that shows 自评 beside 核定 (review.md).
VERIFIED_LABEL = "核定（自评→核定）"


def score_table(
    communities: Sequence[Community], reviews: Mapping[str, Any] | None = None
) -> tuple[list[str], list[list[Any]]]:
    """社区评分; with ``reviews`` (``merge --previous``) the 复核 columns at the end."""
    return score_header(reviews), list(score_rows(communities, reviews))


def score_header(reviews: Mapping[str, Any] | None = None) -> list[str]:
    """社区评分's header (with ``reviews``, the 复核 columns too)."""
    from xlhfjz.office.review import REVIEW_HEADER

    header = ["社区代码", "社区名称", "创建结果", "总分", *(f"{iid} {name}" for iid, name, _ in ITEMS),
              *(f"{g} {label}" for g, label in GATES.items()), "否决事项", "说明", VERIFIED_LABEL,
              "错误数", "提醒数", "来源文件"]  # fmt: skip
    return [*header, *REVIEW_HEADER] if reviews is not None else header


def score_rows(
    communities: Iterable[Community], reviews: Mapping[str, Any] | None = None
) -> Iterator[list[Any]]:
    """社区评分's rows, one a community, made as they are taken (a city has thousands)."""
    from xlhfjz.office.review import review_cells

    for c in communities:
        card = c.card
        items = [round(card.items[iid].score, 1) if card else None for iid, _, _ in ITEMS]
        gates = [("是" if card.gates[g] else "否") if card else None for g in GATES]
        vetoes = "、".join(f"{v} {VETOES[v]}" for v in card.vetoes) if card else None
        reasons = "；".join(card.reasons) if card else None
        total = round(card.total, 1) if card else None
        verified = "；".join(
            f"{i.id} {i.verified_text()}" for i in card.items.values() if i.differs
        ) if card else None  # fmt: skip
        row = [c.code, c.name, c.status, total, *items, *gates, vetoes or None, reasons or None,
               verified or None, c.errors if c.report else None,
               c.warnings if c.report else None, c.file]  # fmt: skip
        if reviews is not None:
            row += review_cells(reviews.get(c.code))
        yield row


# ── 问题清单 ────────────────────────────────────────────────────────────────────────────────

ISSUE_HEADER = ["社区代码", "社区名称", "文件", "工作表", "行", "列", "级别", "代码", "说明"]


def safe_message(issue: Issue) -> str:
    """The message, unless it could quote a personal or restricted value: then the rule alone."""
    sheet = next((s for s in (*LEDGERS, BY_ID["basic_info"]) if s.name == issue.sheet), None)
    restricted = sheet is not None and sheet.restricted
    personal = False
    if sheet is not None and issue.field:
        f = next((x for x in (*sheet.fields, REMARK) if x.id == issue.field), None)
        personal = bool(f and (f.personal or f.privacy_checked))
    if restricted or personal:
        title = ISSUE_TYPES[issue.code].title
        return f"{title}（为保护个人信息，具体内容请在本社区台账的该单元格查看）"
    return issue.message


def issue_table(communities: Sequence[Community]) -> tuple[list[str], list[list[Any]]]:
    return ISSUE_HEADER, list(issue_rows(communities))


def issue_rows(communities: Iterable[Community]) -> Iterator[list[Any]]:
    """问题清单's rows, one an issue, made as they are taken (a messy street has very many)."""
    for c in communities:
        for file, i in c.file_issues():
            yield [c.code, c.name, file, i.sheet, i.row, i.column, SEVERITY_ZH[i.severity],
                   i.code, safe_message(i)]  # fmt: skip


# ── merged ledgers ──────────────────────────────────────────────────────────────────────────


def merged_sheets() -> list[Sheet]:
    """The ledgers copied row by row (not 线索, not 重点人员)."""
    return [s for s in LEDGERS if not s.restricted]


#: Merged sheets the contacts workbook reads with full values (kept only when asked for).
CONTACT_SHEETS = ("liaison", "monitoring_points")


def masked_rows(table: Table, provenance: Sequence[Any] = ()) -> list[list[Any]]:
    """One table's rows as the summary shows them: masked cells, ``provenance``, then 来源行
    and 校验状态. A merge renders millions of cells through here: the columns are sorted once
    into plain, personal (masked), privacy-checked (redacted) and date (typed) ones."""
    fields = (*table.sheet.fields, REMARK)
    fids = [f.id for f in fields]
    personal = [(k, f.type) for k, f in enumerate(fields) if f.personal]
    checked = [(k, f.id) for k, f in enumerate(fields) if not f.personal and f.privacy_checked]
    dates = [
        (k, f.id)
        for k, f in enumerate(fields)
        if not f.personal and not f.privacy_checked and f.type == "date"
    ]
    extra = list(provenance)
    if len(fids) > 1 and all(fid in table.columns for fid in fids):  # every cell is there
        take: Callable[[Any], Any] = operator.itemgetter(*fids)
    else:
        take = lambda cells: [cells.get(fid) for fid in fids]  # noqa: E731
    out = []
    for rec in table.records:
        cells, values = rec.cells, rec.values
        row = list(take(cells))
        for k, kind in personal:
            row[k] = mask(kind, row[k])
        for k, fid in checked:
            typed = values.get(fid)
            if typed.__class__ is str and personal_data_in(typed):
                row[k] = REDACTED
        for k, fid in dates:
            typed = values.get(fid)
            if isinstance(typed, dt.date):
                row[k] = typed
        row += extra
        row.append(rec.row)
        row.append("通过" if rec.errors == 0 else "有误")
        out.append(row)
    return out


def ledger_rows(table: Table, code: str, name: str, file: str | None) -> list[list[Any]]:
    """A used file's rows of one merged sheet: masked cells, then the provenance columns."""
    return masked_rows(table, (code, name, file))


def ledger_header(sheet: Sheet) -> list[str]:
    return [f.label for f in (*sheet.fields, REMARK)] + list(PROVENANCE)


def pack_rows(rows: list[list[Any]]) -> bytes:
    """:func:`ledger_rows` compressed, to travel from a merge worker and wait cheaply."""
    return zlib.compress(pickle.dumps(rows, protocol=5), 1)


def ledger_table(
    sheet: Sheet, communities: Sequence[Community]
) -> tuple[list[str], Iterable[list[Any]]]:
    """Every non-empty row of every used file, masked, with its provenance and 校验状态 (the
    merge must have kept them: ``merge_folder(..., keep_rows=True)``)."""
    packed = [c.result.packed for c in communities if c.result]
    if any(p is None for p in packed):
        raise ValueError("ledger_table needs merge_folder(..., keep_rows=True)")

    def rows() -> Iterable[list[Any]]:
        for data in packed:
            if data and sheet.id in data:
                yield from pickle.loads(zlib.decompress(data[sheet.id]))

    return ledger_header(sheet), rows()


# ── 线索统计, 重点人员统计 (aggregates only) ────────────────────────────────────────────────


def lead_table(communities: Sequence[Community]) -> tuple[list[str], list[list[Any]]]:
    leads = BY_ID["leads"]
    dims = [
        ("source", "来源"),
        ("domain", "重点领域"),
        ("verification", "核查结果"),
        ("disposal", "处置状态"),
    ]
    header = ["社区代码", "社区名称", "线索条数"]
    for fid, label in dims:
        header += [f"{label}:{v}" for v in leads.field(fid).choices]
    header += ["按时上报率", "查实线索编号"]
    rows = []
    for c in communities:
        if not c.result:
            continue
        valid = c.result.leads
        row: list[Any] = [c.code, c.name, len(valid)]
        for fid, _ in dims:
            counts = Counter(x[fid] for x in valid)
            row += [counts.get(v, 0) for v in leads.field(fid).choices]
        days = c.card.parameters.get("lead_report_days", 1) if c.card else 1
        on_time = sum((x["reported"] - x["received"]).days <= days for x in valid)
        row.append(round(on_time / len(valid), 4) if valid else None)
        row.append("、".join(x["lead_id"] for x in valid if x["verification"] == "查实") or None)
        rows.append(row)
    return header, rows


def person_table(communities: Sequence[Community]) -> tuple[list[str], list[list[Any]]]:
    header = [
        "社区代码",
        "社区名称",
        "有无重点人员",
        "重点人员人数",
        "按时跟踪人数",
        "跟踪记录条数",
    ]
    rows = []
    for c in communities:
        if not c.result:
            continue
        valid = c.result.persons
        persons = len({x["person_code"] for x in valid})
        tracked = c.card.items["B4"].figures.get("tracked") if c.card else None
        has_involved = c.result.report.context.has_involved
        rows.append([c.code, c.name, has_involved, persons, tracked, len(valid)])
    return header, rows


# ── 合并日志 ────────────────────────────────────────────────────────────────────────────────


def log_table(logs: Sequence[FileLog]) -> tuple[list[str], list[list[Any]]]:
    """合并日志 as one table (for the Excel plan)."""
    return log_header(), list(log_rows(logs))


def log_header() -> list[str]:
    """合并日志's header: the file, what became of it, and its rows per ledger."""
    return ["文件", "大小（字节）", "SHA-256", "结果", "原因", "社区代码",
            *(f"{s.name}行数" for s in LEDGERS)]  # fmt: skip


def log_rows(logs: Iterable[FileLog]) -> Iterator[list[Any]]:
    """合并日志's rows, one a file, made as they are taken (a city has thousands)."""
    names = [s.name for s in LEDGERS]
    for log in logs:
        yield [log.file, log.size, log.sha256, OUTCOME_ZH[log.outcome], log.reason,
               log.community_code, *(log.rows.get(n) for n in names)]  # fmt: skip
