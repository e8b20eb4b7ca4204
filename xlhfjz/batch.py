"""The merge (office.md "What the merge does"): a folder of community workbooks → one summary.

Files are only ever opened for reading. Each file is read, validated and scored exactly as the
community's own button would, in a pool of worker processes (one per core, at most
:data:`MAX_WORKERS`); one bad file never stops the merge. Then communities are identified by
社区代码, duplicates resolved, the list's missing communities marked 未提交, and the summary
written atomically.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import itertools
import os
import pickle
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from xlhfjz.model.rawbook import UnreadableWorkbook
from xlhfjz.office.fileresult import FileResult
from xlhfjz.office.fingerprints import (
    SignalFacts,
    Source,
    hash_salt,
    signal_facts,
    signal_sheets,
)
from xlhfjz.office.inputs import OfficeData
from xlhfjz.office.resolve import OFFICE_SHEETS, MergeResult, display_name, examine, resolve
from xlhfjz.office.review import Previous, review_all
from xlhfjz.office.summary import FileLog
from xlhfjz.scoring import score_report
from xlhfjz.xlsx.files import validate_file
from xlhfjz.xlsx.guard import LIMITS
from xlhfjz.xlsx.reader import open_regular
from xlhfjz.xlsx.sheetdata import (
    Chunk,
    Spool,
    SpooledRows,
    Stored,
    StoredList,
    Template,
    number_rows,
    spooled,
)
from xlhfjz.xlsx.summary import merged_parts, render_ledgers

EXTENSIONS = (".xlsx", ".xlsm")

Progress = Callable[[int, int, str], None]
T = TypeVar("T")
R = TypeVar("R")


def find_files(folder: Path, recursive: bool = False) -> tuple[list[Path], list[FileLog]]:
    """Candidate workbooks (sorted by name) and the skipped entries with their reasons."""
    entries = sorted(folder.rglob("*") if recursive else folder.iterdir(), key=lambda p: p.name)
    take: list[Path] = []
    skipped: list[FileLog] = []
    for p in entries:
        if p.is_dir():
            if not recursive and not p.name.startswith("."):
                skipped.append(
                    FileLog(display_name(p.name), None, None, "skipped", "文件夹（未进入子文件夹）")
                )
            continue
        rel = display_name(str(p.relative_to(folder)))
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
    """Keep the contact sheets' records (for :func:`~xlhfjz.xlsx.summary.write_contacts`)."""
    eval_date: dt.date | None = None
    """The day 整改期限 are judged against (G4): 设置's 评估日期, else the day of the merge."""
    signals: bool = False
    """Take what the 疑点提示 need (:mod:`xlhfjz.office.fingerprints`)."""
    salt: int | None = None
    """The merge's :func:`~xlhfjz.office.fingerprints.hash_salt` (rows are fingerprinted alike)."""
    ahead: int | None = None
    """Sheets parsed ahead while one is validated (:func:`~xlhfjz.xlsx.reader.open_workbook`):
    none in a pool of workers, which keeps every core busy already (measured on 200 communities:
    14.7 s with a helper thread per worker, 11.4 s without)."""


def process_file(path: str, job: Job) -> FileResult:
    """Hash, validate and score one file; render its merged rows (runs in a worker process).

    The merged sheets' rows are rendered for the summary file here, in parallel (see
    :mod:`xlhfjz.xlsx.sheetdata`); the result carries only what the parent still reads."""
    size, sha256 = fingerprint(path)
    report = validate_file(path, unless=OFFICE_SHEETS, ahead=job.ahead)
    office = job.office
    card = None
    if report.readable:
        code = report.community_code
        card = score_report(
            report, office.inspections_for(code), office.parameters,
            office.verifications_for(code), job.eval_date,
        )  # fmt: skip
    res = examine(
        path, Path(job.root), size, sha256, report, card, office.roster_codes,
        job.contacts,
    )  # fmt: skip
    if res.refused is None:
        res.chunks, res.packed = render_ledgers(
            report, res.code or "", res.name, res.file, job.keep_rows
        )
        if job.signals:
            res.facts = signal_facts(report, signal_sheets(), job.salt)
    return res


