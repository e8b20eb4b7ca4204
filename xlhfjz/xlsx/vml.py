"""Patches of XlsxWriter's VML drawings that XlsxWriter has no option for."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

_NO_PRINT = b"<x:PrintObject>False</x:PrintObject>"


def print_buttons(path: Path, sheets: Sequence[int]) -> None:
    """Let the Form Control buttons of the given worksheets (0-based tab indexes) print.

    XlsxWriter marks every button not printable. The buttons of 使用说明 should print, so that the
    printed or PDF page shows the buttons its text talks about; those in the ledgers' title rows
    should not (ledgers are printed for the files). Rewrites the VML drawings of those sheets in
    place (found through each sheet's relationships); every other entry is copied with its original
    ``ZipInfo`` (name, timestamp, compression), so the output stays deterministic. In XlsxWriter's
    VML only a button's client data carries ``x:PrintObject``.
    """
    with zipfile.ZipFile(path) as z:
        entries = [(info, z.read(info)) for info in z.infolist()]
    contents = {info.filename: data for info, data in entries}
    targets: set[str] = set()
    for i in sheets:
        rels = contents.get(f"xl/worksheets/_rels/sheet{i + 1}.xml.rels", b"").decode()
        for target in re.findall(r'Target="\.\./(drawings/vmlDrawing\d+\.vml)"', rels):
            if _NO_PRINT in contents[f"xl/{target}"]:
                targets.add(f"xl/{target}")
    if not targets:
        return
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            if info.filename in targets:
                data = data.replace(_NO_PRINT, b"<x:PrintObject>True</x:PrintObject>")
            z.writestr(info, data)
