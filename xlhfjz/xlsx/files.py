"""Read and validate one ledger file: the entry point of the CLI, the server and the merge's workers."""

from __future__ import annotations

import os

from xlhfjz.checks.validate import Report, unreadable_report, validate_workbook
from xlhfjz.model.rawbook import UnreadableWorkbook
from xlhfjz.model.schema import SHEETS
from xlhfjz.xlsx.reader import read_workbook

_SHEET_NAMES = [s.name for s in SHEETS] + ["_meta"]


def validate_file(path: str | os.PathLike[str], *, overlap: bool = True) -> Report:
    """Read and validate one file; an unreadable file gives one ``not-a-workbook`` issue.

    ``overlap``: as :func:`~xlhfjz.xlsx.reader.read_workbook` (False in the merge's workers)."""
    name = os.fspath(path)
    try:
        book = read_workbook(name, sheets=_SHEET_NAMES, overlap=overlap)
    except UnreadableWorkbook as exc:
        return unreadable_report(name, exc.reason)
    return validate_workbook(book)