def fingerprint(path: str) -> tuple[int, str | None]:
    """(size, SHA-256) of a file, hashing only what the reader would read: nothing of a FIFO, a
    device or a file over ``max_file_bytes`` (type and size are checked on the handle first)."""
    try:
        with open_regular(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > LIMITS["max_file_bytes"]:
                return size, None
            digest = hashlib.sha256()
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
            return size, digest.hexdigest()
    except (OSError, UnreadableWorkbook):
        return 0, None  # the reader reports why it cannot be read


#: The merge's worker processes at most: each may hold one large community while it works (the
#: one that finds the 疑点 up to about 240 MB for a city, README 性能), so eight stay within an
#: office PC's memory.
MAX_WORKERS = 8


def default_workers() -> int:
    """One worker per core this process may run on (a container's or ``taskset``'s limit
    included where the system tells it), at most :data:`MAX_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # no CPU affinity on Windows or macOS
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def merge_folder(
    folder: str | os.PathLike[str],
    office: OfficeData | None = None,
    *,
    recursive: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
    keep_rows: bool = False,
    contacts: bool = False,
    previous: Mapping[str, Previous] | None = None,
    signals: bool = False,
) -> MergeResult:
    """Read, validate and score every workbook of ``folder``; resolve who is who.

    ``keep_rows``: keep the merged sheets' rows as values too (for
    :func:`~xlhfjz.office.summary.ledger_table`), not only rendered for the summary file;
    ``contacts``: keep the records :func:`~xlhfjz.xlsx.summary.write_contacts` reads;
    ``previous``: an earlier summary's communities (:func:`~xlhfjz.xlsx.previous.read_previous`)
    for the 复核 (review.md); ``signals``: compute the 疑点提示 (with pandas, imported only
    then; without pandas the result says why there are none)."""
    root = Path(folder)
    office = office or OfficeData()
    files, logs = find_files(root, recursive)
    job = Job(
        office, str(root), keep_rows, contacts,
        eval_date=office.eval_date or dt.date.today(), signals=signals, salt=hash_salt(),
    )  # fmt: skip
    spool = Spool()  # the rendered rows wait here, not in memory (README 性能)
    with _facts_spool(signals) as facts:  # and the 疑点's inputs, in a file of their own
        results = _run(files, job, workers, progress, spool, facts)
        result = resolve(results, logs, root, office, contacts)
        task = _signals_task(result, facts) if facts is not None else None
        found = _number_rows(result, workers, spool, task)
        if isinstance(found, str):
            result.signals_note = found
        elif found is not None:  # the lines' blocks move to the spool, one at a time
            where, blocks, lines, result.signal_findings = found
            result.signals = StoredList.of_pickled(_read_blocks(where, blocks), lines, spool)
    for res in results:
        res.facts = None  # where they were is gone with the folder
    result.eval_date = job.eval_date
    if previous is not None:
        result.reviews = review_all(result.communities, previous)
    return result


@contextlib.contextmanager
def _facts_spool(wanted: bool) -> Iterator[Spool | None]:
    """A spool with a name (another process reads it) for the 疑点's inputs, removed after."""
    if not wanted:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="xlhfjz-facts-") as folder:
        spool = Spool(folder)
        try:
            yield spool
        finally:
            spool.close()  # before its folder goes (Windows)


SignalsTask = tuple[str, list[tuple[str, str, int, int]], dict[str, float]]
"""(the facts' file, (社区代码, 社区名称, offset, length) of each used file's facts, 参数)."""
Found = tuple[str, list[tuple[int, int]], int, int] | str
"""The file the 疑点提示 lines were written to, pickled :data:`SIGNAL_BLOCK` a block, and
(offset, length) of each block; how many lines, how many findings — or why there are none."""


def _signals_task(result: MergeResult, facts: Spool) -> SignalsTask:
    """What :func:`_find_signals` needs, to be sent to a process of its own: where every used
    file's facts are in the facts' file (flushed, for the other process to read)."""
    facts.flush()
    assert facts.path is not None
    used = [
        (c.code, c.name, c.result.facts.offset, c.result.facts.length)
        for c in result.communities
        if c.result is not None and isinstance(c.result.facts, Stored)
    ]
    return facts.path, used, dict(result.office.parameters)


