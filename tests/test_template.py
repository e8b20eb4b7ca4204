"""The community workbook template, read back with an independent reader (openpyxl)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xlhfjz.model.schema import BASIC_INFO, LEDGERS, SHEETS, TEMPLATE_VERSION, schema_hash
from xlhfjz.xlsx.community import CommunityInfo, write_community_workbook
from xlhfjz.xlsx.sheets import input_message, validation

SHEET_NAMES = [
    "使用说明", "基本信息", "组织机构", "联络员", "志愿者", "网格力量", "宣传活动", "联系卡",
    "公开信", "责任书", "培训", "风险排查", "巡查", "线索", "重点人员", "监测点", "监测记录",
    "防控机制", "进度报送", "_meta", "_marks",
]  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_community_workbook(tmp_path_factory.mktemp("tpl") / "community.xlsx")


@pytest.fixture(scope="module")
def book(template: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(template)


def header(ws: Worksheet, row: int = 2) -> list[object]:
    return [c.value for c in ws[row]]


def column_of(ws: Worksheet, label: str) -> str:
    return get_column_letter(header(ws).index(label) + 1)


def column_dim(ws: Worksheet, letter: str):
    """The <col> entry covering a column (XlsxWriter joins identical neighbours into one)."""
    idx = openpyxl.utils.column_index_from_string(letter)
    (dim,) = [d for d in ws.column_dimensions.values() if d.min <= idx <= d.max]
    return dim


def validations_of(ws: Worksheet, letter: str) -> list:
    """The data validations covering the first data cell of a column."""
    return [dv for dv in ws.data_validations.dataValidation if f"{letter}3" in dv.sqref]


# ── structure ────────────────────────────────────────────────────────────────────────────────


def test_sheet_names_and_order(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == SHEET_NAMES
    assert book.sheetnames[1:-2] == [s.name for s in SHEETS]


def test_meta_sheet_is_hidden_and_holds_version_and_hash(book: openpyxl.Workbook) -> None:
    meta = book["_meta"]
    assert meta.sheet_state == "hidden"
    rows = {r[0]: r[1] for r in meta.iter_rows(values_only=True)}
    assert rows["template_version"] == TEMPLATE_VERSION == "1.0"
    assert rows["schema_hash"] == schema_hash()
    assert all(book[n].sheet_state == "visible" for n in SHEET_NAMES[:-2])


def test_marks_sheet_is_hidden_unprotected_with_its_header(book: openpyxl.Workbook) -> None:
    """The Excel buttons keep their marks' addresses there (also in the .xlsx: remote mode can
    add a sheet but not hide it)."""
    marks = book["_marks"]
    assert marks.sheet_state == "hidden"
    assert not marks.protection.sheet  # the buttons write to it
    assert list(marks.iter_rows(values_only=True)) == [("工作表", "地址")]


def test_xlsx_has_no_macros_buttons_or_xlwings_conf(template: Path) -> None:
    import zipfile

    with zipfile.ZipFile(template) as z:
        names = z.namelist()
    assert "xl/vbaProject.bin" not in names
    assert not [n for n in names if n.endswith(".vml")]
    assert "xlwings.conf" not in openpyxl.load_workbook(template).sheetnames


def test_volunteers_header_is_serial_labels_and_remark(book: openpyxl.Workbook) -> None:
    assert header(book["志愿者"]) == [
        "序号", "姓名", "性别", "年龄段", "手机", "所属网格", "类别", "选聘日期", "状态", "备注",
    ]  # fmt: skip


@pytest.mark.parametrize("sheet", LEDGERS, ids=lambda s: s.name)
def test_ledger_header_row_2_is_serial_then_labels_then_remark(
    book: openpyxl.Workbook, sheet
) -> None:
    ws = book[sheet.name]
    assert header(ws) == ["序号", *(f.label for f in sheet.fields), "备注"]
    assert not any("*" in str(v) for v in header(ws))


@pytest.mark.parametrize("sheet", LEDGERS, ids=lambda s: s.name)
def test_title_row_is_merged_across_the_header_with_title_and_guide(
    book: openpyxl.Workbook, sheet
) -> None:
    ws = book[sheet.name]
    title = str(ws["A1"].value)
    assert title.startswith(sheet.title) and sheet.guide in title
    last = get_column_letter(len(sheet.fields) + 2)
    assert f"A1:{last}1" in [str(r) for r in ws.merged_cells.ranges]


def test_publicity_title_row_literal(book: openpyxl.Workbook) -> None:
    assert (
        book["宣传活动"]["A1"].value
        == "宣传教育活动台账　每场活动一行；宣传形式可多选，用顿号（、）分隔"
    )


def test_required_columns_have_their_own_header_fill(book: openpyxl.Workbook) -> None:
    ws = book["联络员"]
    fill = {label: ws.cell(2, i + 1).fill.fgColor.rgb for i, label in enumerate(header(ws))}
    assert fill["姓名"] == fill["手机"] == fill["状态"]  # required
    assert fill["办公电话"] == fill["备注"] == fill["序号"]  # optional
    assert fill["更换日期"] not in (fill["姓名"], fill["办公电话"])  # required if 已更换
    assert fill["姓名"] != fill["办公电话"]


# ── validations and formats ──────────────────────────────────────────────────────────────────


def test_every_choice_column_has_a_forgiving_dropdown_with_every_choice(
    book: openpyxl.Workbook,
) -> None:
    checked = 0
    for sheet in LEDGERS:
        ws = book[sheet.name]
        for f in sheet.fields:
            if f.type != "choice":
                continue
            (dv,) = validations_of(ws, column_of(ws, f.label))
            assert dv.type == "list" and dv.errorStyle == "warning"
            assert all(choice in dv.formula1 for choice in f.choices), (sheet.name, f.label)
            assert len(dv.formula1) - 2 <= 255
            assert f"{column_of(ws, f.label)}1048576" in str(dv.sqref)
            checked += 1
    assert checked == sum(f.type == "choice" for s in LEDGERS for f in s.fields)


def test_gender_dropdown_literal(book: openpyxl.Workbook) -> None:
    (dv,) = validations_of(book["志愿者"], "C")
    assert dv.formula1 == '"男,女"'
    assert str(dv.sqref) == "C3:C1048576"


def test_multi_columns_have_an_input_hint_instead_of_a_list(book: openpyxl.Workbook) -> None:
    ws = book["宣传活动"]
    (dv,) = validations_of(ws, column_of(ws, "宣传形式"))
    assert dv.type is None  # "any value"
    assert "顿号" in dv.prompt and "发放传单" in dv.prompt and "广播/LED" in dv.prompt


def test_hints_and_messages_fit_excel_limits() -> None:
    for sheet in SHEETS:
        for f in sheet.fields:
            assert len(input_message(f, sheet)) <= 255
            opts = validation(f, sheet)
            if opts:
                assert len(opts.get("error_message", "")) <= 255
                assert len(opts.get("input_title", "")) <= 32


def test_date_columns_are_formatted_and_validated(book: openpyxl.Workbook) -> None:
    for sheet in LEDGERS:
        ws = book[sheet.name]
        for f in sheet.fields:
            if f.type != "date":
                continue
            letter = column_of(ws, f.label)
            assert column_dim(ws, letter).number_format == "yyyy-mm-dd"
            (dv,) = validations_of(ws, letter)
            assert (dv.type, dv.errorStyle) == ("date", "warning")
            assert dv.operator in (None, "between")  # between is the OOXML default
            assert (dv.formula1, dv.formula2) == ("36526", "73050")  # 2000-01-01 … 2099-12-31
            assert "2020-06-15" in dv.error


@pytest.mark.parametrize(
    ("sheet", "label"),
    [("志愿者", "手机"), ("联络员", "办公电话"), ("组织机构", "联系电话"), ("监测点", "负责人电话"),
     ("责任书", "统一社会信用代码"), ("监测记录", "报告月份"), ("线索", "线索编号")],
)  # fmt: skip
def test_phone_code_and_text_columns_are_text_formatted(
    book: openpyxl.Workbook, sheet: str, label: str
) -> None:
    ws = book[sheet]
    assert column_dim(ws, column_of(ws, label)).number_format == "@"


def test_count_and_grid_columns_accept_whole_numbers(book: openpyxl.Workbook) -> None:
    ws = book["宣传活动"]
    (staff,) = validations_of(ws, column_of(ws, "工作人员数"))
    (audience,) = validations_of(ws, column_of(ws, "受众人数"))
    assert (staff.type, staff.operator, staff.formula1) == ("whole", "greaterThanOrEqual", "1")
    assert (audience.type, audience.formula1) == ("whole", "0")
    ws = book["网格力量"]
    (grid,) = validations_of(ws, column_of(ws, "网格编号"))
    assert (grid.type, grid.formula1, grid.errorStyle) == ("whole", "1", "warning")


def test_freeze_panes_below_header_and_after_serial(book: openpyxl.Workbook) -> None:
    for sheet in LEDGERS:
        assert book[sheet.name].freeze_panes == "B3"
    assert book["基本信息"].freeze_panes == "A2"


def test_sheets_are_protected_but_data_area_is_editable(book: openpyxl.Workbook) -> None:
    for sheet in LEDGERS:
        ws = book[sheet.name]
        p = ws.protection
        assert p.sheet and not p.password
        # In OOXML a True attribute means "this action is locked".
        assert not (p.formatCells or p.formatColumns or p.formatRows)
        assert not (p.insertRows or p.deleteRows or p.sort or p.autoFilter)
        assert p.insertColumns and p.deleteColumns
        assert ws["A1"].protection.locked and ws["B2"].protection.locked
        for i in range(1, len(sheet.fields) + 3):
            assert column_dim(ws, get_column_letter(i)).protection.locked is False
        assert ws.auto_filter.ref == f"A2:{get_column_letter(len(sheet.fields) + 2)}2"


def test_print_setup_is_landscape_one_page_wide_with_repeated_header(
    book: openpyxl.Workbook,
) -> None:
    ws = book["风险排查"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$2"


# ── 基本信息 and 使用说明 ─────────────────────────────────────────────────────────────────────


def test_basic_info_is_key_value_with_notes(book: openpyxl.Workbook) -> None:
    ws = book["基本信息"]
    assert header(ws, 1) == ["项目", "值", "说明"]
    assert [ws.cell(r, 1).value for r in range(2, 2 + len(BASIC_INFO.fields))] == [
        f.label for f in BASIC_INFO.fields
    ]
    assert ws["B2"].value is None and ws["B2"].protection.locked is False
    assert ws["A2"].protection.locked and ws.protection.sheet
    assert ws["C2"].value.startswith("（必填）")
    population = [f.label for f in BASIC_INFO.fields].index("常住人口") + 2
    assert "选填" in ws.cell(population, 3).value
    (dv,) = [d for d in ws.data_validations.dataValidation if str(d.sqref) == "B4"]  # 社区类型
    assert dv.type == "list" and dv.formula1 == '"城市社区,村居"'


def test_basic_info_prefilled_from_community_info(tmp_path: Path) -> None:
    info = CommunityInfo(
        name="华侨城社区", code="370303009001", street="车站街道",
        start=dt.date(2020, 6, 1), end=dt.date(2020, 12, 31), households=1200, grids=4,
    )  # fmt: skip
    path = write_community_workbook(tmp_path / "c.xlsx", info, basic={"households": 1300})
    ws = openpyxl.load_workbook(path)["基本信息"]
    values = {row[0].value: row[1] for row in ws.iter_rows(min_row=2)}
    assert values["社区名称"].value == "华侨城社区"
    assert values["社区代码"].value == "370303009001"
    assert values["社区代码"].data_type == "s" and values["社区代码"].number_format == "@"
    assert values["所属街道"].value == "车站街道"
    assert values["创建开始日期"].value == dt.datetime(2020, 6, 1)
    assert values["创建开始日期"].number_format == "yyyy-mm-dd"
    assert values["创建截止日期"].value == dt.datetime(2020, 12, 31)
    assert values["辖区户数"].value == 1300  # `basic` overrides `info`
    assert values["网格数"].value == 4
    assert values["报送日期"].value is None
    assert values["社区名称"].protection.locked is False


def test_guide_lists_every_sheet_with_serves_guide_and_required_columns(
    book: openpyxl.Workbook,
) -> None:
    ws = book["使用说明"]
    rows = [r for r in ws.iter_rows(values_only=True) if r[0] in {s.name for s in SHEETS}]
    assert [r[0] for r in rows] == [s.name for s in SHEETS]
    by_name = {r[0]: r for r in rows}
    assert by_name["志愿者"][1:] == (
        "十个一之四：选聘一批志愿者",
        "每名志愿者一行（不登记出生日期和身份证号）",
        "姓名、手机、所属网格、类别、选聘日期、状态",
    )
    assert "更换日期（状态为“已更换”时）" in by_name["联络员"][3]
    text = "\n".join(str(v) for r in ws.iter_rows(values_only=True) for v in r if v)
    assert "“线索”、“重点人员”为内部保密台账" in text
    assert "xlhfjz validate" in text and "顿号（、）" in text and "2020-06-15" in text
    assert "必填" in text and "条件必填" in text and "选填" in text


# ── data ────────────────────────────────────────────────────────────────────────────────────


def test_data_rows_round_trip_as_typed(tmp_path: Path) -> None:
    rows = [
        ["张三", "男", None, "13812345678", 2, "党员志愿者", dt.date(2020, 6, 15), "在册", "=1+1"],
        ["李四", None, "60岁以上", 13912345678, 1, "其他", "2020/7/1", "退出"],
        ["http://x.cn", "007", None, None, None, None, None, None],
    ]
    path = write_community_workbook(tmp_path / "d.xlsx", data={"志愿者": rows})
    ws = openpyxl.load_workbook(path)["志愿者"]
    got = [[c.value for c in r] for r in ws.iter_rows(min_row=3, max_col=10)]
    assert got == [
        [1, "张三", "男", None, "13812345678", 2, "党员志愿者", dt.datetime(2020, 6, 15), "在册",
         "=1+1"],
        [2, "李四", None, "60岁以上", 13912345678, 1, "其他", "2020/7/1", "退出", None],
        [3, "http://x.cn", "007", None, None, None, None, None, None, None],
    ]  # fmt: skip
    assert ws["J3"].data_type == "s" and ws["E3"].data_type == "s"
    assert ws["H3"].number_format == "yyyy-mm-dd" and ws["H3"].is_date
    assert ws["B5"].hyperlink is None
    assert all(c.protection.locked is False for c in ws[3] if c.value is not None)
    assert ws.auto_filter.ref == "A2:J5"


def test_formula_text_stays_text_in_the_xml(tmp_path: Path) -> None:
    import zipfile

    path = write_community_workbook(tmp_path / "f.xlsx", data={"巡查": [["=1+1"]]})
    with zipfile.ZipFile(path) as z:
        sheet_xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in sheet_xml


def test_unknown_sheet_and_overlong_rows_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        write_community_workbook(tmp_path / "x.xlsx", data={"不存在": [["a"]]})
    with pytest.raises(ValueError):
        write_community_workbook(tmp_path / "x.xlsx", data={"联络员": [["a"] * 9]})
    with pytest.raises(KeyError):
        write_community_workbook(tmp_path / "x.xlsx", basic={"nope": 1})
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_old_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "c.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_community_workbook(target, data={"联络员": [[object()]]})
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["c.xlsx"]


def test_writing_twice_gives_identical_bytes(tmp_path: Path) -> None:
    info = CommunityInfo("华侨城社区", "370303009001", start=dt.date(2020, 6, 1))
    data = {"联络员": [["王五", "主任", "13800000000", None, dt.date(2020, 6, 2), "在任"]]}
    a = write_community_workbook(tmp_path / "a.xlsx", info, data).read_bytes()
    b = write_community_workbook(tmp_path / "b.xlsx", info, data).read_bytes()
    assert a == b


def test_a_filled_sample_validates_without_issues(tmp_path: Path) -> None:
    from xlhfjz.sample import generate_community
    from xlhfjz.xlsx.files import validate_file

    sample = generate_community(1)
    path = write_community_workbook(tmp_path / "s.xlsx", data=sample.data, basic=sample.basic)
    report = validate_file(path)
    assert (report.errors, report.warnings, report.template_version) == (0, 0, "1.0")


# ── an independent office suite ──────────────────────────────────────────────────────────────


def test_libreoffice_renders_the_template_to_pdf(template: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("soffice (LibreOffice) is required in CI")
        pytest.skip("soffice (LibreOffice) is not installed")
    profile = tmp_path / "profile"
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(template)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = tmp_path / "community.pdf"
    assert pdf.exists() and pdf.stat().st_size > 10_000
    assert pdf.read_bytes().startswith(b"%PDF")


def test_xlsxwriter_accepts_every_option_without_warning(tmp_path: Path) -> None:
    # XlsxWriter *warns and drops* a validation whose list or message exceeds Excel's limits.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_community_workbook(tmp_path / "w.xlsx")
