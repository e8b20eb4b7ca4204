"""Hostile and broken input: nothing lost, nothing run, nothing hangs.

The corpus is generated once per session by ``tests/corpus/make_corpus.py`` (nothing binary is
committed). Every file has a literal expected outcome: the reason's key words for a file that is
refused, the exact issues (code, severity, sheet, row, column) it adds to its clean twin for a
file that is read. Each file is validated within a time limit, all of them in a child process
whose address space is capped, and a merge of the whole folder is checked end to end: every
readable ledger merged, every other file listed with its reason in the dashboard and the log, no
formula in any workbook written, no personal value unmasked, the sources untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from corpus import make_corpus as mc
from openpyxl import load_workbook

from xlhfjz.batch import merge_folder
from xlhfjz.model.rawbook import UnreadableWorkbook
from xlhfjz.model.schema import BASIC_INFO, BY_ID, LEDGERS
from xlhfjz.office.resolve import MergeResult
from xlhfjz.xlsx.files import validate_file
from xlhfjz.xlsx.guard import CONTENT_LIMITS, LIMITS
from xlhfjz.xlsx.reader import read_workbook
from xlhfjz.xlsx.summary import write_contacts, write_summary

SECONDS_PER_FILE = 10.0  # measured: at most 0.3 s (the 10 MB inline cell), most files a few ms
MEMORY_CAP = 2 << 30  # address space of the child process that validates the whole corpus

# ── the limits ─────────────────────────────────────────────────────────────────────────────


def test_limits_are_stated() -> None:
    assert LIMITS == {
        "max_file_bytes": 100 * 2**20,
        "max_uncompressed_bytes": 2**30,
        "max_ratio": 200,
        "max_entry_bytes": 512 * 2**20,
    }
    assert CONTENT_LIMITS == {
        "max_rows": 100_000,
        "max_cells": 5_000_000,
        "max_cell_chars": 32_767,
        "max_shared_strings": 1_000_000,
        "max_styles": 100_000,
    }


# ── expected outcomes ──────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Refused:
    """validate_file gives one ``not-a-workbook`` issue whose reason holds these words."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Read:
    """The file is read; compared with its clean twin it adds exactly these issues
    (code, severity, sheet, row, column) and no error beyond them."""

    added: tuple[tuple[str, str, str | None, int | None, str | None], ...] = ()


