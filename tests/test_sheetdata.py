"""Rows rendered in chunks and spliced into an XlsxWriter package read back exactly, with two
independent readers, from a zip that Python's own zipfile checks (CRC of every member)."""

from __future__ import annotations

import datetime as dt
import pickle
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
import python_calamine
import xlsxwriter
from isal import isal_zlib
from openpyxl import load_workbook

from xlhfjz.xlsx.sheetdata import (
    DATE_STYLE,
    EXCEL_MAX_CHARS,
    BulkSheet,
    Chunk,
    Spool,
    SpooledRows,
    Stored,
    StoredList,
    Template,
    column_letters,
    escape,
    number_rows,
    place,
    render_rows,
    render_template,
    splice,
    spooled,
)

ROWS = [
    ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(1)", dt.date(2020, 6, 15)],
    ["  前后空格  ", "a&b<c>", "控制\x01字符\x1f", "_x0041_", 12],
    ["𠀀㐀😀", None, "", True, 1.5],
]


def build(tmp_path: Path, rows: list[list], split: int = 1, spool: Spool | None = None) -> Path:
    """``rows`` rendered in two chunks (the first ``split`` rows, the rest) and spliced
    (``spool``: the chunks' bytes waiting on disk, as the merge keeps them)."""
    src, dst = tmp_path / "src.xlsx", tmp_path / "dst.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    assert date_format._get_xf_index() == DATE_STYLE
    wb.add_worksheet("汇总看板").write_string(0, 0, "看板")
    ws = wb.add_worksheet("宣传活动")
    ws.write_row(0, 0, ["甲", "乙", "丙", "丁", "戊"])
    wb.close()
    chunks = [
        render_rows(rows[:split], 2),
        render_rows((), 2 + split),
        render_rows(rows[split:], 2 + split),
    ]
    if spool is not None:
        chunks = [spooled(c, spool) for c in chunks]
        assert all(isinstance(c.data, Stored) for c in chunks if c.rows)
    counts = splice(src, dst, {"xl/worksheets/sheet2.xml": BulkSheet(chunks, 5)})
    assert counts == {"xl/worksheets/sheet2.xml": len(rows)}
    return dst


def test_rows_kept_in_a_spool_are_spliced_byte_for_byte(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    memory = build(tmp_path / "a", ROWS, split=2)
    disk = build(tmp_path / "b", ROWS, split=2, spool=Spool())
    assert memory.read_bytes() == disk.read_bytes()
    spool = Spool()
    template = render_template(ROWS)
    kept = spooled(template, spool)
    assert isinstance(kept.data, Stored) and len(kept.data) == len(template.data)
    assert number_rows(kept, 7) == number_rows(template, 7)
    leads = [{"lead_id": "XS-001", "source": "群众举报"}, {"lead_id": "XS-002", "source": "排查"}]
    stored = StoredList(leads, spool)
    assert len(stored) == 2 and list(stored) == leads and list(stored) == leads
    assert stored[1] == {"lead_id": "XS-002", "source": "排查"}
    blocks = StoredList(list(range(5)), spool, block=2)  # [0, 1], [2, 3], [4]
    assert len(blocks) == 5 and list(blocks) == [0, 1, 2, 3, 4] and blocks[4] == 4
    assert list(StoredList([], spool, block=2)) == []
    pickled = [pickle.dumps(["a", "b"]), pickle.dumps(["c"])]
    assert list(StoredList.of_pickled(pickled, 3, spool)) == ["a", "b", "c"]


def test_summary_tables_are_rendered_a_block_at_a_time() -> None:
    """4,500 rows (疑点提示, 问题清单…): blocks of 2,000 rows from Excel rows 2, 2002 and 4002."""
    from xlhfjz.xlsx.summary import _chunks

    chunks = _chunks([f"Y{k:04d}", "集中补录", k] for k in range(4500))
    assert [(c.first_row, c.rows) for c in chunks] == [(2, 2000), (2002, 2000), (4002, 500)]
    xml = isal_zlib.decompressobj(-15).decompress(bytes(chunks[1].data)).decode()
    assert xml.startswith('<row r="2002"><c r="A2002" t="inlineStr"><is><t>Y2000</t>')
    assert _chunks([]) == []


def test_streamed_rows_read_back_exactly(tmp_path: Path) -> None:
    path = build(tmp_path, ROWS)
    ws = load_workbook(path)["宣传活动"]
    got = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_col=5)]
    assert got[0][:4] == ROWS[0][:4]
    assert got[0][4] == dt.datetime(2020, 6, 15)
    # openpyxl shows Excel's escapes as stored; calamine (below) decodes them as Excel does
    assert got[1] == ["  前后空格  ", "a&b<c>", "控制_x0001_字符_x001F_", "_x005F_x0041_", 12]
    assert got[2] == ["𠀀㐀😀", None, None, True, 1.5]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)  # text stays text
    assert ws.parent["宣传活动"].cell(2, 5).number_format == "yyyy-mm-dd"
    calamine = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = calamine.get_sheet_by_name("宣传活动").to_python()
    assert rows[1][:4] == ROWS[0][:4]
    assert rows[2][:4] == ["  前后空格  ", "a&b<c>", "控制\x01字符\x1f", "_x0041_"]
    assert rows[3][0] == "𠀀㐀😀"


