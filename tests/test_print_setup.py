"""Printed ledgers (issue 13): every page type read back with openpyxl — orientation, paper, one
page wide, the title and header rows repeated, grid lines, the page header and footer."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from xlhfjz.model.schema import LEDGERS
from xlhfjz.xlsx.community import CommunityInfo, write_community_workbook

A4, A3 = 9, 8
#: Too wide to read on A4 (README 规格之外的决定).
ON_A3 = {"宣传活动", "风险排查", "线索"}
FOOTER = "第 &P 页 共 &N 页"


def test_every_ledger_prints_landscape_one_page_wide_with_its_headers(tmp_path: Path) -> None:
    path = write_community_workbook(
        tmp_path / "华侨城.xlsx", CommunityInfo("华侨城社区", "370303009001")
    )
    wb = openpyxl.load_workbook(path)
    for sheet in LEDGERS:
        ws = wb[sheet.name]
        assert ws.page_setup.orientation == "landscape", sheet.name
        assert int(ws.page_setup.paperSize) == (A3 if sheet.name in ON_A3 else A4), sheet.name
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the default
        assert int(ws.page_setup.fitToHeight) == 0  # as many pages down as it takes
        assert ws.print_title_rows == "$1:$2"  # title and header rows on every page
        assert ws.print_options.gridLines is True
        assert ws.oddFooter.center.text == FOOTER
        assert ws.oddHeader.center.text == sheet.title
    assert {
        ws.title
        for ws in wb.worksheets
        if ws.page_setup.paperSize and int(ws.page_setup.paperSize) == A3
    } == ON_A3


def test_basic_info_and_the_guide_print_portrait_on_a4(tmp_path: Path) -> None:
    path = write_community_workbook(
        tmp_path / "华侨城.xlsx", CommunityInfo("华侨城社区", "370303009001")
    )
    wb = openpyxl.load_workbook(path)
    for name in ("基本信息", "使用说明"):
        ws = wb[name]
        assert ws.page_setup.orientation == "portrait", name
        assert int(ws.page_setup.paperSize) == A4, name
        assert ws.oddFooter.center.text == FOOTER
    assert wb["基本信息"].oddHeader.left.text == "华侨城社区"