E, W = "error", "warning"
REFUSED: dict[str, Refused] = {
    "not_a_zip.xlsx": Refused(("无法识别的文件格式",)),
    "truncated.xlsx": Refused(("文件已损坏或不完整",)),
    "xls_renamed.xlsx": Refused(("Excel 97-2003 (.xls)", "另存为")),
    "csv_renamed.xlsx": Refused(("文本文件（如 CSV）",)),
    "html_renamed.xlsx": Refused(("网页（HTML）",)),
    "encrypted.xlsx": Refused(("设置了打开密码",)),
    "empty_0_bytes.xlsx": Refused(("0 字节",)),
    "far_cell_XFD1048576.xlsx": Refused(("志愿者", "1,048,576 行", "max_rows")),
    "far_cell_second_r_attribute.xlsx": Refused(("志愿者", "1,048,576 行", "max_rows")),
    "far_cell_quotes_and_spaces.xlsx": Refused(("志愿者", "1,048,576 行", "max_rows")),
    "far_cell_lowercase_and_zeros.xlsx": Refused(("志愿者", "1,048,576 行", "max_rows")),
    "far_cell_without_r.xlsx": Refused(("志愿者", "1,048,576 行", "max_rows")),
    "far_cell_prefixed_elements.xlsx": Refused(("志愿者", "1,048,576 行", "max_rows")),
    "wide_sheet_over_max_cells.xlsx": Refused(
        ("志愿者", "400 行 × 16,384 列", "XFD 列", "5,000,000", "max_cells")
    ),
    "rows_1000000.xlsx": Refused(("志愿者", "100,000 行", "max_rows")),
    "rows_1000000_no_dimension.xlsx": Refused(("志愿者", "100,000 行", "max_rows")),
    "cell_10MB_shared.xlsx": Refused(("32,767 个字符", "max_cell_chars", "时停止")),
    "cell_10MB_inline.xlsx": Refused(("宣传活动", "C3", "3,492,984 个字符", "max_cell_chars")),
    "cell_10MB_shared_backslash.xlsx": Refused(("32,767 个字符", "max_cell_chars", "时停止")),
    "shared_strings_1000001.xlsx": Refused(("1,000,000", "max_shared_strings")),
    "styles_100001.xlsx": Refused(("100,000", "max_styles")),
    "zip_bomb.xlsx": Refused(("疑似压缩炸弹", "3 GB", "max_ratio")),
    "zip_bomb_lying_sizes.xlsx": Refused(("文件已损坏或不完整",)),
    "billion_laughs_sheet.xlsx": Refused(("XML 实体声明", "xl/worksheets/sheet1.xml")),
    "billion_laughs_shared_strings.xlsx": Refused(("XML 实体声明", "xl/sharedStrings.xml")),
    "billion_laughs_workbook.xlsx": Refused(("XML 实体声明", "xl/workbook.xml")),
}
READ: dict[str, Read] = {
    "good_a.xlsx": Read(),
    "good_b.xlsx": Read(),
    "headers_renamed_duplicated_reordered.xlsx": Read(
        (
            ("unknown-column", W, "志愿者", 2, "手机号码"),
            ("missing-column", E, "志愿者", 2, "手机"),
            ("duplicate-column", E, "宣传活动", 2, "活动主题"),
        )
    ),
    "all_columns_hidden.xlsx": Read(),  # a hidden column hides nothing from the check
    "merged_cells_in_data.xlsx": Read(
        (
            ("required-missing", E, "宣传活动", 4, "活动日期"),
            ("required-missing", E, "宣传活动", 5, "活动日期"),
            ("required-missing", E, "宣传活动", 6, "活动地点"),
        )
    ),
    "error_values.xlsx": Read(
        (
            # an error value is no value: a required column is "missing", naming the error
            ("required-missing", E, "宣传活动", 3, "活动日期"),
            ("formula-cell", W, "宣传活动", 3, "活动日期"),
            ("required-missing", E, "宣传活动", 3, "工作人员数"),
            ("formula-cell", W, "宣传活动", 3, "工作人员数"),
            ("required-missing", E, "宣传活动", 4, "受众人数"),
            ("formula-cell", W, "宣传活动", 4, "受众人数"),
            ("required-missing", E, "宣传活动", 5, "活动主题"),
            ("formula-cell", W, "宣传活动", 5, "活动主题"),
        )
    ),
    "formulas_everywhere.xlsx": Read(),  # + one formula-cell per data cell, checked below
    "date1904.xlsx": Read(),
    "unicode_emoji_rare_cjk_controls.xlsx": Read(),
    "formula_like_texts.xlsx": Read((("invalid-number", E, "宣传活动", 3, "工作人员数"),)),
    "phones_typed_as_numbers.xlsx": Read(),
}
#: Readable workbooks that are not ledgers: exactly these issues.
NOT_LEDGERS = {
    "empty_workbook.xlsx": Counter({("missing-sheet", E): 18, ("template-version", W): 1}),
    "none_of_the_sheets.xlsx": Counter({("missing-sheet", E): 18, ("template-version", W): 1}),
}


