"""Small facts about Excel values that every layer needs (stdlib only): column letters, the date
epoch, and how wide a text looks."""

from __future__ import annotations

import datetime as dt
import unicodedata

#: Day 0 of Excel's 1900 date system (its serial 60 is the fictitious 1900-02-29, so the
#: serials from 61 on count from here).
EXCEL_EPOCH = dt.date(1899, 12, 30)
#: Day 0 of the 1904 date system (old Mac workbooks).
EXCEL_EPOCH_1904 = dt.date(1904, 1, 1)


def column_letter(col: int) -> str:
    """0-based column index → letters (0 → A, 26 → AA)."""
    letters = ""
    col += 1
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str | bytes) -> int:
    """Letters (text or ASCII bytes, either case) → 0-based column index (A → 0, AA → 26)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch if isinstance(ch, int) else ord(ch)) - 64
    return n - 1


def display_width(text: str) -> int:
    """How many columns ``text`` takes in a terminal or an Excel column (CJK counts 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
