"""Regenerate the committed generated workbooks: ``python -m xlhfjz.build``.

``templates/community.xlsx`` and ``templates/office.xlsx`` (no macros), ``workbook/community.xlsm``
and ``workbook/office.xlsm`` (with the buttons), all from the schema and ``macros/``; a test
rebuilds them and fails when the committed files are stale.
"""

from __future__ import annotations

import os
from pathlib import Path

from xlhfjz.xlsx.community import write_community_workbook
from xlhfjz.xlsx.office_book import write_office_workbook

#: The relative paths of the committed macro-free templates and ready-made macro workbooks.
TEMPLATE_PATH = Path("templates") / "community.xlsx"
OFFICE_TEMPLATE_PATH = Path("templates") / "office.xlsx"
WORKBOOK_PATH = Path("workbook") / "community.xlsm"
OFFICE_WORKBOOK_PATH = Path("workbook") / "office.xlsm"


#: How to regenerate them (quoted by the staleness test).
REGENERATE = "python -m xlhfjz.build"


def build_templates(root: str | os.PathLike[str]) -> list[Path]:
    """Regenerate the committed macro-free templates (``templates/community.xlsx``,
    ``templates/office.xlsx``) under ``root``; return their paths."""
    base = Path(root)
    (base / TEMPLATE_PATH).parent.mkdir(parents=True, exist_ok=True)
    return [
        write_community_workbook(base / TEMPLATE_PATH),
        write_office_workbook(base / OFFICE_TEMPLATE_PATH),
    ]


def build_workbooks(root: str | os.PathLike[str]) -> list[Path]:
    """Regenerate every committed generated workbook under ``root``: the templates of
    :func:`build_templates`, then ``workbook/community.xlsm`` and ``workbook/office.xlsm``."""
    base = Path(root)
    (base / WORKBOOK_PATH).parent.mkdir(parents=True, exist_ok=True)
    return [
        *build_templates(base),
        write_community_workbook(base / WORKBOOK_PATH),
        write_office_workbook(base / OFFICE_WORKBOOK_PATH),
    ]


if __name__ == "__main__":
    for built in build_workbooks(Path(__file__).resolve().parents[1]):
        print(built)