def test_every_corpus_file_has_an_expected_outcome(corpus: dict[str, Path]) -> None:
    expected = {*REFUSED, *READ, *NOT_LEDGERS, "blank_template.xlsx"}
    assert set(corpus) == expected
    assert set(READ) == set(mc.COMMUNITIES)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return mc.build(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def twins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return mc.build_twins(tmp_path_factory.mktemp("twins"))


def _key(issue: Any) -> tuple[str, str, str | None, int | None, str | None]:
    return (issue.code, issue.severity, issue.sheet, issue.row, issue.column)


def _timed_validate(path: Path) -> Any:
    start = time.perf_counter()
    report = validate_file(path)
    elapsed = time.perf_counter() - start
    assert elapsed < SECONDS_PER_FILE, (path.name, elapsed)
    return report


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_a_clear_reason(corpus: dict[str, Path], name: str) -> None:
    report = _timed_validate(corpus[name])
    assert not report.readable
    assert [(i.code, i.severity) for i in report.issues] == [("not-a-workbook", E)]
    reason = report.issues[0].message
    for word in REFUSED[name].words:
        assert word in reason, (name, reason)
    assert "Traceback" not in reason


@pytest.mark.parametrize("name", sorted(READ))
def test_read_with_exactly_the_expected_issues(
    corpus: dict[str, Path], twins: dict[str, Path], name: str
) -> None:
    report = _timed_validate(corpus[name])
    twin = validate_file(twins[name])
    assert report.readable and twin.readable
    assert report.community_code == mc.COMMUNITIES[name].code
    before = Counter(_key(i) for i in twin.issues)
    added = Counter(_key(i) for i in report.issues) - before
    if name == "formulas_everywhere.xlsx":
        assert set(added) and {k[0] for k in added} == {"formula-cell"}
        assert sum(added.values()) == _data_cells(
            mc.standard_sheets(mc.sample(mc.COMMUNITIES[name]))
        )
        added = Counter()
    assert added == Counter(READ[name].added)
    assert twin.errors == 0  # the twin is clean: every error above comes from the twist


def _data_cells(sheets: dict[str, list[list[Any]]]) -> int:
    """Non-empty cells that write_sheets(as_formulas=True) turns into formulas."""
    n = sum(1 for row in sheets[BASIC_INFO.name][1:] if len(row) > 1 and row[1] not in (None, ""))
    for sheet in LEDGERS:
        n += sum(v not in (None, "") for row in sheets[sheet.name][2:] for v in row)
    return n


@pytest.mark.parametrize("name", sorted(NOT_LEDGERS))
def test_workbooks_without_the_ledgers(corpus: dict[str, Path], name: str) -> None:
    report = _timed_validate(corpus[name])
    assert report.readable
    assert Counter((i.code, i.severity) for i in report.issues) == NOT_LEDGERS[name]
    assert 1 + len(LEDGERS) == 18  # 基本信息 and the 17 ledgers


def test_blank_template(corpus: dict[str, Path]) -> None:
    report = _timed_validate(corpus["blank_template.xlsx"])
    codes = {(i.code, i.severity, i.sheet) for i in report.issues}
    required = [f for f in BASIC_INFO.fields if f.required is True]
    assert Counter(i.code for i in report.issues if i.sheet == BASIC_INFO.name) == {
        "required-missing": len(required)
    }
    assert ("sheet-rule", E, "组织机构") in codes  # no 组长
    assert ("sheet-rule", E, "联络员") in codes  # no 联络员 in office
    assert not any(i.code in ("missing-sheet", "template-version") for i in report.issues)


# ── what the reader keeps ──────────────────────────────────────────────────────────────────


def test_error_values_are_read_as_their_text(corpus: dict[str, Path]) -> None:
    sheet = read_workbook(corpus["error_values.xlsx"]).sheets["宣传活动"]
    cols = [f.id for f in BY_ID["publicity"].fields]
    assert sheet.rows[2][cols.index("staff_count")] == "#N/A"
    assert sheet.rows[2][cols.index("activity_date")] == "#REF!"
    assert sheet.rows[3][cols.index("audience")] == "#DIV/0!"
    messages = [i.message for i in validate_file(corpus["error_values.xlsx"]).issues]
    assert any("“#N/A”" in m for m in messages) and any("“#DIV/0!”" in m for m in messages)


def _template_col(sheet_id: str, fid: str) -> int:
    """0-based column of a field in a file written by our template (序号 comes first)."""
    return 1 + [f.id for f in BY_ID[sheet_id].fields].index(fid)


def test_an_error_value_in_a_text_column_is_an_error(corpus: dict[str, Path]) -> None:
    report = validate_file(corpus["error_values.xlsx"])
    at = [(i.code, i.severity) for i in report.issues if (i.sheet, i.row, i.column) == (
        "宣传活动", 5, "活动主题")]  # fmt: skip
    assert any(severity == E for _, severity in at), at


def test_rare_characters_and_controls_survive(corpus: dict[str, Path]) -> None:
    book = read_workbook(corpus["unicode_emoji_rare_cjk_controls.xlsx"])
    row = book.sheets["宣传活动"].rows[2]
    for fid, text in mc.UNICODE_TEXTS.items():
        assert row[_template_col("publicity", fid)] == text
    name = book.sheets["志愿者"].rows[2][_template_col("volunteers", "name")]
    assert name == mc.UNICODE_NAME


def test_formula_like_texts_are_read_as_text(corpus: dict[str, Path]) -> None:
    sheet = read_workbook(corpus["formula_like_texts.xlsx"]).sheets["宣传活动"]
    theme, location = _template_col("publicity", "theme"), _template_col("publicity", "location")
    assert [sheet.rows[2 + i][theme] for i in range(4)] == list(mc.HOSTILE_TEXTS[:4])
    assert sheet.rows[2][location] == mc.HOSTILE_TEXTS[4]
    assert sheet.formulas == frozenset()  # written as text by the template: not formulas


def test_the_xls_is_a_real_excel_97_workbook(tmp_path: Path) -> None:
    python_calamine = pytest.importorskip("python_calamine")
    path = tmp_path / "real.xls"
    path.write_bytes(mc.xls_bytes())
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    assert book.get_sheet_by_index(0).to_python()[1] == ["王芳", "13853300001"]


def test_the_zip_bomb_really_is_one(corpus: dict[str, Path]) -> None:
    size = corpus["zip_bomb.xlsx"].stat().st_size
    with zipfile.ZipFile(corpus["zip_bomb.xlsx"]) as zf:
        sheet = zf.getinfo("xl/worksheets/sheet1.xml")
    assert size < 4 << 20 and sheet.file_size > 3 << 30  # 3 MB on disk, 3 GiB of XML
    with zipfile.ZipFile(corpus["zip_bomb_lying_sizes.xlsx"]) as zf:
        lying = zf.getinfo("xl/worksheets/sheet1.xml")
    assert lying.file_size == 1 << 20 and lying.compress_size == sheet.compress_size


def test_crc32_combine_matches_zlib() -> None:
    import zlib

    a, b = os.urandom(1000), os.urandom(4097)
    assert mc.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    stream, crc, size = mc._spaces(3 << 20)
    assert zlib.decompressobj(-15).decompress(stream) == b" " * size
    assert crc == zlib.crc32(b" " * size)


# ── the limits at their edges ──────────────────────────────────────────────────────────────

LIMIT = CONTENT_LIMITS["max_cell_chars"]


def _shared_book(path: Path, strings: list[str], end_tag: str = "</si>") -> Path:
    items = "".join(f"<si><t>{t}</t>{end_tag}" for t in strings)
    shared = f'<sst xmlns="{mc.MAIN_NS}">{items}</sst>'.encode()
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="s"><v>{i - 1}</v></c></row>'
                   for i in range(1, len(strings) + 1))  # fmt: skip
    sheet = mc._sheet_xml(rows, f"A{len(strings)}")
    return mc.write_zip(path, mc.book_parts({"S": sheet}, shared=shared))


