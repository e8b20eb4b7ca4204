"""The Excel buttons (excel.md), run through xlwings' own remote engine without Excel.

Each click is played as xlwings' VBA client plays it (:mod:`vba_client`): the request is built
from a real generated workbook on disk, the button runs through ``xw.Book.caller()``, and the
returned actions are checked (only what the VBA client can replay) and replayed onto an openpyxl
copy of the file, whose end state is checked too. The pure helpers are tested directly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before xlwings is imported

import openpyxl
import pytest
from helpers import standard_sheets
from vba_client import VBA_SUBS, fill, payload_from_xlsx, replay, run_button, typed

from xlhfjz import excel
from xlhfjz.checks.validate import validate_workbook
from xlhfjz.excel import plan
from xlhfjz.model.rubric import GATES, ITEMS
from xlhfjz.model.schema import BY_NAME
from xlhfjz.office.summary import merged_sheets
from xlhfjz.sample import (
    TYPICAL_ERRORS,
    default_basic,
    generate_community,
    plant_typical_errors,
)
from xlhfjz.scoring import score_report
from xlhfjz.xlsx.community import write_community_workbook
from xlhfjz.xlsx.files import validate_file
from xlhfjz.xlsx.office_book import write_office_workbook

RED, YELLOW, WHITE = "#FFC7CE", "#FFEB9C", "#FFFFFF"

#: The cells of TYPICAL_ERRORS in the template: data row i is Excel row i + 3, 序号 is column A,
#: so the k-th field (0-based) is column k + 2 (B for the first field).
PLANTED = {
    ("组织机构", "H5"): RED,  # 组织机构 row 2, 联系电话 (7th field) empty
    ("志愿者", "E4"): RED,  # 志愿者 row 1, 手机 (4th field) "1381234"
    ("志愿者", "H6"): RED,  # 志愿者 row 3, 选聘日期 (7th field) in the future
    ("宣传活动", "I3"): RED,  # 宣传活动 row 0, 受众人数 (8th field) "约200人"
    ("宣传活动", "B5"): RED,  # 宣传活动 row 2, 活动日期 (1st field) "2020.13.05"
    ("联系卡", "D3"): RED,  # 联系卡 row 0, 网格编号 (3rd field) 9
    ("培训", "H3"): RED,  # 培训 row 0, 实训人数 (7th field) 999
    ("风险排查", "R3"): RED,  # 风险排查 row 0, 关联线索编号 (17th field) unknown
    ("巡查", "C4"): RED,  # 巡查 row 1, 巡防层级 (2nd field) "第一级"
    ("线索", "J3"): YELLOW,  # 线索 row 0, 简要情况 (9th field) holds a phone number: W
}

#: 校验结果 of the planted workbook without its 说明 column: 工作表, 行, 列, 级别, 单元格.
PLANTED_RESULT = [
    ("组织机构", 5, "联系电话", "错误", "H5"),
    ("志愿者", 4, "手机", "错误", "E4"),
    ("志愿者", 6, "选聘日期", "错误", "H6"),
    ("宣传活动", 3, "受众人数", "错误", "I3"),
    ("宣传活动", 5, "活动日期", "错误", "B5"),
    ("联系卡", 3, "网格编号", "错误", "D3"),
    ("培训", 3, "实训人数", "错误", "H3"),
    ("风险排查", 3, "关联线索编号", "错误", "R3"),
    ("巡查", 4, "巡防层级", "错误", "C4"),
    ("线索", 3, "简要情况", "提醒", "J3"),
]
PLANTED_ALERT = (
    "发现 9 个错误、1 个提醒\n已在台账中标出 10 个单元格（红色为错误，黄色为提醒）；"
    "逐条说明见“校验结果”表，点“单元格”列的链接可跳到该单元格。"
)


# ── helpers ─────────────────────────────────────────────────────────────────────────────────


def community(path: Path, *, plant: bool = True, seed: int = 1, **basic: Any) -> Path:
    sample = generate_community(seed, default_basic(**basic))
    if plant:
        plant_typical_errors(sample)
    return write_community_workbook(path, basic=sample.basic, data=sample.data)


def funcs(actions: list[dict]) -> Counter:
    return Counter(a["func"] for a in actions)


def only_allowed(actions: list[dict]) -> None:
    assert set(funcs(actions)) <= plan.ALLOWED_ACTIONS
    for a in actions:
        if a["func"] == "setRangeColor":
            assert isinstance(a["args"][0], str)  # never null: the VBA client cannot convert it


def sheet_names(payload: dict, actions: list[dict]) -> list[str]:
    """The workbook's sheets after the click: the payload's, plus those the actions add."""
    names = [s["name"] for s in payload["sheets"]]
    for a in actions:
        if a["func"] == "addSheet":
            names.insert(a["args"][0], a["args"][1])
    return names


def coloured(payload: dict, actions: list[dict]) -> dict[tuple[str, str], str]:
    """(sheet, cell) → colour of every setRangeColor, cell by cell (later wins)."""
    out = {}
    names = sheet_names(payload, actions)
    for a in actions:
        if a["func"] != "setRangeColor":
            continue
        for r in range(a["start_row"], a["start_row"] + a["row_count"]):
            for c in range(a["start_column"], a["start_column"] + a["column_count"]):
                out[(names[a["sheet_position"]], plan.cell_address(r + 1, c))] = a["args"][0]
    return out


def click(func, path: Path) -> tuple[dict, list[dict]]:
    payload = payload_from_xlsx(path)
    actions = run_button(func, payload)
    only_allowed(actions)
    return payload, actions


def replayed(path: Path, actions: list[dict], out: Path) -> tuple[Any, list[list[Any]]]:
    """Replay onto a copy of ``path`` saved as ``out`` and read back; (workbook, alerts)."""
    wb = openpyxl.load_workbook(path)
    alerts = replay(wb, actions)
    wb.save(out)
    return openpyxl.load_workbook(out), alerts


def fills_in(wb: Any) -> dict[tuple[str, str], str]:
    """Every mark-coloured cell of a workbook."""
    return {
        (ws.title, c.coordinate): fill(c)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if fill(c) in (RED, YELLOW, WHITE)
    }


def values(ws: Any) -> list[tuple]:
    return [tuple(r) for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    return community(tmp_path / "华侨城社区.xlsx")


# ── the planted cells, derived from the template ────────────────────────────────────────────


def test_planted_addresses_are_the_template_cells_of_typical_errors(planted: Path) -> None:
    wb = openpyxl.load_workbook(planted, read_only=True)
    derived = set()
    for sheet, i, fid, _value, _code in TYPICAL_ERRORS:
        header = [c.value for c in next(wb[sheet].iter_rows(min_row=2, max_row=2))]
        col = header.index(BY_NAME[sheet].field(fid).label)
        derived.add((sheet, plan.cell_address(i + 3, col)))
    assert derived == set(PLANTED)


# ── 【校验台账】 ──────────────────────────────────────────────────────────────────────────────


def test_validate_colours_exactly_the_planted_cells(planted: Path) -> None:
    payload, actions = click(excel.validate_button, planted)
    assert coloured(payload, actions) == PLANTED
    assert funcs(actions)["setRangeColor"] == 10


def test_validate_lists_every_issue_with_a_link_to_its_cell(planted: Path) -> None:
    payload, actions = click(excel.validate_button, planted)
    names = [s["name"] for s in payload["sheets"]]
    assert [a["args"] for a in actions if a["func"] == "addSheet"] == [[len(names), "校验结果"]]
    result = next(a for a in actions if a["func"] == "setValues" and a["values"][0][0] == "工作表"
                  and a["values"][0][1] == "行")  # fmt: skip
    assert result["values"][0] == ["工作表", "行", "列", "级别", "说明", "单元格"]
    rows = result["values"][1:]
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows] == PLANTED_RESULT
    cli = {(i.sheet, i.row, i.column): i.message for i in validate_file(planted).issues}
    assert [r[4] for r in rows] == [cli[(r[0], r[1], r[2])] for r in rows]
    links = [a for a in actions if a["func"] == "addHyperlink"]
    assert [(a["start_row"], a["start_column"], a["args"][0], a["args"][1]) for a in links] == [
        (k, 5, f"#'{sheet}'!{cell}", cell) for k, (sheet, *_, cell) in enumerate(PLANTED_RESULT, 1)
    ]
    assert actions[-2]["func"] == "activateSheet"
    assert actions[-1]["func"] == "alert"
    assert actions[-1]["args"] == [PLANTED_ALERT, "校验台账", "ok", "info", ""]


def test_validate_finds_what_the_cli_finds(planted: Path) -> None:
    _, actions = click(excel.validate_button, planted)
    result = next(a for a in actions if a["func"] == "setValues" and a["values"][0][1] == "行")
    got = sorted((r[0], r[1], r[2], r[3]) for r in result["values"][1:])
    cli = sorted((i.sheet, i.row, i.column, "错误" if i.is_error else "提醒")
                 for i in validate_file(planted).issues)  # fmt: skip
    assert got == cli


def test_validate_end_state_in_the_file(planted: Path, tmp_path: Path) -> None:
    _, actions = click(excel.validate_button, planted)
    wb, alerts = replayed(planted, actions, tmp_path / "after.xlsx")
    assert alerts == [[PLANTED_ALERT, "校验台账", "ok", "info", ""]]
    assert fills_in(wb) == PLANTED
    assert wb.active.title == "校验结果"
    assert wb.sheetnames[-1] == "校验结果"
    result = wb["校验结果"]
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in values(result)[1:]] == PLANTED_RESULT
    assert result["F2"].hyperlink.location == "'组织机构'!H5"
    assert result["F11"].hyperlink.location == "'线索'!J3"
    marks = wb["_marks"]
    assert marks.sheet_state == "hidden"
    assert values(marks) == [("工作表", "地址"), *sorted(PLANTED, key=_workbook_order(wb))]


def _workbook_order(wb: Any):
    order = {name: k for k, name in enumerate(wb.sheetnames)}

    def key(mark: tuple[str, str]) -> tuple[int, int, int]:
        (row, col), = plan.parse_cells(mark[1])  # fmt: skip
        return order[mark[0]], row, col

    return key


def test_second_click_whitens_the_fixed_cell_and_keeps_the_others(
    planted: Path, tmp_path: Path
) -> None:
    _, first = click(excel.validate_button, planted)
    once = tmp_path / "once.xlsx"
    replayed(planted, first, once)
    wb = openpyxl.load_workbook(once)
    wb["志愿者"]["E4"] = "13988887777"  # the user corrects the phone number
    wb.save(once)

    payload, second = click(excel.validate_button, once)
    assert "addSheet" not in funcs(second)  # _marks and 校验结果 exist now
    expected = {k: v for k, v in PLANTED.items() if k != ("志愿者", "E4")}
    assert coloured(payload, second) == {**expected, ("志愿者", "E4"): WHITE}
    names = sheet_names(payload, second)
    clear = [(a["func"], names[a["sheet_position"]]) for a in second
             if a["func"].startswith("sheetClear")]  # fmt: skip
    assert clear == [("sheetClearContents", "_marks"), ("sheetClear", "校验结果")]

    wb, alerts = replayed(once, second, tmp_path / "twice.xlsx")
    assert fills_in(wb) == {**expected, ("志愿者", "E4"): WHITE}
    assert len(values(wb["_marks"])) == 1 + 9
    result = wb["校验结果"]
    assert len(values(result)) == 1 + 9
    assert result["F11"].value is None and result["F11"].hyperlink is None  # no stale link
    assert alerts[0][0].startswith("发现 8 个错误、1 个提醒\n")


def test_the_macro_workbook_is_marked_the_same(tmp_path: Path) -> None:
    """The .xlsm staff click in (buttons, VBA, hidden xlwings.conf last): same cells, and the
    result sheet goes after every existing sheet."""
    sample = generate_community(1, default_basic())
    plant_typical_errors(sample)
    path = write_community_workbook(tmp_path / "c.xlsm", basic=sample.basic, data=sample.data)
    payload, actions = click(excel.validate_button, path)
    names = [s["name"] for s in payload["sheets"]]
    assert names[-3:] == ["_meta", "_marks", "xlwings.conf"]
    assert coloured(payload, actions) == PLANTED
    assert [a["args"] for a in actions if a["func"] == "addSheet"] == [[len(names), "校验结果"]]


def test_clean_workbook_passes_and_marks_nothing(tmp_path: Path) -> None:
    path = community(tmp_path / "clean.xlsx", plant=False)
    _payload, actions = click(excel.validate_button, path)
    assert "setRangeColor" not in funcs(actions)
    assert "addHyperlink" not in funcs(actions)
    assert actions[-1]["args"][:2] == ["校验通过", "校验台账"]
    wb, _ = replayed(path, actions, tmp_path / "after.xlsx")
    assert values(wb["校验结果"]) == [("工作表", "行", "列", "级别", "说明", "单元格")]
    assert values(wb["_marks"]) == [("工作表", "地址")]


def test_without_marks_sheet_validate_adds_it_visibly(planted: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(planted)
    del wb["_marks"]
    bare = tmp_path / "bare.xlsx"
    wb.save(bare)
    payload, actions = click(excel.validate_button, bare)
    n = len(payload["sheets"])
    assert [a["args"] for a in actions if a["func"] == "addSheet"] == [
        [n, "_marks"],
        [n + 1, "校验结果"],
    ]
    wb, _ = replayed(bare, actions, tmp_path / "after.xlsx")
    assert wb.sheetnames[-2:] == ["_marks", "校验结果"]
    assert wb["_marks"].sheet_state == "visible"
    assert len(values(wb["_marks"])) == 1 + len(PLANTED)


def test_basic_info_and_header_issues_mark_their_cells(tmp_path: Path) -> None:
    sample = generate_community(1, default_basic())
    sample.basic["households"] = "很多"  # 基本信息: the value cell of 辖区户数
    for row in sample.data["组织机构"]:
        row[BY_NAME["组织机构"].fields.index(BY_NAME["组织机构"].field("role"))] = "成员"  # no 组长
    path = write_community_workbook(tmp_path / "c.xlsx", basic=sample.basic, data=sample.data)
    wb = openpyxl.load_workbook(path)
    wb["志愿者"]["K2"] = "自定义"  # an unknown column after 备注 (J)
    wb.save(path)
    payload, actions = click(excel.validate_button, path)
    assert coloured(payload, actions) == {
        ("基本信息", "B9"): RED,  # 辖区户数 is in row 9
        ("组织机构", "A2"): RED,  # the sheet rule: the first header cell
        ("志愿者", "K2"): YELLOW,  # unknown-column: its own header cell
    }


def test_formula_looking_text_is_written_as_text(planted: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(planted)
    header = wb["志愿者"]["K2"]
    header.value = "=备用列"  # a header typed as text ('=备用列) that looks like a formula
    header.data_type = "s"
    path = tmp_path / "f.xlsx"
    wb.save(path)
    payload = payload_from_xlsx(path)
    assert payload["sheets"][4]["values"][1][10] == "=备用列"  # the client sends the text
    actions = run_button(excel.validate_button, payload)
    result = next(a for a in actions if a["func"] == "setValues" and a["values"][0][1] == "行")
    row = next(r for r in result["values"] if r[0] == "志愿者" and r[1] == 2)
    assert row[2] == "'=备用列"
    wb, _ = replayed(path, actions, tmp_path / "after.xlsx")
    cell = next(c for r in wb["校验结果"].iter_rows() for c in r if c.value == "=备用列")
    assert cell.data_type == "s"


# ── 【清除标记】 ──────────────────────────────────────────────────────────────────────────────


def test_clear_whitens_every_mark_and_empties_the_lists(planted: Path, tmp_path: Path) -> None:
    _, first = click(excel.validate_button, planted)
    once = tmp_path / "once.xlsx"
    replayed(planted, first, once)
    payload, actions = click(excel.clear_button, once)
    assert coloured(payload, actions) == dict.fromkeys(PLANTED, WHITE)
    assert funcs(actions)["setRangeColor"] == 10  # no two planted cells touch
    assert actions[-1]["args"][:2] == ["已清除 10 个单元格的校验标记。", "清除标记"]
    wb, _ = replayed(once, actions, tmp_path / "cleared.xlsx")
    assert fills_in(wb) == dict.fromkeys(PLANTED, WHITE)
    assert values(wb["_marks"]) == [("工作表", "地址")]
    assert values(wb["校验结果"]) == []
    assert wb["校验结果"]["F2"].hyperlink is None


def test_clear_on_a_fresh_workbook_says_there_is_nothing(planted: Path) -> None:
    _payload, actions = click(excel.clear_button, planted)
    assert "setRangeColor" not in funcs(actions)
    assert actions[-1]["args"][0] == "没有需要清除的校验标记。"


# ── 【计算评分】 ──────────────────────────────────────────────────────────────────────────────


def test_score_writes_the_score_sheet(planted: Path, tmp_path: Path) -> None:
    _payload, actions = click(excel.score_button, planted)
    assert "setRangeColor" not in funcs(actions)  # scoring leaves the ledgers alone
    card = score_report(validate_file(planted))
    block = next(a for a in actions if a["func"] == "setValues")
    rows = block["values"]
    assert rows[0][0].startswith("创建评分")
    head = rows.index(["编号", "项目", "得分", "满分", "依据", "还需"])
    top = {r[0]: r[1:] for r in rows[1:head] if r[0]}
    assert top["社区"][0] == "华侨城社区，370303009001"
    assert top["创建结果"][0] == card.result
    assert top["总分"][:2] == [round(card.total, 1), "满分 100；达标 80 分，优秀 90 分"]
    assert [top[f"基本条件 {g}"][:2] for g in ("G1", "G2", "G3", "G4")] == [
        ["满足" if card.gates[g] else "未满足", label] for g, label in GATES.items()
    ]
    assert top["一票否决"][0] == "无"
    assert top["台账校验"][0] == (
        "错误 9 个、提醒 1 个（有错误的行不计分，请点【校验台账】查看并改正）"
    )
    assert rows[3][0] == "总分"  # B4 carries the one-decimal format below
    items = rows[head + 1 : head + 20]
    assert [(r[0], r[1], r[3]) for r in items] == [(i, n, m) for i, n, m in ITEMS]
    assert [r[2] for r in items] == [round(card.items[i].score, 1) for i, _, _ in ITEMS]
    assert rows[head + 20][:4] == ["合计", "", round(card.total, 1), 100]
    formats = [(a["start_row"], a["start_column"], a["row_count"], a["args"][0])
               for a in actions if a["func"] == "setNumberFormat"]  # fmt: skip
    assert formats == [(3, 1, 1, "0.0"), (head + 1, 2, 20, "0.0")]
    alert = actions[-1]["args"]
    assert alert[:2] == [plan.score_message(card), "计算评分"]
    assert alert[0].startswith(f"创建结果：{card.result}\n总分：{card.total:.1f} 分（满分 100）")

    wb, _ = replayed(planted, actions, tmp_path / "after.xlsx")
    ws = wb["创建评分"]
    assert wb.active.title == "创建评分"
    assert ws["B4"].value == round(card.total, 1) and ws["B4"].number_format == "0.0"
    assert ws.cell(head + 2, 1).value == "A1"


def test_score_button_equals_the_cli_score(tmp_path: Path) -> None:
    path = community(tmp_path / "clean.xlsx", plant=False)
    _, actions = click(excel.score_button, path)
    card = score_report(validate_file(path))
    rows = next(a for a in actions if a["func"] == "setValues")["values"]
    assert rows[2][1] == card.result
    assert rows[3][1] == round(card.total, 1)


# ── 【合并汇总】 ──────────────────────────────────────────────────────────────────────────────

CODES = ("370303009001", "370303009002", "370303009003")
FORMULA = '=HYPERLINK("http://example.com","点我")'


@pytest.fixture
def office(tmp_path: Path) -> Path:
    folder = tmp_path / "台账"
    folder.mkdir()
    for k, code in enumerate(CODES):
        sample = generate_community(k + 1, default_basic(f"社区{k + 1}", code))
        if k == 0:
            plant_typical_errors(sample)
        if k == 1:
            fields = [f.id for f in BY_NAME["宣传活动"].fields]
            sample.data["宣传活动"][0][fields.index("theme")] = FORMULA
        write_community_workbook(folder / f"{code}.xlsx", basic=sample.basic, data=sample.data)
    roster = [{"community_code": c, "community_name": f"社区{k + 1}"} for k, c in enumerate(CODES)]
    return write_office_workbook(
        tmp_path / "街道汇总.xlsx",
        settings={"street": "车站街道", "folder": str(folder)},
        roster=roster,
    )


SUMMARY_SHEETS = [
    "汇总看板", "社区评分", "问题清单", *(s.name for s in merged_sheets()), "线索统计", "重点人员统计",
    "合并日志", "疑点提示",
]  # fmt: skip


def test_merge_writes_the_summary_sheets_and_the_summary_file(office: Path, tmp_path: Path) -> None:
    payload, actions = click(excel.merge_button, office)
    n = len(payload["sheets"])
    added = [a["args"] for a in actions if a["func"] == "addSheet"]
    assert added == [[n + k, name] for k, name in enumerate(SUMMARY_SHEETS)]
    summaries = list(tmp_path.glob("汇总_*.xlsx"))
    assert len(summaries) == 1
    assert summaries[0].name == f"汇总_{dt.date.today().isoformat()}.xlsx"
    with zipfile.ZipFile(summaries[0]) as z:
        assert any(name.startswith("xl/charts/chart") for name in z.namelist())
    alert = actions[-1]["args"]
    assert alert[1] == "合并汇总"
    assert f"含图表的汇总文件：{summaries[0]}" in alert[0]
    assert alert[0].startswith("合并完成：合并了 3 个社区台账。\n创建成功 ")

    wb, _ = replayed(office, actions, tmp_path / "after.xlsx")
    assert wb.active.title == "汇总看板"
    dashboard = values(wb["汇总看板"])
    assert dashboard[0][0] == "车站街道创建“无非法集资社区（村居）”汇总看板"
    kpis: dict[str, Any] = {}
    for row in dashboard:  # the first of each label: 总体进度 comes before 结果分布
        kpis.setdefault(row[0], row[1])
    assert (kpis["名单社区数"], kpis["已提交"], kpis["校验通过（无错误）"]) == (3, 3, 2)
    assert kpis["完成率"].startswith(f"{kpis['创建成功']} / 3 = ")
    first = wb["宣传活动"]["A2"]  # 活动日期: a real date, shown as a date
    assert isinstance(first.value, dt.datetime) and first.number_format == "yyyy-mm-dd"
    scores = values(wb["社区评分"])
    assert [r[0] for r in scores[1:]] == list(CODES)  # codes stay text, not numbers
    issues = values(wb["问题清单"])
    assert {r[0] for r in issues[1:]} == {CODES[0]}
    assert len(issues) == 1 + 10
    assert values(wb["合并日志"])[1][0] == f"{CODES[0]}.xlsx"


def test_merge_keeps_formula_looking_text_as_text(office: Path, tmp_path: Path) -> None:
    payload, actions = click(excel.merge_button, office)
    names = sheet_names(payload, actions)
    publicity = next(a for a in actions if a["func"] == "setValues"
                     and names[a["sheet_position"]] == "宣传活动")  # fmt: skip
    cells = [v for row in publicity["values"] for v in row]
    assert "'" + FORMULA in cells
    assert FORMULA not in cells
    wb, _ = replayed(office, actions, tmp_path / "after.xlsx")
    hit = [c for row in wb["宣传活动"].iter_rows() for c in row if c.value == FORMULA]
    assert len(hit) == 1 and hit[0].data_type == "s"


def test_second_merge_reuses_the_sheets(office: Path, tmp_path: Path) -> None:
    _, first = click(excel.merge_button, office)
    once = tmp_path / "once.xlsx"
    replayed(office, first, once)
    (tmp_path / "台账" / f"{CODES[0]}.xlsx").unlink()  # the community with the errors withdraws
    payload, second = click(excel.merge_button, once)
    assert "addSheet" not in funcs(second)
    names = sheet_names(payload, second)
    cleared = [names[a["sheet_position"]] for a in second if a["func"] == "sheetClearContents"]
    assert cleared == SUMMARY_SHEETS
    wb, _ = replayed(once, second, tmp_path / "twice.xlsx")
    assert values(wb["问题清单"]) == [values(wb["问题清单"])[0]]  # no stale rows
    assert next(r[2] for r in values(wb["社区评分"])[1:]) == "未提交"


def test_merge_still_fills_the_sheets_when_the_summary_file_is_locked(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xlhfjz.xlsx import summary as summary_writer

    def locked(path: Path, result: Any) -> Path:
        raise summary_writer.SummaryLocked(f"汇总文件正被占用，请先关闭：{path}")

    monkeypatch.setattr(summary_writer, "write_summary", locked)
    _, actions = click(excel.merge_button, office)
    assert funcs(actions)["setValues"] == len(SUMMARY_SHEETS)
    alert = actions[-1]["args"][0]
    assert "含图表的汇总文件：" not in alert
    assert "含图表的汇总文件未能写出：汇总文件正被占用，请先关闭：" in alert


def test_merge_without_a_folder_says_where_to_enter_it(tmp_path: Path) -> None:
    path = write_office_workbook(tmp_path / "街道汇总.xlsx")
    _, actions = click(excel.merge_button, path)
    assert [a["func"] for a in actions] == ["alert"]
    assert actions[0]["args"] == [
        "请先在“设置”表的“台账文件夹”中填写存放各社区台账的文件夹路径，再点【合并汇总】。",
        "合并汇总", "ok", "critical", "",
    ]  # fmt: skip


def test_merge_with_a_missing_folder_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "没有这个文件夹"
    path = write_office_workbook(tmp_path / "街道汇总.xlsx", settings={"folder": str(missing)})
    _, actions = click(excel.merge_button, path)
    assert [a["func"] for a in actions] == ["alert"]
    assert actions[0]["args"][0] == (f"找不到文件夹“{missing}”，请检查“设置”表的“台账文件夹”。")


# ── pure helpers ────────────────────────────────────────────────────────────────────────────

CONVERTED = [
    "=1+1", FORMULA, "+8613812345678", "-3", "@SUM(A1)", "'quoted", "#N/A", "001", "12.5",
    "12.5%", "1,000", "(123)", "¥100", "2020-13-05", "2020/6/15", "2020年6月15日", "6月15日",
    "1-2-3", "12:30", "3 PM", "1e5", "TRUE", "false", "Jan-20",
]  # fmt: skip
KEPT = ["志愿者", "E4", "第1期", "XS-2020-099", "138****1234", "0533-****567", "张某某", "RY-001",
        "约200人", "2020.13.05 前", "进社区"]  # fmt: skip


@pytest.mark.parametrize("text", CONVERTED)
def test_text_excel_would_convert_gets_an_apostrophe(text: str) -> None:
    assert plan.excel_text(text) == "'" + text
    assert typed(plan.excel_text(text)) == (text, True)  # Excel stores the text itself


@pytest.mark.parametrize("text", KEPT)
def test_plain_text_is_written_as_is(text: str) -> None:
    assert plan.excel_text(text) == text


def test_the_replayer_turns_unquoted_formula_and_number_text_into_values() -> None:
    assert typed("=1+1") == ("=1+1", False)  # openpyxl stores it as a formula
    assert typed("001") == (1, False)
    assert typed("2020-13-05") == (dt.datetime(2021, 1, 5), False)  # VBA DateSerial rolls over
    assert typed("XS-2020-099") == ("XS-2020-099", False)


def test_block_is_rectangular_and_json_safe() -> None:
    rows = [["a", 1], ["=x", float("nan"), dt.time(8, 30), dt.date(2020, 6, 15)], []]
    assert plan.block(rows) == [
        ["a", 1, None, None],
        ["'=x", None, "08:30:00", dt.date(2020, 6, 15)],
        [None, None, None, None],
    ]


def test_every_allowed_action_is_a_sub_of_the_vba_client() -> None:
    assert plan.ALLOWED_ACTIONS <= VBA_SUBS


def test_addresses() -> None:
    assert [plan.column_letter(c) for c in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert plan.column_index("AA") == 26
    assert plan.cell_address(4, 4) == "E4"
    assert plan.parse_cells("$E$4") == [(4, 4)]
    assert plan.parse_cells("E4:E6") == [(4, 4), (5, 4), (6, 4)]
    assert plan.parse_cells("志愿者") == []
    assert plan.link_target("O'Brien", "A1") == "#'O''Brien'!A1"


def test_marks_constants_match_the_template() -> None:
    from xlhfjz.xlsx import community as template

    assert (excel.MARKS_SHEET, excel.MARKS_HEADER) == (template.MARKS_SHEET, template.MARKS_HEADER)


def _raw(sheets: dict[str, list[list[Any]]], row: int = 1, column: int = 1):
    return plan.raw_from_values("c.xlsx", {n: (r, row, column) for n, r in sheets.items()})


def test_marks_follow_a_used_range_that_does_not_start_at_a1() -> None:
    """Real Excel's used range starts at the first used cell: values from B3 mean row 3, col B."""
    sample = generate_community(1, default_basic())
    plant_typical_errors(sample)
    sheets = standard_sheets(sample)  # fields from column A (no 序号), header in row 2
    at_a1 = validate_workbook(_raw(sheets))
    shifted_raw = _raw(sheets, row=3, column=2)
    shifted = validate_workbook(shifted_raw)
    phone = next(i for i in shifted.issues if i.code == "invalid-phone")
    assert (phone.sheet, phone.row, phone.column) == ("志愿者", 6, "手机")
    assert plan.issue_cell(phone, shifted, shifted_raw) == ("志愿者", 6, 4)  # E6
    a1 = {(m.sheet, m.address) for m in plan.marks_for(at_a1, _raw(sheets))}
    moved = {(m.sheet, m.address) for m in plan.marks_for(shifted, shifted_raw)}
    shift = {(s, plan.cell_address(r + 2, c + 1)) for s, a in a1 for r, c in plan.parse_cells(a)}
    assert moved == shift