def test_dimension_and_header_kept(tmp_path: Path) -> None:
    path = build(tmp_path, ROWS)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml").decode()
    assert '<dimension ref="A1:E4"/>' in xml
    assert load_workbook(path)["宣传活动"]["A1"].value == "甲"
    assert load_workbook(path)["汇总看板"]["A1"].value == "看板"


def test_an_overlong_text_is_cut_to_excels_limit() -> None:
    text = escape("长" * (EXCEL_MAX_CHARS + 10))
    assert len(text) == EXCEL_MAX_CHARS
    assert text.endswith("（已截断）")


def test_column_letters() -> None:
    assert column_letters(28)[-3:] == ["Z", "AA", "AB"]


def test_the_zip_is_sound_and_keeps_every_part(tmp_path: Path) -> None:
    path = build(tmp_path, ROWS)
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(tmp_path / "src.xlsx") as src:
        assert z.testzip() is None  # every member inflates and matches its CRC-32
        assert z.namelist() == src.namelist()
        for name in src.namelist():
            if name != "xl/worksheets/sheet2.xml":
                assert z.read(name) == src.read(name)


def test_every_row_and_cell_carries_its_reference_and_gaps_stay_gaps(tmp_path: Path) -> None:
    path = build(tmp_path, [["a", None, "c"], [None, "", 3]], split=1)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml").decode()
    data = xml[xml.index("</row>") + len("</row>") : xml.index("</sheetData>")]
    assert data == (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>a</t></is></c>'
        '<c r="C2" t="inlineStr"><is><t>c</t></is></c></row>'
        '<row r="3"><c r="C3"><v>3</v></c></row>'
    )
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("宣传活动")
    assert rows.to_python()[1:] == [["a", "", "c", "", ""], ["", "", 3, "", ""]]
    ws = load_workbook(path)["宣传活动"]
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=2, max_col=3)] == [
        ["a", None, "c"],
        [None, None, 3],
    ]


def test_chunks_are_concatenated_in_order(tmp_path: Path) -> None:
    rows = [[f"第{k}行", k] for k in range(1, 2001)]
    path = build(tmp_path, rows, split=777)
    got = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("宣传活动")
    assert [r[:2] for r in got.to_python()[1:]] == rows


def test_any_member_name_is_copied_faithfully(tmp_path: Path) -> None:
    src, dst = tmp_path / "src.zip", tmp_path / "dst.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr("a.xml", b"<a/>")
        z.writestr("docs/说明.txt", "汇总".encode())
    splice(src, dst, {})
    with zipfile.ZipFile(dst) as z:
        assert z.testzip() is None
        assert z.namelist() == ["a.xml", "docs/说明.txt"]
        assert z.read("docs/说明.txt").decode() == "汇总"


def test_characters_xml_forbids_are_escaped_as_excel_does(tmp_path: Path) -> None:
    path = build(tmp_path, [["非字符\ufffe和\uffff", "孤立代理\udcc4"]], split=1)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml")
    ElementTree.fromstring(xml)  # well-formed: U+FFFE/U+FFFF never appear raw
    assert "非字符_xFFFE_和_xFFFF_".encode() in xml
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("宣传活动")
    # calamine leaves the escapes of non-characters as they are (it decodes those of controls)
    assert rows.to_python()[1][:2] == ["非字符_xFFFE_和_xFFFF_", "孤立代理\ufffd"]


def test_chunks_are_placed_below_excels_last_row() -> None:
    assert place([3, 5, 2], header_rows=1, max_rows=10) == [(0, 2), (0, 5), (1, 2)]
    assert place([9, 0, 1], header_rows=1, max_rows=10) == [(0, 2), (0, 11), (1, 2)]
    assert place([1_048_575, 1]) == [(0, 2), (1, 2)]
    with pytest.raises(OverflowError):
        place([10], header_rows=1, max_rows=10)