@pytest.mark.parametrize("end_tag", ["</si>", "</si >"])
def test_a_string_of_exactly_the_limit_is_read_one_more_is_refused(
    tmp_path: Path, end_tag: str
) -> None:
    text = "好" * LIMIT
    book = read_workbook(_shared_book(tmp_path / "a.xlsx", ["短", text, "短"], end_tag))
    assert book.sheets["S"].rows[1] == [text]
    with pytest.raises(UnreadableWorkbook, match="max_cell_chars"):
        read_workbook(_shared_book(tmp_path / "b.xlsx", ["短", text + "好"], end_tag))
    entity = "&amp;" * LIMIT  # 5 bytes in the file, one character in the cell
    assert read_workbook(_shared_book(tmp_path / "c.xlsx", [entity], end_tag)).sheets["S"].rows
    inline = f'<row r="2"><c r="B2" t="inlineStr"><is><t>{text}</t></is></c></row>'
    path = mc.write_zip(tmp_path / "d.xlsx", mc.book_parts({"S": mc._sheet_xml(inline, "B2")}))
    assert read_workbook(path).sheets["S"].rows[1] == ["", text]
    inline = inline.replace("</t>", "好</t>")
    path = mc.write_zip(tmp_path / "e.xlsx", mc.book_parts({"S": mc._sheet_xml(inline, "B2")}))
    with pytest.raises(UnreadableWorkbook, match="B2 单元格有 32,768 个字符"):
        read_workbook(path)


