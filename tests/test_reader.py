"""Tests for xlhfjz.xlsx.reader: real files written with XlsxWriter/openpyxl, bad files as bytes."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlsxwriter
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from xlhfjz.model.rawbook import RawWorkbook, UnreadableWorkbook
from xlhfjz.xlsx import scan
from xlhfjz.xlsx.guard import LIMITS
from xlhfjz.xlsx.reader import read_workbook

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# --- helpers -----------------------------------------------------------------------------------


def _ledger(path: Path) -> Path:
    """A small ledger like the real ones: merged title, header, hidden column, formula, date."""
    wb = xlsxwriter.Workbook(path)
    title = wb.add_format({"bold": True, "align": "center"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("台账")
    ws.merge_range(0, 0, 0, 5, "某某社区无非法集资台账", title)
    ws.write_row(1, 0, ["序号", "姓名", "电话", "日期", "合计", "编号"])
    ws.write_number(2, 0, 1)
    ws.write_string(2, 1, "张三")
    ws.write_number(2, 2, 13800138000)  # phone number stored as a number
    ws.write_datetime(2, 3, dt.datetime(2024, 3, 15), day)
    ws.write_formula(2, 4, "=A3*10", None, 10)  # formula with a cached value
    ws.write_string(2, 5, "00123")  # a number stored as text
    ws.write_formula(3, 1, '=B3&"等"', None, "张三等")  # formula with a text result
    ws.set_column(4, 4, None, None, {"hidden": True})
    hidden = wb.add_worksheet("隐藏")
    hidden.write_string(0, 0, "内部")
    hidden.hide()
    very = wb.add_worksheet("深度隐藏")
    very.very_hidden()
    wb.add_worksheet("空表")
    wb.close()
    return path


def _replace_parts(src: Path, dst: Path, parts: dict[str, bytes]) -> Path:
    """Copy the zip ``src`` to ``dst`` with some entries' contents replaced."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, parts.get(info.filename, zin.read(info)))
    return dst


def _with_sheet_xml(tmp_path: Path, sheet_xml: str) -> Path:
    """A one-sheet workbook ("S") whose sheet1.xml is ``sheet_xml``."""
    wb = xlsxwriter.Workbook(tmp_path / "base.xlsx")
    wb.add_worksheet("S").write_number(0, 0, 1)
    wb.close()
    return _replace_parts(
        tmp_path / "base.xlsx",
        tmp_path / "crafted.xlsx",
        {"xl/worksheets/sheet1.xml": sheet_xml.encode()},
    )


def _ole(*stream_names: str) -> bytes:
    """Bytes that look like an OLE2 compound file whose directory names these streams."""
    body = b"".join(name.encode("utf-16-le") + bytes(64 - 2 * len(name)) for name in stream_names)
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1016) + body + bytes(512)


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def _reason(path: Path) -> str:
    with pytest.raises(UnreadableWorkbook) as info:
        read_workbook(path)
    assert info.value.reason == str(info.value)
    return info.value.reason


# --- reading values ----------------------------------------------------------------------------


def test_ledger_values_formulas_and_flags(tmp_path: Path) -> None:
    book = read_workbook(_ledger(tmp_path / "台账.xlsx"))
    assert isinstance(book, RawWorkbook)
    assert book.path == str(tmp_path / "台账.xlsx")
    assert book.date1904 is False
    assert list(book.sheets) == ["台账", "隐藏", "深度隐藏", "空表"]

    sheet = book.sheets["台账"]
    assert (sheet.name, sheet.first_row, sheet.first_col) == ("台账", 1, 0)
    assert sheet.rows == [
        ["某某社区无非法集资台账", "", "", "", "", ""],
        ["序号", "姓名", "电话", "日期", "合计", "编号"],
        [1.0, "张三", 13800138000.0, dt.date(2024, 3, 15), 10.0, "00123"],
        ["", "张三等", "", "", "", ""],
    ]
    # calamine gives every number as float; the phone number is exact all the same
    assert int(sheet.rows[2][2]) == 13800138000
    assert sheet.formulas == frozenset({(3, 4), (4, 1)})
    assert sheet.hidden is False  # a hidden column hides no value

    assert book.sheets["隐藏"].hidden is True
    assert book.sheets["隐藏"].rows == [["内部"]]
    assert book.sheets["深度隐藏"].hidden is True
    assert book.sheets["空表"].rows == []
    assert book.sheets["空表"].formulas == frozenset()


