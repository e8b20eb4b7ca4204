"""The raw workbook: cell values exactly as a reader found them, before any typing.

This is the boundary between the file adapters (calamine, xlwings) and the core: an adapter
fills a :class:`RawWorkbook`, the validator turns it into typed tables and issues.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawSheet:
    """One worksheet as a rectangle of raw values.

    ``rows[i][j]`` is the cell at Excel row ``first_row + i`` and 0-based column
    ``first_col + j``. Values are ``None``/``""`` (blank), ``str``, ``int``, ``float``, ``bool``,
    ``datetime.date``/``datetime.datetime``/``datetime.time`` or ``datetime.timedelta``.
    """

    name: str
    rows: list[list[Any]]
    first_row: int = 1
    first_col: int = 0
    formulas: frozenset[tuple[int, int]] = frozenset()
    """(Excel row, 0-based column) of every cell that holds a formula (its cached value is in rows)."""
    hidden: bool = False


@dataclass
class RawWorkbook:
    """All sheets of one file (or the ones asked for), by name, in file order."""

    path: str
    sheets: Mapping[str, RawSheet] = field(default_factory=dict)
    """A dict, or (:func:`~xlhfjz.xlsx.reader.open_workbook`) a mapping that reads each sheet when it
    is first asked for."""
    date1904: bool = False
    names: list[str] | None = None
    """Every sheet name of the file, read or not (None: the same as ``sheets``)."""


class UnreadableWorkbook(Exception):
    """The file is not a readable .xlsx/.xlsm; ``reason`` is a Chinese sentence for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
