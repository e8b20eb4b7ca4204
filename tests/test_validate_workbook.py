"""Whole workbooks with planted problems, written to disk and validated through the real reader."""

from __future__ import annotations

import datetime as dt
import gc
import sys
from pathlib import Path

import pytest
from helpers import standard_sheets, write_xlsx

from xlhfjz.model.rules import INVALID
from xlhfjz.model.schema import BY_NAME
from xlhfjz.sample import default_basic, generate_community, plant_typical_errors
from xlhfjz.xlsx.files import validate_file


def where(report) -> list[tuple]:
    return sorted((i.sheet or "", i.row or 0, i.column or "", i.code) for i in report.issues)


@pytest.fixture
def sample():
    return generate_community(11, default_basic())


def test_clean_workbook_has_no_issue(tmp_path: Path, sample) -> None:
    report = validate_file(write_xlsx(tmp_path / "clean.xlsx", standard_sheets(sample)))
    assert report.readable
    assert report.issues == []
    assert report.community_code == "370303009001"
    assert report.rows["组织机构"] == len(sample.data["组织机构"])


def test_typical_errors_are_reported_at_their_cells(tmp_path: Path, sample) -> None:
    plant_typical_errors(sample)
    report = validate_file(write_xlsx(tmp_path / "messy.xlsx", standard_sheets(sample)))
    # Data row index i is Excel row i + 3 (title row 1, header row 2).
    assert where(report) == sorted(
        [
            ("志愿者", 4, "手机", "invalid-phone"),
            ("宣传活动", 3, "受众人数", "invalid-number"),
            ("宣传活动", 5, "活动日期", "invalid-date"),
            ("巡查", 4, "巡防层级", "invalid-choice"),
            ("联系卡", 3, "网格编号", "invalid-grid"),
            ("组织机构", 5, "联系电话", "required-missing"),
            ("线索", 3, "简要情况", "personal-data-in-text"),
            ("培训", 3, "实训人数", "inconsistent"),
            ("风险排查", 3, "关联线索编号", "unknown-reference"),
            ("志愿者", 6, "选聘日期", "date-in-future"),
        ]
    )
    phone = next(i for i in report.issues if i.code == "invalid-phone")
    assert phone.message == "手机号码应为11位数字、以1开头，现为“1381234”"
    assert (phone.field, phone.value, phone.severity) == ("mobile", "1381234", "error")


def test_header_found_below_inserted_rows_with_columns_reordered_and_hidden(
    tmp_path: Path, sample
) -> None:
    sheets = standard_sheets(sample)
    rows = sheets["志愿者"]
    # reverse the column order, add 序号 and 备注, and put two rows of notes above the title
    rows = [list(reversed(r)) for r in rows]
    rows = [["说明：本表由社区填写"], [], *rows]
    rows[3] = ["序号", *rows[3], "备注"]
    for k, r in enumerate(rows[4:], start=1):
        r.insert(0, k)
    rows[4].append("老党员")
    rows[5][1 + 4] = "１３８ １２３４ ５６７８"  # reversed order: 手机 is 5th from the end
    sheets["志愿者"] = rows
    path = write_xlsx(tmp_path / "moved.xlsx", sheets, hidden_columns={"志愿者": [2, 3]})
    report = validate_file(path)
    assert report.issues == []
    table = report.tables["volunteers"]
    assert table.header_row == 4
    assert table.records[0].row == 5
    assert table.records[1].values["mobile"] == "13812345678"
    assert table.records[0].cells["remark"] == "老党员"


def test_merged_title_and_trailing_blank_rows_and_serial_only_rows(tmp_path: Path, sample) -> None:
    sheets = standard_sheets(sample)
    sheets["公开信"] += [[None] * 7, [], ["  ", "", None]]
    sheets["联系卡"][1] = ["序号", *sheets["联系卡"][1]]
    for k, r in enumerate(sheets["联系卡"][2:], start=1):
        r.insert(0, k)
    sheets["联系卡"] += [[99], [100]]  # rows with only a 序号 are empty
    report = validate_file(write_xlsx(tmp_path / "m.xlsx", sheets, merged_title=True))
    assert report.issues == []
    assert report.rows["公开信"] == len(sample.data["公开信"])
    assert report.rows["联系卡"] == len(sample.data["联系卡"])