def _writers_book(path: Path, writer: str, long_text: str) -> Path:
    """2,000 rows of short texts and, at C1000, ``long_text``: written by XlsxWriter (shared
    strings, its own 32,767 cap lifted) or openpyxl (inline strings, the cell's value set past
    its truncation)."""
    if writer == "xlsxwriter":
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(path))
        ws = wb.add_worksheet("宣传活动")
        ws.xls_strmax = 1 << 20
        for r in range(2000):
            ws.write_row(r, 0, [f"第{r}行", "文字" * 20])
        ws.write_string(999, 2, long_text)
        wb.close()
    else:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "宣传活动"
        for r in range(1, 2001):
            ws.append([f"第{r - 1}行", "文字" * 20])
        ws["C1000"] = "x"
        ws["C1000"]._value = long_text
        wb.save(path)
    return path


@pytest.mark.parametrize("writer", ["xlsxwriter", "openpyxl"])
def test_a_cell_one_character_over_the_limit_is_refused_whoever_wrote_it(
    tmp_path: Path, writer: str
) -> None:
    text = "好" * LIMIT
    book = read_workbook(_writers_book(tmp_path / "a.xlsx", writer, text))
    rows = book.sheets["宣传活动"].rows
    assert len(rows) == 2000 and rows[999] == ["第999行", "文字" * 20, text]
    path = _writers_book(tmp_path / "b.xlsx", writer, text + "好")
    kind = "inlineStr" if writer == "openpyxl" else 't="s"'
    with zipfile.ZipFile(path) as zf:  # written as the writer writes text, all of it
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
        strings = zf.read("xl/sharedStrings.xml").decode() if writer == "xlsxwriter" else sheet
    assert kind in sheet and "好" * (LIMIT + 1) in strings
    where = "C1000 单元格有 32,768 个字符" if writer == "openpyxl" else "32,767 个字符"
    with pytest.raises(UnreadableWorkbook, match=where):
        read_workbook(path)


def test_many_short_strings_are_not_one_long_one(tmp_path: Path) -> None:
    strings = [f"第{i}条记录" for i in range(60_000)]  # 600,000 characters in all
    for end_tag in ("</si>", "</si >", "</si\n>"):
        path = _shared_book(tmp_path / "a.xlsx", strings, end_tag)
        rows = read_workbook(path).sheets["S"].rows
        assert len(rows) == 60_000 and rows[-1] == ["第59999条记录"]


def test_rows_and_cells_at_the_limit(tmp_path: Path) -> None:
    rows = CONTENT_LIMITS["max_rows"]
    last = (
        f'<row r="1"><c r="A1"><v>1</v></c></row><row r="{rows}"><c r="B{rows}"><v>2</v></c></row>'
    )
    path = mc.write_zip(tmp_path / "a.xlsx", mc.book_parts({"S": mc._sheet_xml(last, "A1")}))
    assert len(read_workbook(path).sheets["S"].rows) == rows  # the dimension lied: walked
    over = last.replace(f"{rows}", f"{rows + 1}")
    path = mc.write_zip(tmp_path / "b.xlsx", mc.book_parts({"S": mc._sheet_xml(over, "A1")}))
    with pytest.raises(UnreadableWorkbook, match="第 100,001 行"):
        read_workbook(path)
    # two sheets of 40,000 rows × 78 columns (BZ): 3.12 M cells each, 6.24 M together
    wide = '<row r="1"><c r="A1"><v>1</v></c></row><row r="40000"><c r="BZ40000"><v>2</v></c></row>'
    parts = mc.book_parts({"一": mc._sheet_xml(wide, "A1:BZ40000"), "二": mc._sheet_xml(wide)})
    path = mc.write_zip(tmp_path / "c.xlsx", parts)
    assert len(read_workbook(path, sheets=["一"]).sheets["一"].rows) == 40_000
    with pytest.raises(UnreadableWorkbook, match=r"“二”.*40,000 行 × 78 列.*max_cells"):
        read_workbook(path)