def test_only_named_sheets_that_exist(tmp_path: Path) -> None:
    path = _ledger(tmp_path / "a.xlsx")
    book = read_workbook(path, sheets=["空表", "不存在的表", "台账"])
    assert list(book.sheets) == ["台账", "空表"]  # file order, unknown names ignored
    assert book.sheets["台账"].formulas == frozenset({(3, 4), (4, 1)})
    assert list(read_workbook(path, sheets="隐藏").sheets) == ["隐藏"]
    assert read_workbook(path, sheets=[]).sheets == {}


def test_accepts_pathlike_and_str(tmp_path: Path) -> None:
    path = _ledger(tmp_path / "a.xlsx")
    assert read_workbook(str(path)).sheets.keys() == read_workbook(path).sheets.keys()


def test_file_is_not_modified(tmp_path: Path) -> None:
    path = _ledger(tmp_path / "a.xlsx")
    old = dt.datetime(2020, 1, 2, 3, 4, 5).timestamp()
    os.utime(path, (old, old))
    before = (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_size)
    read_workbook(path)
    read_workbook(path, sheets=["台账"])
    assert (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_size) == before


def test_openpyxl_formula_without_cached_value(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = 2
    ws["A2"] = "=A1*2"
    ws["C1"] = "文本"
    wb.save(tmp_path / "f.xlsx")
    sheet = read_workbook(tmp_path / "f.xlsx").sheets["S"]
    # openpyxl writes no cached value, so calamine has no value for A2 and its rectangle
    # stops at row 1; the formula cell is known all the same
    assert sheet.rows == [[2.0, "", "文本"]]
    assert sheet.formulas == frozenset({(2, 0)})


def test_shared_formulas_count_as_formula_cells(tmp_path: Path) -> None:
    path = _with_sheet_xml(
        tmp_path,
        f'<worksheet xmlns="{MAIN_NS}"><dimension ref="A1:B3"/><sheetData>'
        '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f>'
        "<v>2</v></c></row>"
        '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>'
        '<row r="3"><c r="A3"><v>3</v></c><c r="B3"><f t="shared" si="0"/><v>6</v></c></row>'
        "</sheetData>"
        '<conditionalFormatting sqref="A1"><cfRule type="expression" priority="1">'
        "<formula>A1&gt;0</formula></cfRule></conditionalFormatting></worksheet>",
    )
    sheet = read_workbook(path).sheets["S"]
    assert sheet.rows == [[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]
    assert sheet.formulas == frozenset({(1, 1), (2, 1), (3, 1)})


def test_prefixed_namespace_and_extension_formulas(tmp_path: Path) -> None:
    path = _with_sheet_xml(
        tmp_path,
        f'<x:worksheet xmlns:x="{MAIN_NS}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c>'
        '<x:c r="AA1" t="str"><x:f>A1&amp;"x"</x:f><x:v>1x</x:v></x:c></x:row>'
        "</x:sheetData><x:extLst><x:ext uri='{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}'>"
        '<x14:dataValidations xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"'
        ' xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main" count="1">'
        '<x14:dataValidation type="list"><x14:formula1><xm:f>S!$A$1:$A$3</xm:f></x14:formula1>'
        "<xm:sqref>B1</xm:sqref></x14:dataValidation></x14:dataValidations></x:ext></x:extLst>"
        "</x:worksheet>",
    )
    sheet = read_workbook(path).sheets["S"]
    assert sheet.rows[0][0] == 1.0
    assert sheet.rows[0][26] == "1x"
    assert sheet.formulas == frozenset({(1, 26)})  # the <xm:f> of the validation is no cell


def test_cells_without_reference_are_located_in_order(tmp_path: Path) -> None:
    path = _with_sheet_xml(
        tmp_path,
        f'<worksheet xmlns="{MAIN_NS}"><sheetData>'
        "<row><c><v>1</v></c><c><f>A1*3</f><v>3</v></c></row>"
        '<row><c t="inlineStr"><is><t>x</t></is></c><c/><c><f>A1</f><v>1</v></c></row>'
        '<row r="5"><c r="D5"><v>7</v></c><c><f>D5</f><v>7</v></c></row>'
        "</sheetData></worksheet>",
    )
    sheet = read_workbook(path).sheets["S"]
    assert sheet.formulas == frozenset({(1, 1), (2, 2), (5, 4)})


def test_formula_scanner_fast_path_and_refs() -> None:
    assert scan.formula_cells(b"<worksheet><sheetData/></worksheet>") == frozenset()
    assert scan.formula_cells(b"<worksheet><sheetData><row r='1'/></sheetData>") == frozenset()
    assert scan.formula_cells(b"<x/>") == frozenset()
    xml = b"<worksheet><sheetData><row r='9'><c r='XFD9'><f>1</f></c></row></sheetData>"
    assert scan.formula_cells(xml) == frozenset({(9, 16383)})


def test_wrong_extension_still_reads(tmp_path: Path) -> None:
    # calamine's from_path would pick its .xls reader for this name
    path = _ledger(tmp_path / "a.xlsx").rename(tmp_path / "真的是xlsx.xls")
    book = read_workbook(path)
    assert book.sheets["台账"].rows[2][1] == "张三"
    assert book.sheets["台账"].formulas == frozenset({(3, 4), (4, 1)})


# --- dates -------------------------------------------------------------------------------------


def test_1904_dates_come_back_as_the_right_dates(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "S"
    ws["A1"] = dt.date(2024, 3, 15)
    ws["B1"] = dt.datetime(2024, 3, 15, 10, 30)
    ws["C1"] = dt.time(10, 30)
    ws["D1"] = 45366  # a plain number is left alone
    wb.save(tmp_path / "mac.xlsx")
    book = read_workbook(tmp_path / "mac.xlsx")
    assert book.date1904 is True
    assert book.sheets["S"].rows == [
        [dt.date(2024, 3, 15), dt.datetime(2024, 3, 15, 10, 30), dt.time(10, 30), 45366.0]
    ]


def test_1904_flag_written_as_true(tmp_path: Path) -> None:
    wb = xlsxwriter.Workbook(tmp_path / "a.xlsx", {"date_1904": True})
    wb.add_worksheet("S").write_datetime(
        0, 0, dt.datetime(2024, 3, 15), wb.add_format({"num_format": "yyyy-mm-dd"})
    )
    wb.close()
    with zipfile.ZipFile(tmp_path / "a.xlsx") as zf:
        workbook_xml = zf.read("xl/workbook.xml")
    assert b'date1904="1"' in workbook_xml
    assert read_workbook(tmp_path / "a.xlsx").date1904 is True
    path = _replace_parts(
        tmp_path / "a.xlsx",
        tmp_path / "b.xlsx",
        {"xl/workbook.xml": workbook_xml.replace(b'date1904="1"', b'date1904="true"')},
    )
    book = read_workbook(path)
    assert book.date1904 is True
    assert book.sheets["S"].rows == [[dt.date(2024, 3, 15)]]


# --- files that are refused --------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    assert "文件不存在" in _reason(tmp_path / "没有.xlsx")


def test_directory(tmp_path: Path) -> None:
    assert "文件夹" in _reason(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "a.xlsx").write_bytes(b"")
    assert "0 字节" in _reason(tmp_path / "a.xlsx")


def test_file_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _ledger(tmp_path / "a.xlsx")
    monkeypatch.setitem(LIMITS, "max_file_bytes", 1000)
    reason = _reason(path)
    assert "文件过大" in reason
    assert "max_file_bytes" in reason


def test_limits_are_documented_values() -> None:
    assert LIMITS == {
        "max_file_bytes": 100 * 2**20,
        "max_uncompressed_bytes": 2**30,
        "max_ratio": 200,
        "max_entry_bytes": 512 * 2**20,
    }


@pytest.mark.parametrize(
    ("content", "word"),
    [
        (_ole("Root Entry", "EncryptionInfo", "EncryptedPackage"), "加密"),
        (_ole("Root Entry", "Workbook", "SummaryInformation"), ".xls"),
        (_ole("Root Entry", "WordDocument", "1Table"), "Word"),
        (b"\xef\xbb\xbf \r\n <html><body><table><tr><td>1</td></tr></table>", "网页"),
        ("<!DOCTYPE html><html><table></table></html>".encode("utf-16"), "网页"),
        (
            b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
            "XML 表格",
        ),
        ("姓名,电话\n张三,13800138000\n".encode(), "文本文件"),
        ("姓名,电话\r\n张三,13800138000\r\n".encode("gbk"), "文本文件"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "图片"),
        (b"Rar!\x1a\x07\x01\x00" + bytes(100), "RAR"),
        (bytes(range(256)) * 8, "无法识别"),
        (b"PK\x03\x04" + bytes(200), "损坏"),
    ],
    ids=[
        "encrypted",
        "xls",
        "doc",
        "html",
        "html-utf16",
        "xml2003",
        "csv",
        "csv-gbk",
        "pdf",
        "png",
        "rar",
        "binary",
        "pk-garbage",
    ],
)
def test_bad_file_kinds(tmp_path: Path, content: bytes, word: str) -> None:
    path = tmp_path / "提交.xlsx"
    path.write_bytes(content)
    assert word in _reason(path)


def test_really_encrypted_workbook(tmp_path: Path) -> None:
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    plain = _ledger(tmp_path / "plain.xlsx")
    encrypted = io.BytesIO()
    with plain.open("rb") as fh:
        ooxml.OOXMLFile(fh).encrypt("123456", encrypted)
    (tmp_path / "密码.xlsx").write_bytes(encrypted.getvalue())
    reason = _reason(tmp_path / "密码.xlsx")
    assert reason == "文件设置了打开密码（已加密），请在 Excel 中取消密码后另存为 .xlsx 再提交"


def test_truncated_workbook(tmp_path: Path) -> None:
    data = _ledger(tmp_path / "a.xlsx").read_bytes()
    (tmp_path / "b.xlsx").write_bytes(data[: len(data) // 2])
    assert _reason(tmp_path / "b.xlsx") == "文件已损坏或不完整（可能传输中断），请重新保存后再提交"


def test_corrupt_sheet_data(tmp_path: Path) -> None:
    path = _ledger(tmp_path / "a.xlsx")
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 5, start + info.compress_size - 5):
        data[i] ^= 0x5A
    (tmp_path / "b.xlsx").write_bytes(bytes(data))
    # calamine fails first ("XmlError: corrupt deflate stream"); the scan's reason is clearer
    assert _reason(tmp_path / "b.xlsx") == "文件已损坏或不完整（可能传输中断），请重新保存后再提交"


@pytest.mark.parametrize(
    ("entries", "words"),
    [
        ({"word/document.xml": b"<w:document/>", "[Content_Types].xml": b"<Types/>"}, ["Word"]),
        ({"ppt/presentation.xml": b"<p/>"}, ["PowerPoint"]),
        ({"readme.txt": b"hello"}, ["请提交 .xlsx 格式的台账"]),
        ({"xl/workbook.bin": b"\x83\x01"}, [".xlsb"]),
        (
            {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b""},
            [".ods"],
        ),
    ],
    ids=["docx", "pptx", "plain-zip", "xlsb", "ods"],
)
def test_zip_without_workbook(tmp_path: Path, entries: dict[str, bytes], words: list[str]) -> None:
    reason = _reason(_zip(tmp_path / "a.xlsx", entries))
    for word in words:
        assert word in reason
    if "xl/workbook.bin" not in entries and "content.xml" not in entries:
        assert "压缩包里没有 Excel 工作簿" in reason


def test_zip_bomb_is_refused_from_declared_sizes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bomb.xlsx"
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN_NS}"/>')
        with zf.open("xl/worksheets/sheet1.xml", "w") as out:
            for _ in range(128):  # 128 MiB of zeros, about 130 KB compressed
                out.write(zeros)
    assert path.stat().st_size < 1 << 20

    def no_inflating(*args: object, **kwargs: object) -> None:
        raise AssertionError("the limit check must not inflate anything")

    monkeypatch.setattr(zipfile.ZipFile, "read", no_inflating)
    monkeypatch.setattr(zipfile.ZipFile, "open", no_inflating)
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", no_inflating)
    reason = _reason(path)
    assert reason.startswith("文件解压后异常巨大（疑似压缩炸弹），已拒绝读取")
    assert "max_ratio" in reason


def test_entry_and_total_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _ledger(tmp_path / "a.xlsx")
    with zipfile.ZipFile(path) as zf:
        sizes = [info.file_size for info in zf.infolist()]
    monkeypatch.setitem(LIMITS, "max_uncompressed_bytes", sum(sizes) - 1)
    assert "max_uncompressed_bytes" in _reason(path)
    monkeypatch.setitem(LIMITS, "max_entry_bytes", max(sizes) - 1)
    assert "max_entry_bytes" in _reason(path)


def test_malformed_sheet_xml_is_reported_not_raised(tmp_path: Path) -> None:
    path = _with_sheet_xml(
        tmp_path,
        f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1"><v>1</v></row>',
    )
    assert "重新保存" in _reason(path)


def test_malformed_workbook_xml(tmp_path: Path) -> None:
    path = _replace_parts(
        _ledger(tmp_path / "a.xlsx"), tmp_path / "b.xlsx", {"xl/workbook.xml": b"<workbook"}
    )
    assert "损坏" in _reason(path)


def test_any_calamine_error_becomes_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _ledger(tmp_path / "a.xlsx")

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", boom)
    reason = _reason(path)
    assert "无法读取" in reason
    assert "RuntimeError: unexpected" in reason

    def password(*args: object, **kwargs: object) -> None:
        raise python_calamine.PasswordError("Workbook is password protected")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", password)
    assert "加密" in _reason(path)

    class PanicException(BaseException):  # what pyo3 raises when Rust code panics
        pass

    def panic(*args: object, **kwargs: object) -> None:
        raise PanicException("index out of bounds")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", panic)
    assert "PanicException" in _reason(path)


def test_keyboard_interrupt_is_not_swallowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _ledger(tmp_path / "a.xlsx")

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", interrupt)
    with pytest.raises(KeyboardInterrupt):
        read_workbook(path)


# --- reading sheet by sheet (validate_file) ---------------------------------------------------


def _community(path: Path) -> Path:
    from xlhfjz.sample import generate_community
    from xlhfjz.xlsx.community import write_community_workbook

    sample = generate_community(3)
    return write_community_workbook(path, basic=sample.basic, data=sample.data)


def _sheet_part(path: Path, name: str) -> str:
    """The zip part of the sheet ``name`` (XlsxWriter numbers them in file order)."""
    with zipfile.ZipFile(path) as zf:
        names = python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names
        part = f"xl/worksheets/sheet{names.index(name) + 1}.xml"
        assert part in zf.namelist()
    return part


@pytest.mark.parametrize("ahead", [0, 1, 2, 30])
def test_open_workbook_reads_a_sheet_when_asked_and_the_same_values(
    tmp_path: Path, ahead: int
) -> None:
    from xlhfjz.xlsx.reader import open_workbook

    path = _community(tmp_path / "c.xlsx")
    whole = read_workbook(path)
    with open_workbook(path, ahead=ahead) as book:
        assert list(book.sheets) == whole.names == book.names  # names known, nothing read yet
        assert "宣传活动" in book.sheets and "没有这张表" not in book.sheets
        assert book.sheets["_meta"].rows == whole.sheets["_meta"].rows  # the last sheet first
        lazy = dict(book.sheets)
    assert list(lazy) == list(whole.sheets)
    for name, sheet in whole.sheets.items():
        assert (lazy[name].rows, lazy[name].formulas) == (sheet.rows, sheet.formulas), name


@pytest.mark.parametrize("sheet", ["基本信息", "宣传活动", "_meta"])
def test_validate_file_refuses_a_bad_sheet_as_a_whole_read_does(tmp_path: Path, sheet: str) -> None:
    """A DTD in one sheet (a first, a middle and the last one the validator asks for): the file
    is refused with the reason a whole read gives, wherever the validator was."""
    from xlhfjz.xlsx.files import validate_file

    good = _community(tmp_path / "good.xlsx")
    part = _sheet_part(good, sheet)
    with zipfile.ZipFile(good) as zf:
        xml = zf.read(part)
    bad_xml = xml.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "b">]>', 1)
    assert bad_xml != xml
    bad = _replace_parts(good, tmp_path / "bad.xlsx", {part: bad_xml})
    with pytest.raises(UnreadableWorkbook) as whole:
        read_workbook(bad)
    for ahead in (None, 0, 1, 5):
        report = validate_file(bad, ahead=ahead)
        assert not report.readable
        assert [(i.code, i.message) for i in report.issues] == [
            ("not-a-workbook", whole.value.reason)
        ]
    assert validate_file(good).readable


@pytest.mark.parametrize("rows", [1, 9, 10, 99, 100, 101, 287, 289, 290, 999, 1000, 4321, 99999])
@pytest.mark.parametrize("cols", [1, 3, 26, 27, 52])
def test_the_fast_claim_check_finds_a_cell_one_past_the_claim(rows: int, cols: int) -> None:
    """The claim's regexes are cached by rounded sizes: a cell just past the claim, in a row
    or a column, is still outside it (and one on its edge inside)."""
    from xlhfjz.model.values import column_letter

    last = column_letter(cols - 1)

    def outside(*refs: str) -> bool:
        canon = b"".join(b'<cr="%s"><v>1</v></c>' % r.encode() for r in refs)
        return scan._outside_claim(canon, 0, len(canon), rows, cols)

    assert not outside("A1", f"{last}{rows}", f"{last.lower()}{rows}")
    assert outside(f"A{rows + 1}")
    assert outside("A1", f"{last}{rows + 1}")
    assert outside(f"{column_letter(cols)}1")
    assert outside(f"A0{rows}")  # a leading zero: not the usual form
    assert outside("A1", f"A{int('9' * len(str(rows)))}") == (rows < int("9" * len(str(rows))))
