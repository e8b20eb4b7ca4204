"""Read and validate one ledger file: the entry point of the CLI, the server and the merge's workers."""

from __future__ import annotations

import os
from collections.abc import Collection

from xlhfjz.checks.validate import (
    Report,
    norm_label,
    paused_gc,
    unreadable_report,
    validate_workbook,
)
from xlhfjz.model.rawbook import UnreadableWorkbook
from xlhfjz.model.schema import SHEETS
from xlhfjz.xlsx.reader import open_workbook

_SHEET_KEYS = frozenset(norm_label(name) for name in [s.name for s in SHEETS] + ["_meta"])


def _ledger_sheet(name: str) -> bool:
    """A sheet the validator reads: its name as the template's, give or take what header
    labels may differ by (spaces, full-width forms: ``志愿者 ``, ``宣传活动　``)."""
    return norm_label(name) in _SHEET_KEYS


def validate_file(
    path: str | os.PathLike[str], *, unless: Collection[str] = (), ahead: int | None = None
) -> Report:
    """Read and validate one file; an unreadable file gives one ``not-a-workbook`` issue.

    ``unless``: as :func:`~xlhfjz.xlsx.reader.read_workbook` (the merge's workers pass the
    sheets that mark the office's own outputs); ``ahead``: as
    :func:`~xlhfjz.xlsx.reader.open_workbook` (the merge's workers, which keep every core busy
    already, parse no sheet ahead)."""
    name = os.fspath(path)
    try:
        with (
            paused_gc(),  # validate_workbook pauses it too; this covers opening and the last reads
            open_workbook(name, sheets=_ledger_sheet, unless=unless, ahead=ahead) as book,
        ):
            # each sheet is read as the validator asks for it, the next parsed meanwhile
            report = validate_workbook(book)
            dict(book.sheets)  # a sheet it did not ask for can still make the file unreadable
    except UnreadableWorkbook as exc:
        return unreadable_report(name, exc.reason)
    return report