def test_numbers_as_text_and_text_as_numbers_are_accepted(tmp_path: Path, sample) -> None:
    sheets = standard_sheets(sample)
    vol = BY_NAME["志愿者"]
    col = {f.id: k for k, f in enumerate(vol.fields)}
    sheets["志愿者"][2][col["mobile"]] = 13812345678  # a phone typed into a number cell
    sheets["志愿者"][2][col["grid_no"]] = "２"  # full-width digit text
    sheets["志愿者"][3][col["recruited"]] = "2020年6月15日"
    sheets["志愿者"][4][col["recruited"]] = 43997  # Excel serial of 2020-06-15
    sheets["志愿者"][5][col["recruited"]] = "20200615"
    sheets["宣传活动"][2][
        BY_NAME["宣传活动"].fields.index(BY_NAME["宣传活动"].field("audience"))
    ] = "120"
    basic = sheets["基本信息"]
    basic[2][1] = 370303009001  # 社区代码 as a number
    report = validate_file(write_xlsx(tmp_path / "types.xlsx", sheets))
    assert report.issues == []
    rec = report.tables["volunteers"].records
    assert rec[0].values["mobile"] == "13812345678"
    assert rec[0].values["grid_no"] == 2
    assert [r.values["recruited"] for r in rec[1:4]] == [dt.date(2020, 6, 15)] * 3
    assert report.community_code == "370303009001"


def test_repeated_values_keep_their_own_verdict(tmp_path: Path, sample) -> None:
    # 1 (a number cell, read as 1.0) and TRUE are equal in Python but not as cells; repeated
    # error values and blanks are reported on every row that holds them
    for i, value in enumerate([1, True, 1, "#N/A", None, "#N/A", True]):
        sample.set("宣传活动", i, "audience", value)
    report = validate_file(write_xlsx(tmp_path / "repeats.xlsx", standard_sheets(sample)))
    assert where(report) == [
        ("宣传活动", 3, "咨询人次", "inconsistent"),
        ("宣传活动", 4, "受众人数", "invalid-number"),
        ("宣传活动", 5, "咨询人次", "inconsistent"),
        ("宣传活动", 6, "受众人数", "required-missing"),
        ("宣传活动", 7, "受众人数", "required-missing"),
        ("宣传活动", 8, "受众人数", "required-missing"),
        ("宣传活动", 9, "受众人数", "invalid-number"),
    ]
    records = report.tables["publicity"].records
    assert [r.values["audience"] for r in records] == [1, INVALID, 1, None, None, None, INVALID]
    assert [r.cells["audience"] for r in records] == [1.0, True, 1.0, "#N/A", None, "#N/A", True]
    missing = [i.message for i in report.issues if i.code == "required-missing"]
    assert missing == [
        "“受众人数”是错误值“#N/A”（公式出错），请直接填写正确的内容",
        "“受众人数”不能为空，请填写",
        "“受众人数”是错误值“#N/A”（公式出错），请直接填写正确的内容",
    ]


def test_a_cell_of_spaces_is_empty_not_an_error_value(tmp_path: Path, sample) -> None:
    sample.set("宣传活动", 0, "audience", "   ")
    sample.set("宣传活动", 1, "audience", "　")  # a full-width space
    report = validate_file(write_xlsx(tmp_path / "spaces.xlsx", standard_sheets(sample)))
    missing = [(i.row, i.message) for i in report.issues if i.code == "required-missing"]
    assert missing == [(3, "“受众人数”不能为空，请填写"), (4, "“受众人数”不能为空，请填写")]