def test_an_error_and_a_warning_on_one_cell_make_it_red() -> None:
    sample = generate_community(1, default_basic())
    plant_typical_errors(sample)
    raw = _raw(standard_sheets(sample))
    report = validate_workbook(raw)
    phone = next(i for i in report.issues if i.code == "invalid-phone")
    report.issues.append(dataclasses.replace(phone, code="too-long", severity="warning"))
    warn_only = next(i for i in report.issues if i.code == "personal-data-in-text")
    report.issues.append(warn_only)  # two warnings stay yellow
    marks = {(m.sheet, m.address): m.colour for m in plan.marks_for(report, raw)}
    assert marks[("志愿者", "D4")] == RED
    assert marks[("线索", "I3")] == YELLOW


def test_issues_without_a_row_mark_nothing_but_are_listed() -> None:
    sample = generate_community(1, default_basic())
    sheets = standard_sheets(sample)
    del sheets["巡查"], sheets["_meta"]
    raw = _raw(sheets)
    report = validate_workbook(raw)
    assert {i.code for i in report.issues} == {"missing-sheet", "template-version"}
    assert plan.marks_for(report, raw) == []
    rows = plan.result_rows(report, raw)
    assert [r[:4] + r[5:] for r in rows[1:]] == [
        ["_meta", None, None, "提醒", None],
        ["巡查", None, None, "错误", None],
    ]
    assert plan.result_links(rows) == []
    assert plan.validation_message(report, 0) == (
        "发现 1 个错误、1 个提醒\n逐条说明见“校验结果”表，点“单元格”列的链接可跳到该单元格。"
    )