def test_cells_without_references_are_placed_like_calamine(tmp_path: Path) -> None:
    python_calamine = pytest.importorskip("python_calamine")
    xml = (
        '<row><c><v>1</v></c><c/><c t="inlineStr"><is><t>x</t></is></c></row><row/>'
        '<row r="6"><c r="C6"><v>6</v></c><c><v>7</v></c></row><row><c><v>8</v></c></row>'
        "<x:row><x:c><x:v>9</x:v></x:c></x:row>"
    )
    path = mc.write_zip(tmp_path / "a.xlsx", mc.book_parts({"S": mc._sheet_xml(xml)}))
    ours = read_workbook(path).sheets["S"].rows
    theirs = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    assert ours == theirs.to_python(skip_empty_area=False)
    assert ours[5][2:4] == [6.0, 7.0] and ours[6][0] == 8.0 and ours[7][0] == 9.0


# ── bounded time and memory ────────────────────────────────────────────────────────────────

_CHILD = """
import json, resource, sys, time
cap = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from xlhfjz.xlsx.files import validate_file
for path in sys.argv[2:]:
    start = time.perf_counter()
    report = validate_file(path)
    print(json.dumps({"file": path, "seconds": time.perf_counter() - start,
                      "readable": report.readable,
                      "reason": None if report.readable else report.issues[0].message}))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux")
def test_whole_corpus_under_a_memory_cap(corpus: dict[str, Path]) -> None:
    """Without the content limits, far_cell_XFD1048576.xlsx alone makes calamine ask for 550 GB
    and abort the process; with them every file is answered under a 2 GiB address space."""
    files = [str(p) for _, p in sorted(corpus.items())]
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(MEMORY_CAP), *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["file"] for r in results] == files
    for r in results:
        name = Path(r["file"]).name
        assert r["readable"] == (name not in REFUSED), name
        assert r["seconds"] < SECONDS_PER_FILE, (name, r["seconds"])


# ── the merge of a folder holding all of them ──────────────────────────────────────────────


@dataclass
class Merged:
    folder: Path
    result: MergeResult
    seconds: float
    before: dict[str, tuple[str, int]]
    summary: Path
    contacts: Path
    books: dict[str, Any]
    """openpyxl workbooks of the summary and the contacts file."""


def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
    }


@pytest.fixture(scope="module")
def merged(corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Merged:
    folder = next(iter(corpus.values())).parent
    before = _snapshot(folder)
    start = time.perf_counter()
    result = merge_folder(folder, workers=2, contacts=True)
    seconds = time.perf_counter() - start
    out = tmp_path_factory.mktemp("out")
    summary = write_summary(out / "汇总.xlsx", result)
    contacts = write_contacts(out / "联络员通讯录.xlsx", result)
    books = {"summary": load_workbook(summary), "contacts": load_workbook(contacts)}
    return Merged(folder, result, seconds, before, summary, contacts, books)


def test_merge_is_quick(merged: Merged) -> None:
    assert merged.seconds < 60, merged.seconds


def test_every_file_has_its_outcome_in_the_log(merged: Merged) -> None:
    logs = {log.file: log for log in merged.result.logs}
    assert set(logs) == set(REFUSED) | set(READ) | set(NOT_LEDGERS) | {"blank_template.xlsx"}
    for name in READ:
        assert logs[name].outcome == "merged", name
    assert logs["blank_template.xlsx"].outcome == "merged"  # a ledger, just empty
    for name, expected in REFUSED.items():
        assert logs[name].outcome == "unreadable", name
        for word in expected.words:
            assert word in (logs[name].reason or ""), (name, logs[name].reason)
    for name in NOT_LEDGERS:
        assert logs[name].outcome == "unreadable"
        assert "不是社区台账模板" in (logs[name].reason or "")


def test_every_good_community_is_in_the_summary(merged: Merged) -> None:
    rows = list(merged.books["summary"]["社区评分"].iter_rows(values_only=True))
    codes = {r[0] for r in rows[1:]}
    assert {c.code for c in mc.COMMUNITIES.values()} <= codes


def test_dashboard_and_log_sheet_list_every_bad_file_with_its_reason(merged: Merged) -> None:
    bad = {log.file: log.reason for log in merged.result.logs if log.outcome != "merged"}
    assert set(bad) == set(REFUSED) | set(NOT_LEDGERS)
    board = {
        r[0]: r[2]
        for r in merged.books["summary"]["汇总看板"].iter_rows(values_only=True)
        if r[0] in bad
    }
    assert board == bad
    log_sheet = list(merged.books["summary"]["合并日志"].iter_rows(values_only=True))
    header = log_sheet[0]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in log_sheet[1:] if r[0] in bad}
    assert {k: v["原因"] for k, v in rows.items()} == bad
    assert {v["结果"] for v in rows.values()} == {"无法读取"}


def test_no_formula_in_any_written_workbook(merged: Merged) -> None:
    for label, book in merged.books.items():
        formulas = [
            (label, ws.title, c.coordinate, c.value)
            for ws in book.worksheets
            for row in ws.iter_rows()
            for c in row
            if c.data_type == "f"
        ]
        assert formulas == []
    for path in (merged.summary, merged.contacts):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.startswith("xl/worksheets/"):
                    assert not re.search(rb"<(?:\w+:)?f[\s>/]", zf.read(name)), (path.name, name)


def test_formula_like_texts_stay_text_in_the_summary(merged: Merged) -> None:
    texts = {
        c.value
        for row in merged.books["summary"]["宣传活动"].iter_rows()
        for c in row
        if c.data_type in ("s", "inlineStr") or isinstance(c.value, str)
    }
    assert set(mc.HOSTILE_TEXTS) <= texts


def test_sources_are_byte_identical_and_untouched(merged: Merged) -> None:
    assert _snapshot(merged.folder) == merged.before


# ── privacy across the whole summary ───────────────────────────────────────────────────────


def _all_texts(book: Any) -> list[tuple[str, str]]:
    return [
        (ws.title, str(c.value))
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    ]


def _personal_and_restricted(samples: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Every name and phone of a personal column, and every text of 线索 and 重点人员, of the
    communities merged (the texts that also appear in a public column are left out)."""
    public: set[str] = set()
    personal: set[str] = set()
    restricted: set[str] = set()
    for s in samples.values():
        for sheet in LEDGERS:
            for i, f in enumerate(sheet.fields):
                values = {str(r[i]) for r in s.data.get(sheet.name, []) if r[i] not in (None, "")}
                if sheet.restricted:
                    if f.type in ("text", "mobile", "phone"):
                        restricted |= values
                elif f.personal:
                    personal |= values
                else:
                    public |= values
    return {v for v in personal if not any(v in p for p in public)}, {
        v for v in restricted if len(v) >= 4 and not any(v in p for p in public)
    }


