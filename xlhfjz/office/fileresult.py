"""What a merge worker brings back for one file (built by :func:`xlhfjz.office.resolve.examine`).

Everything the parent needs, found out in the worker, so that the parent only groups and writes:
whether the file is a ledger at all, whose it is, its row counts, the merged sheets' rows already
rendered, the aggregates' inputs. What travels between processes stays small (README 性能): the
report comes without its tables (their records stay in the worker), 线索/重点人员 as their valid
values only, the contact sheets' records and the rows as values only when asked for. What waits
in the parent waits on disk (:meth:`FileResult.stow`), so that its memory does not grow with the
number of communities.
"""

from __future__ import annotations

import pickle
import weakref
from collections import deque
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlhfjz.checks.validate import Report
from xlhfjz.office.fingerprints import SignalFacts
from xlhfjz.scoring import ScoreCard


@dataclass
class FileResult:
    """One file of a merge, as its worker found it."""

    path: str
    file: str
    """The name relative to the merged folder (合并日志, 来源文件)."""
    size: int
    sha256: str | None
    """None for a file that is not read (not a regular file, over the size limit)."""
    report: Report
    """Validation's report without its tables: issues, 基本信息, context, sheet names. The
    validated report itself is not changed; what the merge reads of its tables is below."""
    card: ScoreCard | None
    refused: tuple[str, str] | None = None
    """(outcome, reason) when the file is not a community ledger (unreadable or skipped)."""
    code: str | None = None
    """社区代码 (or a stand-in naming the file); for an unreadable file the code its name starts
    with, if any."""
    name: str = ""
    """社区名称 (or the list's name)."""
    rows: dict[str, int] = field(default_factory=dict)
    """Non-empty rows per ledger sheet name."""
    chunks: MutableMapping[str, Any] = field(default_factory=dict)
    """Merged sheet id → its rows rendered for the summary file
    (:class:`xlhfjz.xlsx.sheetdata.Chunk`); absent for a sheet without rows. The merge's main
    process keeps them packed (:class:`xlhfjz.xlsx.sheetdata.SpooledRows`)."""
    packed: dict[str, bytes] | None = None
    """Merged sheet id → its rows as values (:func:`xlhfjz.office.summary.pack_rows`); None
    unless the merge was asked to keep them (``keep_rows``)."""
    leads: Sequence[dict[str, Any]] = field(default_factory=list)
    """The valid rows' values of 线索 (for 线索统计; the merge keeps them on disk)."""
    persons: Sequence[dict[str, Any]] = field(default_factory=list)
    """The valid rows' values of 重点人员 (for 重点人员统计; the merge keeps them on disk)."""
    contacts: dict[str, list[dict[str, Any]]] | None = None
    """Contact sheet id → every record's values (full phones); None unless asked for."""
    facts: SignalFacts | Any = None
    """What the 疑点提示 need (fingerprints, dates, counts; no text); None unless asked for. The
    merge's main process keeps it pickled on disk (:class:`xlhfjz.xlsx.sheetdata.Stored`)."""

    def stow(self, put: Callable[[bytes], Any]) -> None:
        """Keep :attr:`report` and :attr:`card` pickled where ``put`` stores bytes (it returns
        a handle that ``bytes()`` reads back: :meth:`xlhfjz.xlsx.sheetdata.Spool.put`). They are
        read back when used; the last :data:`AT_HAND` files read keep theirs, the others let
        them go again."""
        self.__dict__["_stowed"] = put(pickle.dumps((self.report, self.card), _PROTOCOL))
        del self.report, self.card

    def __getattr__(self, name: str) -> Any:
        # only for what normal lookup misses: a stowed report or card
        own = self.__dict__
        if name not in _STOWED or "_stowed" not in own:
            raise AttributeError(name)
        loaded = own.get("_loaded")
        if loaded is None:
            loaded = own["_loaded"] = pickle.loads(bytes(own["_stowed"]))
            _at_hand.append(weakref.ref(self))
            if len(_at_hand) > AT_HAND and (old := _at_hand.popleft()()) is not None:
                old.__dict__.pop("_loaded", None)
        return loaded[_STOWED.index(name)]


_STOWED = ("report", "card")
_PROTOCOL = pickle.HIGHEST_PROTOCOL
AT_HAND = 16
"""Stowed files whose report and card stay loaded (a community's are read a few times in a row)."""
_at_hand: deque[weakref.ref[FileResult]] = deque()