def test_header_is_the_first_row_with_most_labels(tmp_path: Path, sample) -> None:
    sheets = standard_sheets(sample)
    rows = sheets["志愿者"]
    header = list(rows[1])
    rows.insert(1, ["姓名", "手机"])  # a note above the header naming two columns
    rows.insert(5, list(header))  # the header repeated among the data (a printed page break)
    report = validate_file(write_xlsx(tmp_path / "header.xlsx", sheets))
    table = report.tables["volunteers"]
    assert table.header_row == 3
    assert len(table.records) == len(sample.data["志愿者"]) + 1
    assert where(report) == [
        ("志愿者", 6, "年龄段", "invalid-choice"),
        ("志愿者", 6, "性别", "invalid-choice"),
        ("志愿者", 6, "所属网格", "invalid-grid"),
        ("志愿者", 6, "手机", "invalid-phone"),
        ("志愿者", 6, "状态", "invalid-choice"),
        ("志愿者", 6, "类别", "invalid-choice"),
        ("志愿者", 6, "选聘日期", "invalid-date"),
    ]


def test_formula_cell_uses_cached_value_with_a_warning(tmp_path: Path, sample) -> None:
    sheets = standard_sheets(sample)
    pub = BY_NAME["宣传活动"]
    c = [f.id for f in pub.fields].index("audience")
    path = write_xlsx(tmp_path / "f.xlsx", sheets, formulas={("宣传活动", 3, c): ("=100+20", 120)})
    report = validate_file(path)
    assert where(report) == [("宣传活动", 3, "受众人数", "formula-cell")]
    assert report.issues[0].severity == "warning"
    assert report.tables["publicity"].records[0].values["audience"] == 120


def test_structure_problems(tmp_path: Path, sample) -> None:
    sheets = standard_sheets(sample)
    del sheets["公开信"]
    del sheets["_meta"]
    header = sheets["培训"][1]
    header[header.index("授课人")] = "讲师"  # renamed: 授课人 missing, 讲师 unknown
    header[header.index("形式")] = "培训主题"  # 培训主题 twice
    report = validate_file(write_xlsx(tmp_path / "s.xlsx", sheets))
    structure = [x for x in where(report) if x[0] != "培训" or x[1] == 2]
    assert structure == [
        ("_meta", 0, "", "template-version"),
        ("公开信", 0, "", "missing-sheet"),
        ("培训", 2, "培训主题", "duplicate-column"),
        ("培训", 2, "形式", "missing-column"),
        ("培训", 2, "授课人", "missing-column"),
        ("培训", 2, "讲师", "unknown-column"),
    ]
    # the checks of the other columns still ran: no other issue in 培训
    assert [x for x in where(report) if x[0] == "培训" and x[1] != 2] == []


def test_row_and_sheet_rules(tmp_path: Path, sample) -> None:
    def put(sheet: str, i: int, fid: str, value) -> None:
        sample.set(sheet, i, fid, value)

    put("联络员", 0, "status", "已更换")  # 更换日期 required; and now no 在任 联络员
    put("线索", 1, "lead_id", sample.cell("线索", 0, "lead_id"))  # duplicate 线索编号 (E)
    put("线索", 0, "verification", "查实")  # 查实 + 无需处置 → E
    put("监测记录", 0, "point_name", "不存在的监测点")
    put("监测记录", 1, "month", "2021-01")  # after as_of 2020-12-20 → out of period
    put("风险排查", 0, "target_name", "鑫盛理财咨询中心")  # sensitive word, flag 否 → W
    put("风险排查", 0, "sensitive_name", "否")
    mech = sample.data["防控机制"]
    sample.data["防控机制"] = [r for r in mech if r[0] != "应急处置"]
    staff = sample.data["网格力量"]
    for r in staff:
        if r[2] == 3:
            r[5] = "离岗"  # nobody 在岗 in grid 3
    report = validate_file(write_xlsx(tmp_path / "r.xlsx", standard_sheets(sample)))
    assert where(report) == sorted(
        [
            ("联络员", 3, "更换日期", "required-missing"),
            ("联络员", 2, "", "sheet-rule"),
            ("线索", 4, "线索编号", "duplicate-row"),
            ("线索", 3, "处置状态", "inconsistent"),
            ("监测记录", 3, "监测点名称", "unknown-reference"),
            ("监测记录", 4, "报告月份", "date-out-of-period"),
            ("风险排查", 3, "名称含敏感字样", "inconsistent"),
            ("防控机制", 2, "制度类别", "sheet-rule"),
            ("网格力量", 2, "", "sheet-rule"),
        ]
    )
    sev = {(i.sheet, i.code): i.severity for i in report.issues}
    assert sev[("联络员", "sheet-rule")] == "error"
    assert sev[("网格力量", "sheet-rule")] == "warning"
    assert sev[("线索", "duplicate-row")] == "error"
    assert sev[("风险排查", "inconsistent")] == "warning"
    grid = next(i for i in report.issues if i.sheet == "网格力量")
    assert "第3网格" in grid.message