def test_no_personal_value_and_nothing_of_the_leads_in_the_summary(merged: Merged) -> None:
    samples = mc.samples()
    odd = samples["unicode_emoji_rare_cjk_controls.xlsx"]
    odd.set("志愿者", 0, "name", mc.UNICODE_NAME)
    for fid, text in mc.UNICODE_TEXTS.items():
        odd.set("宣传活动", 0, fid, text)
    personal, restricted = _personal_and_restricted(samples)
    assert mc.UNICODE_NAME in personal and len(personal) > 100 and restricted
    texts = _all_texts(merged.books["summary"])
    leaks = [(sheet, v) for sheet, text in texts for v in personal | restricted if v in text]
    assert leaks == []


def test_phones_typed_as_numbers_are_masked(merged: Merged) -> None:
    s = mc.sample(mc.COMMUNITIES["phones_typed_as_numbers.xlsx"])
    vol = BY_ID["volunteers"]
    mobiles = [r[[f.id for f in vol.fields].index("mobile")] for r in s.data["志愿者"]]
    rows = list(merged.books["summary"]["志愿者"].iter_rows(values_only=True))
    header = rows[0]
    shown = [
        dict(zip(header, r, strict=True))["手机"]
        for r in rows[1:]
        if dict(zip(header, r, strict=True))["社区代码"] == s.basic["community_code"]
    ]
    assert shown == [f"{m[:3]}****{m[-4:]}" for m in mobiles]
    numbers = {int(m) for m in mobiles}
    assert not any(
        isinstance(c.value, int | float) and c.value in numbers
        for ws in merged.books["summary"].worksheets
        for row in ws.iter_rows()
        for c in row
    )