def test_paint_plan_whitens_old_marks_and_joins_adjacent_cells() -> None:
    previous = [("志愿者", "E4"), ("志愿者", "E5"), ("志愿者", "E6"), ("已删除的表", "A1")]
    marks = [
        plan.Mark("志愿者", "E5", RED),
        plan.Mark("志愿者", "E7", RED),
        plan.Mark("志愿者", "E8", RED),
        plan.Mark("志愿者", "E9", YELLOW),
        plan.Mark("组织机构", "B3", YELLOW),
    ]
    painted = plan.paint_plan(previous, marks, ["组织机构", "志愿者"])
    assert painted == [
        plan.Mark("志愿者", "E4", WHITE),
        plan.Mark("志愿者", "E6", WHITE),
        plan.Mark("组织机构", "B3", YELLOW),
        plan.Mark("志愿者", "E5", RED),
        plan.Mark("志愿者", "E7:E8", RED),
        plan.Mark("志愿者", "E9", YELLOW),
    ]


def test_marks_rows_round_trip() -> None:
    marks = [plan.Mark("志愿者", "E4", RED), plan.Mark("志愿者", "E6:E7", YELLOW)]
    rows = plan.marks_rows(marks)
    assert rows == [["工作表", "地址"], ["志愿者", "E4"], ["志愿者", "E6"], ["志愿者", "E7"]]
    junk = [*rows, [None, None], ["志愿者", "不是地址"], ["志愿者", 5], ["志愿者", "$F$9"]]
    assert plan.marks_from_values(junk) == [
        ("志愿者", "E4"), ("志愿者", "E6"), ("志愿者", "E7"), ("志愿者", "F9"),
    ]  # fmt: skip


def test_score_rows_of_an_unscoreable_file() -> None:
    sample = generate_community(1, default_basic())
    sample.basic["households"] = None
    raw = _raw(standard_sheets(sample))
    report = validate_workbook(raw)
    card = score_report(report)
    rows = plan.score_rows(card, report)
    assert rows[2] == ["创建结果", "无法评分"]
    assert rows[4] == ["原因", "基本信息缺少有效的辖区户数"]
    assert plan.score_message(card).startswith(
        "创建结果：无法评分\n总分：0.0 分（满分 100）\n基本信息缺少"
    )


def test_resolve_folder() -> None:
    assert plan.resolve_folder(None, "/x/街道汇总.xlsm") is None
    assert plan.resolve_folder("  ", "/x/街道汇总.xlsm") is None
    assert plan.resolve_folder("台账", "/x/街道汇总.xlsm") == Path("/x/台账")
    assert plan.resolve_folder('"/data/台账"', "街道汇总.xlsm") == Path("/data/台账")


def test_importing_the_adapter_does_not_import_xlwings() -> None:
    import subprocess
    import sys

    code = "import sys, xlhfjz.excel; print('xlwings' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
