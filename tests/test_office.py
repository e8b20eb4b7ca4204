"""The office workbook (office.md "Office workbook inputs"): written, filled, read, applied.

The written workbook is read back with openpyxl; a "filled" one is what the office types into
it (the 评分参数 values are edited with openpyxl, as a user would in Excel).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli
from openpyxl import load_workbook

from xlhfjz.batch import merge_folder
from xlhfjz.office.inputs import OfficeData, read_office
from xlhfjz.sample import default_basic, generate_community
from xlhfjz.xlsx.community import write_community_workbook
from xlhfjz.xlsx.office_book import write_office_workbook
from xlhfjz.xlsx.reader import read_workbook

A, B, C, X = "370303009001", "370303009002", "370303009003", "370303009099"
ROSTER = [
    {"community_code": A, "community_name": "甲社区", "community_type": "城市社区"},
    {"community_code": B, "community_name": "乙社区", "community_type": "城市社区"},
    {"community_code": C, "community_name": "丙村", "community_type": "村居"},
]


def inspection(code: str, **kw: Any) -> dict[str, Any]:
    base = {"community_code": code, "inspect_date": dt.date(2020, 12, 1), "inspectors": "处非专班",
            "methods": "走访群众、查阅台账", "visited": 30, "aware": 27, "vetoes": "无"}  # fmt: skip
    return {**base, **kw}


run = run_cli


def set_parameter(path: Path, label: str, value: Any) -> None:
    """Type a value into 评分参数 next to ``label`` (as the office would in Excel)."""
    wb = load_workbook(path)
    ws = wb["评分参数"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == label)
    row[1].value = value
    wb.save(path)


def office(path: Path) -> OfficeData:
    return read_office(read_workbook(path))


def community_file(folder: Path, code: str = A, name: str = "甲社区") -> Path:
    s = generate_community(31, default_basic(name, code), scale=0.6)
    return write_community_workbook(folder / f"{code}_{name}.xlsx", basic=s.basic, data=s.data)


# ── the written workbook ────────────────────────────────────────────────────────────────────


def test_written_office_workbook_has_the_seven_sheets(tmp_path: Path) -> None:
    path = write_office_workbook(tmp_path / "街道汇总.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["使用说明", "设置", "社区名单", "督导检查", "评分核定", "抽查名单",
                             "评分参数"]  # fmt: skip
    settings = [r[0] for r in wb["设置"].iter_rows(min_row=2, values_only=True)]
    assert settings == ["街道名称", "创建开始日期", "创建截止日期", "目标比例", "达标分数线",
                        "优秀分数线", "评估日期", "台账文件夹"]  # fmt: skip
    verified = list(wb["评分核定"].iter_rows(values_only=True))[1]
    assert verified == ("序号", "社区代码", "评分项", "核定分", "考评方式", "核定人", "核定日期",
                        "理由", "备注")  # fmt: skip
    dv = {
        str(v.sqref).split(":")[0][0]: v.formula1
        for v in wb["评分核定"].data_validations.dataValidation
    }
    assert '"材料审核,实地察看,随机调查,电话抽查"' in dv.values()
    draws = list(wb["抽查名单"].iter_rows(values_only=True))[1]
    assert draws == ("序号", "抽取日期", "随机种子", "社区代码", "社区名称", "顺序", "备注")
    roster = list(wb["社区名单"].iter_rows(values_only=True))
    assert roster[1] == ("序号", "社区代码", "社区名称", "社区类型", "备注")
    header = list(wb["督导检查"].iter_rows(values_only=True))[1]
    assert header == ("序号", "社区代码", "检查日期", "检查人", "检查方式", "走访户数", "知晓户数",
                      "发现问题", "整改期限", "整改完成日期", "否决事项", "备注")  # fmt: skip
    params = {r[0]: r[1] for r in wb["评分参数"].iter_rows(min_row=2, values_only=True)}
    assert params["志愿者满分人数"] == 10
    assert params["知晓率评分最少走访户数"] == 20
    assert params["线索接报后上报街道时限（天）"] == 1
    # target, pass and excellent lines live in 设置, not repeated here
    assert "达标分数线" not in params and "优秀分数线" not in params
    assert len(params) == 18  # 17 of the rubric and 集中补录行数 (review.md)
    assert params["集中补录行数"] == 10
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)


def test_empty_office_workbook_gives_defaults(tmp_path: Path) -> None:
    data = office(write_office_workbook(tmp_path / "街道汇总.xlsx"))
    assert data.roster == []
    assert data.inspections == []
    assert data.issues == []
    assert data.parameters["target_ratio"] == 0.5
    assert data.parameters["pass_line"] == 80
    assert data.parameters["excellent_line"] == 90
    assert data.parameters["volunteers_full"] == 10


def test_prefilled_rows_are_written(tmp_path: Path) -> None:
    path = write_office_workbook(
        tmp_path / "o.xlsx", {"street": "车站街道"}, ROSTER, [inspection(A)]
    )
    wb = load_workbook(path)
    roster = list(wb["社区名单"].iter_rows(min_row=3, values_only=True))
    assert [r[1:4] for r in roster] == [(A, "甲社区", "城市社区"), (B, "乙社区", "城市社区"),
                                        (C, "丙村", "村居")]  # fmt: skip
    ins = list(wb["督导检查"].iter_rows(min_row=3, values_only=True))
    assert ins[0][1] == A and ins[0][5:7] == (30, 27)
    settings = {r[0]: r[1] for r in wb["设置"].iter_rows(min_row=2, values_only=True)}
    assert settings["街道名称"] == "车站街道"


# ── read_office of a filled workbook ───────────────────────────────────────────────────────


@pytest.fixture
def filled(tmp_path: Path) -> OfficeData:
    path = write_office_workbook(
        tmp_path / "街道汇总.xlsx",
        {"street": "车站街道", "target_ratio": "60%"},
        ROSTER,
        [
            inspection(A),  # row 3: valid
            inspection(B, visited=10, aware=12),  # row 4: 知晓户数 > 走访户数
            inspection(X),  # row 5: not on the list
            inspection(C, vetoes="无、泄露举报人信息"),  # row 6: 无 with another veto
        ],
    )
    set_parameter(path, "志愿者满分人数", 8)
    set_parameter(path, "宣传活动满分场次", "很多")
    return office(path)


def test_roster_is_read(filled: OfficeData) -> None:
    assert filled.roster_codes == {A: "甲社区", B: "乙社区", C: "丙村"}
    assert filled.settings["street"] == "车站街道"


def test_only_valid_inspections_are_kept(filled: OfficeData) -> None:
    assert [(x["community_code"], x["_row"]) for x in filled.inspections] == [(A, 3)]
    ins = filled.inspections[0]
    assert (ins["visited"], ins["aware"]) == (30, 27)
    assert ins["inspect_date"] == dt.date(2020, 12, 1)
    assert ins["vetoes"] == ("无",)
    assert filled.inspections_for(B) == []


def test_aware_above_visited_is_an_inconsistent_error(filled: OfficeData) -> None:
    found = [(i.severity, i.sheet, i.row, i.column) for i in filled.issues if i.row == 4]
    assert found == [("error", "督导检查", 4, "知晓户数")]
    assert [i.code for i in filled.issues if i.row == 4] == ["inconsistent"]


def test_inspection_for_a_code_not_on_the_list(filled: OfficeData) -> None:
    found = [i for i in filled.issues if i.code == "unknown-reference"]
    assert [(i.severity, i.sheet, i.row, i.column) for i in found] == [
        ("error", "督导检查", 5, "社区代码")
    ]
    assert X in found[0].message


def test_none_with_another_veto_is_an_error(filled: OfficeData) -> None:
    rows = [(i.code, i.column, i.severity) for i in filled.issues if i.row == 6]
    assert rows == [("inconsistent", "否决事项", "error")]


def test_parameters_from_the_sheets(filled: OfficeData) -> None:
    p = filled.parameters
    assert p["target_ratio"] == pytest.approx(0.6)
    assert p["volunteers_full"] == 8
    assert p["publicity_events"] == 4  # "很多" is not a number: the default stays
    bad = [i for i in filled.issues if i.sheet == "评分参数"]
    assert [(i.code, i.severity, i.column) for i in bad] == [
        ("invalid-number", "error", "宣传活动满分场次")
    ]
    assert "默认值" in bad[0].message
    assert p["pass_line"] == 80 and p["excellent_line"] == 90


@pytest.mark.parametrize("typed, ratio", [("60%", 0.6), (0.6, 0.6), ("６０％", 0.6), (0.75, 0.75)])
def test_target_ratio_forms(tmp_path: Path, typed: Any, ratio: float) -> None:
    data = office(write_office_workbook(tmp_path / "o.xlsx", {"target_ratio": typed}))
    assert data.parameters["target_ratio"] == pytest.approx(ratio)


def test_without_a_list_any_code_may_be_inspected(tmp_path: Path) -> None:
    data = office(write_office_workbook(tmp_path / "o.xlsx", {}, (), [inspection(X)]))
    assert [x["community_code"] for x in data.inspections] == [X]
    assert data.issues == []


# ── applied by the merge and the score ─────────────────────────────────────────────────────


def test_merge_applies_inspections_and_target_ratio(tmp_path: Path) -> None:
    folder = tmp_path / "台账"
    folder.mkdir()
    community_file(folder)
    path = write_office_workbook(
        tmp_path / "o.xlsx", {"target_ratio": "60%"}, ROSTER, [inspection(A)]
    )
    result = merge_folder(folder, office(path), workers=1)
    a = next(c for c in result.communities if c.code == A)
    assert a.card is not None
    assert a.card.items["C4"].score > 0
    assert (result.target.n, result.target.required) == (3, 2)  # ceil(0.6 × 3)
    assert {c.code: c.status for c in result.communities if c.code != A} == {
        B: "未提交",
        C: "未提交",
    }


def test_cli_office_writes_the_workbook(tmp_path: Path) -> None:
    out = tmp_path / "新建" / "街道"
    proc = run("office", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.strip())
    assert path.is_file() and path.parent == out
    assert path.name == "街道汇总.xlsm"  # with the 【合并汇总】 button by default (cli.md)
    assert load_workbook(path).sheetnames == [
        "使用说明",
        "设置",
        "社区名单",
        "督导检查",
        "评分核定",
        "抽查名单",
        "评分参数",
        "xlwings.conf",
    ]


def test_cli_score_applies_the_office_inspection(tmp_path: Path) -> None:
    file = community_file(tmp_path)
    path = write_office_workbook(tmp_path / "o.xlsx", {}, ROSTER, [inspection(A)])

    plain = json.loads(run("score", str(file), "--json").stdout)["files"][0]
    assert plain["items"]["C4"]["score"] == 0

    proc = run("score", str(file), "--office", str(path), "--json")
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)["files"][0]
    assert doc["community_code"] == A
    assert doc["items"]["C4"]["score"] > 0
    assert "30" in doc["items"]["C4"]["detail"]
    assert doc["total"] > plain["total"]


def test_cli_score_applies_office_parameters_and_vetoes(tmp_path: Path) -> None:
    file = community_file(tmp_path)
    path = write_office_workbook(
        tmp_path / "o.xlsx",
        {"pass_line": 99, "excellent_line": 100},
        ROSTER,
        [inspection(A, vetoes="泄露举报人信息")],
    )
    doc = json.loads(run("score", str(file), "--office", str(path), "--json").stdout)["files"][0]
    assert doc["parameters"]["pass_line"] == 99
    assert doc["vetoes"] == ["V3"]
    assert doc["result"] == "一票否决"


def test_cli_score_with_an_unreadable_office_exits_2(tmp_path: Path) -> None:
    file = community_file(tmp_path)
    bad = tmp_path / "街道汇总.xlsx"
    bad.write_bytes(b"<html></html>")
    proc = run("score", str(file), "--office", str(bad), "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert "街道汇总工作簿" in proc.stderr