def test_a_chunk_out_of_place_is_never_spliced(tmp_path: Path) -> None:
    src = tmp_path / "src.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    wb.add_worksheet("宣传活动").write_row(0, 0, ["甲"])
    wb.close()
    chunks = [render_rows([["a"]], 2), render_rows([["b"]], 2)]
    with pytest.raises(ValueError):
        splice(src, tmp_path / "dst.xlsx", {"xl/worksheets/sheet1.xml": BulkSheet(chunks, 1)})
    with pytest.raises(OverflowError):
        render_rows([["a"], ["b"]], 1_048_576)


def test_rows_written_below_the_table_stay_below_it(tmp_path: Path) -> None:
    """合并日志: XlsxWriter writes the header and, after one blank row, a note below the table;
    the table's 3 rows go in between (rows 2–4), the note stays at rows 6–7, and a note
    written where the table's rows go is refused."""
    src, dst = tmp_path / "src.xlsx", tmp_path / "dst.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("合并日志")
    ws.write_row(0, 0, ["文件", "大小"])
    ws.write_row(5, 0, ["合并时间", "2026-12-06 12:00:00"])
    ws.write_row(6, 0, ["程序版本", "xlhfjz 1"])
    wb.close()
    chunks = [render_rows([["a.xlsx", 10], ["b.xlsx", 20]], 2), render_rows([["c.xlsx", 30]], 4)]
    assert splice(src, dst, {"xl/worksheets/sheet1.xml": BulkSheet(chunks, 2)}) == {
        "xl/worksheets/sheet1.xml": 3
    }
    got = [list(r) for r in load_workbook(dst)["合并日志"].iter_rows(values_only=True)]
    assert got == [
        ["文件", "大小"],
        ["a.xlsx", 10],
        ["b.xlsx", 20],
        ["c.xlsx", 30],
        [None, None],
        ["合并时间", "2026-12-06 12:00:00"],
        ["程序版本", "xlhfjz 1"],
    ]
    rows = python_calamine.CalamineWorkbook.from_path(str(dst)).get_sheet_by_index(0).to_python()
    assert [r[0] for r in rows] == [
        "文件",
        "a.xlsx",
        "b.xlsx",
        "c.xlsx",
        "",
        "合并时间",
        "程序版本",
    ]
    xml = zipfile.ZipFile(dst).read("xl/worksheets/sheet1.xml").decode()
    assert '<dimension ref="A1:B7"/>' in xml
    # rows in ascending order, as Excel requires (it "repairs" a file whose rows are not)
    assert re.findall(r'<row r="([0-9]+)"', xml) == ["1", "2", "3", "4", "6", "7"]
    more = [render_rows([["a"], ["b"], ["c"], ["d"], ["e"]], 2)]  # rows 2–6: the note is at 6
    with pytest.raises(ValueError):
        splice(src, tmp_path / "x.xlsx", {"xl/worksheets/sheet1.xml": BulkSheet(more, 2)})


def test_packed_rows_give_back_what_was_put() -> None:
    """The merge's main process keeps a file's rendered rows packed: every item reads back equal,
    its bytes from the spool; replacing, adding and removing work as on a dict."""
    spool = Spool()
    template = render_template(ROWS)
    chunk = render_rows(ROWS[:2], 7)
    empty = render_rows((), 3)
    kept = spooled(render_rows(ROWS[2:], 9), spool)
    rows = SpooledRows({"publicity": template, "patrols": chunk, "liaison": empty}, spool)
    rows["trainings"] = kept
    assert list(rows) == ["publicity", "patrols", "liaison", "trainings"] and len(rows) == 4
    got = rows["publicity"]
    assert isinstance(got, Template) and got.rows == 3
    assert bytes(got.data) == template.data and isinstance(got.data, Stored)
    got = rows["patrols"]
    assert isinstance(got, Chunk) and (got.crc, got.size, got.rows, got.first_row) == (
        chunk.crc, chunk.size, 2, 7)  # fmt: skip
    assert bytes(got.data) == chunk.data
    assert rows["liaison"] == Chunk(b"", 0, 0, 0, 3)
    assert rows["trainings"] == kept  # already in the spool: not written again
    numbered = number_rows(rows["publicity"], 20)
    rows["publicity"] = numbered
    assert rows["publicity"].first_row == 20 and bytes(rows["publicity"].data) == numbered.data
    assert list(rows) == ["publicity", "patrols", "liaison", "trainings"]
    del rows["patrols"]
    assert "patrols" not in rows and "liaison" in rows and rows["trainings"] == kept
    with pytest.raises(KeyError):
        rows["patrols"]
    other = SpooledRows({"publicity": template, "liaison": empty, "trainings": kept}, spool)
    assert other._ids is rows._ids  # one tuple of ids for every file with the same sheets
    with pytest.raises(ValueError):  # bytes of another spool would be read from the wrong file
        rows["patrols"] = spooled(chunk, Spool())