def test_involved_persons_required_when_basic_info_says_so(tmp_path: Path, sample) -> None:
    sample.data["重点人员"] = []
    report = validate_file(write_xlsx(tmp_path / "p.xlsx", standard_sheets(sample)))
    # 有无重点人员 is the 12th key of 基本信息 → Excel row 13
    assert where(report) == [("基本信息", 13, "有无重点人员", "sheet-rule")]


def test_period_rules_follow_basic_info(tmp_path: Path, sample) -> None:
    sample.set("宣传活动", 0, "activity_date", dt.date(2020, 5, 31))  # before 创建开始日期
    sample.set("宣传活动", 1, "activity_date", dt.date(2020, 12, 21))  # after 报送日期 12-20
    sample.set("组织机构", 0, "established", dt.date(2019, 1, 1))  # ≤ 截止 only: fine
    report = validate_file(write_xlsx(tmp_path / "d.xlsx", standard_sheets(sample)))
    assert where(report) == [
        ("宣传活动", 3, "活动日期", "date-out-of-period"),
        ("宣传活动", 4, "活动日期", "date-in-future"),
    ]


def test_basic_info_problems(tmp_path: Path, sample) -> None:
    sample.basic.update(
        community_code="37030300900",  # 11 digits
        period_end=dt.date(2020, 5, 1),  # before the start
        population=10,  # fewer than households
        leader_phone="2281001",
    )
    report = validate_file(write_xlsx(tmp_path / "b.xlsx", standard_sheets(sample)))
    basic = [x for x in where(report) if x[0] == "基本信息"]
    assert basic == [
        ("基本信息", 3, "社区代码", "invalid-code"),
        ("基本信息", 7, "创建截止日期", "date-order"),
        ("基本信息", 10, "常住人口", "inconsistent"),
        ("基本信息", 16, "负责人电话", "invalid-phone"),
    ]


@pytest.mark.parametrize(
    ("content", "word"),
    [
        (b"", "空"),
        (b"PK\x03\x04 truncated", "损坏"),
        (b"<html><body>404</body></html>", "网页"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xls"),
        ("社区名称,社区代码\n华侨城,370303009001\n".encode(), "文本"),
    ],
)
def test_unreadable_file_gives_one_not_a_workbook_issue(tmp_path: Path, content, word) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    report = validate_file(path)
    assert not report.readable
    assert [(i.code, i.severity) for i in report.issues] == [("not-a-workbook", "error")]
    assert word in report.issues[0].message


def test_no_garbage_collection_while_a_workbook_is_validated(tmp_path: Path, sample) -> None:
    """Reading and validating build a few objects per cell and no cycles: the collector waits
    (each of its passes walks every one of them), catches up in one pass of the young objects
    when it resumes, and is left as it was found, enabled or not."""

    path = write_xlsx(tmp_path / "clean.xlsx", standard_sheets(sample))
    passes: list[int] = []

    def count(phase: str, info: dict) -> None:
        frame, inside = sys._getframe(1), False
        while frame is not None and not inside:
            inside, frame = frame.f_code is validate_file.__code__, frame.f_back
        if phase == "start" and inside:
            passes.append(info["generation"])

    gc.callbacks.append(count)
    try:
        report = validate_file(path)
        assert gc.isenabled()
        gc.disable()
        try:
            validate_file(path)
            assert not gc.isenabled()
        finally:
            gc.enable()
    finally:
        gc.callbacks.remove(count)
    assert passes in ([], [0]), passes  # before: one every 700 new objects or so
    assert report.issues == [] and report.rows["组织机构"] == len(sample.data["组织机构"])