def _find_signals(
    path: str, used: list[tuple[str, str, int, int]], parameters: dict[str, float]
) -> Found:
    """The 疑点提示 of a merge, in whichever process runs it (pandas is imported only here)."""
    try:
        from xlhfjz.analysis.signals import find_signals
    except ImportError:
        return "未安装 pandas，未计算疑点提示（pip install xlhfjz[analysis]）"
    with open(path, "rb") as fh:

        def load(offset: int, length: int) -> SignalFacts:
            fh.seek(offset)
            facts: SignalFacts = pickle.loads(fh.read(length))
            return facts

        sources = [
            Source(code, name, partial(load, offset, length)) for code, name, offset, length in used
        ]
        parts = -(-sum(length for *_, length in used) // FACTS_PER_PART) or 1
        lines, findings = find_signals(sources, parameters, parts=parts)
    # beside the facts, not through the pipe: the main process takes a block at a time
    where = os.path.join(os.path.dirname(path), "signals")
    blocks = []
    with open(where, "wb") as out:
        for k in range(0, len(lines), SIGNAL_BLOCK):
            block = pickle.dumps(lines[k : k + SIGNAL_BLOCK], pickle.HIGHEST_PROTOCOL)
            blocks.append((out.tell(), len(block)))
            out.write(block)
    return where, blocks, len(lines), findings


def _read_blocks(path: str, blocks: list[tuple[int, int]]) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        for offset, length in blocks:
            fh.seek(offset)
            yield fh.read(length)


SIGNAL_BLOCK = 2_000
"""疑点提示 lines pickled a block (the main process holds one block at a time)."""


FACTS_PER_PART = 8 << 20
"""The 疑点's facts (pickled bytes) looked at in one part: a street's are looked at in as many
parts (:func:`xlhfjz.analysis.signals.find_signals`), so that their memory stays that of one."""


def _number_rows(
    result: MergeResult, workers: int | None, spool: Spool, signals: SignalsTask | None = None
) -> Found | None:
    """The second pass: now that the order of the communities is known, give every rendered
    row its Excel row number (:func:`~xlhfjz.xlsx.sheetdata.number_rows`), in parallel; the
    numbered rows go to ``spool`` as they come, and only a few batches are in flight at once.

    The 疑点提示 (``signals``) are found meanwhile by one of the same worker processes, so that
    neither pandas nor the fingerprints of the whole street enter the main process; without
    a pool of workers, they are found here."""
    placed_parts = [(sheet.id, part) for sheet, parts in merged_parts(result) for part in parts]
    jobs = (
        (res, sheet_id, first)
        for sheet_id, placed in placed_parts
        for res, first in placed
        if isinstance(rendered := res.chunks[sheet_id], Template) and rendered.rows
    )
    # made as they are taken: a city has 75,000 (file, sheet) pairs
    batches = iter(lambda: list(itertools.islice(jobs, _BATCH)), [])
    in_flight: deque[list[tuple[FileResult, str, int]]] = deque()

    def work(batch: list[tuple[FileResult, str, int]]) -> list[tuple[Template, int]]:
        # the template's bytes read back here, one batch at a time, to travel to a worker
        in_flight.append(batch)
        out = []
        for res, sheet_id, first in batch:
            template = res.chunks[sheet_id]
            out.append((Template(bytes(template.data), template.rows), first))
        return out

    workers = workers if workers is not None else default_workers()
    if workers <= 1 or sum(len(placed) for _, placed in placed_parts) <= 8:
        _store(in_flight, (_number_batch(work(b)) for b in batches), spool)
        return _find_signals(*signals) if signals else None
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        found = pool.submit(_find_signals, *signals) if signals else None
        numbered = _bounded(pool, _number_batch, map(work, batches), 4 * workers)
        _store(in_flight, numbered, spool)
        return found.result() if found else None


_BATCH = 16
"""Templates numbered per task of the second pass."""


def _number_batch(batch: list[tuple[Template, int]]) -> list[Chunk]:
    return [number_rows(template, first) for template, first in batch]


def _store(
    in_flight: deque[list[tuple[FileResult, str, int]]],
    numbered: Iterable[list[Chunk]],
    spool: Spool,
) -> None:
    """Each batch's numbered rows to the spool, as they come: the batches wait in ``in_flight``
    in the order they were sent."""
    for chunks in numbered:
        batch = in_flight.popleft()
        for (res, sheet_id, _), chunk in zip(batch, chunks, strict=True):
            res.chunks[sheet_id] = spooled(chunk, spool)
    if in_flight:
        raise RuntimeError(f"{len(in_flight)} batches were not numbered")


def _bounded(
    pool: ProcessPoolExecutor, fn: Callable[[T], R], items: Iterable[T], window: int
) -> Iterator[R]:
    """``map(fn, items)`` in ``pool``, in order, with at most ``window`` tasks submitted and
    not yet taken (``pool.map`` would submit them all at once, and hold all their results)."""
    pending: deque[Future[R]] = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _run(
    files: Sequence[Path],
    job: Job,
    workers: int | None,
    progress: Progress | None,
    spool: Spool | None = None,
    facts: Spool | None = None,
) -> list[FileResult]:
    total = len(files)
    workers = workers if workers is not None else default_workers()
    results: list[FileResult] = []
    if workers <= 1 or total <= 2:
        for k, p in enumerate(files, 1):
            results.append(_keep(process_file(str(p), job), spool, facts))
            if progress:
                progress(k, total, p.name)
        return results
    job = dataclasses.replace(job, ahead=0)
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        for k, res in enumerate(
            pool.map(process_file, map(str, files), [job] * total, chunksize=2), 1
        ):
            results.append(_keep(res, spool, facts))
            if progress:
                progress(k, total, Path(res.path).name)
    return results


def _keep(res: FileResult, spool: Spool | None, facts: Spool | None = None) -> FileResult:
    """A worker's result as the main process keeps it: its report and score card
    (:meth:`~xlhfjz.office.fileresult.FileResult.stow`), rendered rows, 线索 and 重点人员 in
    ``spool``, the 疑点's inputs in ``facts``, so that the main process's memory does not grow
    with the number of communities."""
    if facts is not None and res.facts is not None:
        res.facts = facts.put(pickle.dumps(res.facts, pickle.HIGHEST_PROTOCOL))
    if spool is not None:
        res.stow(spool.put)
        # the sheets' names once for all files, not once a file (each came pickled)
        res.rows = {sys.intern(name): n for name, n in res.rows.items()}
        res.chunks = SpooledRows(res.chunks, spool)
        if res.leads:
            res.leads = StoredList(res.leads, spool)
        if res.persons:
            res.persons = StoredList(res.persons, spool)
    return res


def _die_with_parent(parent: int) -> None:
    """A worker's initializer: exit as soon as the merge's process is gone (``kill -9``, a crash),
    instead of living on for ever; a daemon thread polls the parent's id."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="xlhfjz-parent-watch", daemon=True).start()
