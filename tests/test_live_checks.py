"""Checks that need no macros: the template's conditional formats, as LibreOffice draws them.

A sample community is written with planted mistakes; LibreOffice renders it to PDF and the test
reads, for every data cell on every page, whether it is filled red or yellow. Exactly the planted
cells are filled, each with the colour of the validator's severity for that cell; a clean workbook
has not one red or yellow pixel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rendered import RED, YELLOW, colour_pixels, fill_at, page_count, pixels, to_pdf, words

from xlhfjz.model.schema import BASIC_INFO, BY_NAME, LEDGERS, SERIAL_LABEL
from xlhfjz.sample import default_basic, generate_community
from xlhfjz.xlsx.community import write_community_workbook
from xlhfjz.xlsx.files import validate_file
from xlhfjz.xlsx.live_checks import sheet_rules

Cell = tuple[str, int, str]  # sheet, Excel row, column label


def _sample() -> tuple[dict, dict]:
    s = generate_community(0, default_basic("华侨城社区", "370303009001"), scale=0.3)
    return dict(s.basic), {k: [list(r) for r in v] for k, v in s.data.items()}


def _set(data: dict, sheet: str, serial: int, label: str, value: object) -> None:
    fields = BY_NAME[sheet].fields
    data[sheet][serial - 1][[f.label for f in fields].index(label)] = value


def _planted(tmp: Path) -> tuple[Path, dict[Cell, str]]:
    basic, data = _sample()
    basic["leader_phone"] = "12345"
    _set(data, "志愿者", 1, "手机", "1381234")
    _set(data, "志愿者", 2, "所属网格", 99)  # 网格数 is 4
    _set(data, "志愿者", 3, "类别", "路人")
    _set(data, "志愿者", 4, "选聘日期", dt.date(2021, 3, 1))  # after 报送日期 2020-12-20
    data["联络员"].append(
        ["张明", "主任", "13800000000", None, dt.date(2020, 6, 1), "已更换", None]
    )
    _set(data, "宣传活动", 1, "工作人员数", 0)
    _set(data, "宣传活动", 2, "活动主题", None)
    _set(data, "宣传活动", 2, "活动日期", dt.date(2020, 5, 1))  # before 创建开始日期 2020-06-01
    _set(data, "培训", 1, "时长", 9)
    _set(data, "风险排查", 1, "排查对象", "淄博鑫源理财有限公司")  # 名称含敏感字样 stays 否
    path = write_community_workbook(tmp / "planted.xlsx", basic=basic, data=data)
    expected = {
        ("基本信息", 16, "负责人电话"): "red",
        ("志愿者", 3, "手机"): "red",
        ("志愿者", 4, "所属网格"): "red",
        ("志愿者", 5, "类别"): "red",
        ("志愿者", 6, "选聘日期"): "red",
        ("联络员", 4, "更换日期"): "red",
        ("宣传活动", 3, "工作人员数"): "red",
        ("宣传活动", 4, "活动主题"): "red",
        ("宣传活动", 4, "活动日期"): "red",
        ("培训", 3, "时长"): "yellow",
        ("风险排查", 3, "名称含敏感字样"): "yellow",
    }
    return path, expected


def _sheet_of(page_words: list) -> str | None:
    texts = {w.text for w in page_words}
    if "社区名称" in texts and "项目" in texts:
        return BASIC_INFO.name
    for sheet in LEDGERS:
        if any(sheet.title in t for t in texts):
            return sheet.name
    return None


def rendered_fills(pdf: Path, out: Path) -> dict[Cell, str]:
    """Every filled data cell of 基本信息 and the ledgers, as LibreOffice rendered them."""
    found: dict[Cell, str] = {}
    for page in range(1, page_count(pdf) + 1):
        ws = words(pdf, page)
        name = _sheet_of(ws)
        if name is None:
            continue
        img = pixels(pdf, page, out)
        if name == BASIC_INFO.name:
            value = next(w for w in ws if w.text == "值")
            for i, f in enumerate(BASIC_INFO.fields):
                label = next((w for w in ws if w.text == f.label), None)
                if label is not None:
                    fill = fill_at(img, value.cx, label.cy)
                    if fill:
                        found[(name, i + 2, f.label)] = fill
            continue
        labels = {f.label for f in BY_NAME[name].fields} | {"备注"}
        header = [w for w in ws if w.text in labels]
        serial = next(w for w in ws if w.text == SERIAL_LABEL)
        rows = [
            w
            for w in ws
            if w.text.isdigit() and serial.x0 - 5 <= w.cx <= serial.x1 + 5 and w.cy > serial.y1
        ]
        assert header and rows, name
        for h in header:
            for r in rows:
                fill = fill_at(img, h.cx, r.cy)
                if fill:
                    found[(name, int(r.text) + 2, h.text)] = fill
    return found


def test_formulas_come_from_the_schema() -> None:
    # 志愿者: 手机 is column E (序号 A, 姓名 B, 性别 C, 年龄段 D); required in a row with values.
    rules = sheet_rules(BY_NAME["志愿者"])
    error = [c for s, c in rules[4] if s == "error"]
    assert error[0] == "AND(COUNTA($B3:$J3)>0,LEN(TRIM($E3))=0)"
    # 选聘日期 (H, by_end) reads 基本信息's 报送日期 (B8) and 创建截止日期 (B7).
    dates = " ".join(c for _, c in rules[7])
    assert "$H3>'基本信息'!$B$8" in dates and "$H3>'基本信息'!$B$7" in dates
    # 所属网格 above 基本信息's 网格数 (B11).
    assert ">'基本信息'!$B$11" in " ".join(c for _, c in rules[5])
    # 联络员.更换日期 (H) is required when 状态 (G) is 已更换.
    liaison = sheet_rules(BY_NAME["联络员"])
    assert ("error", 'AND(LEN(TRIM($H3))=0,TRIM($G3)="已更换")') in liaison[7]


def test_planted_cells_turn_red_or_yellow_in_libreoffice(soffice: str, tmp_path: Path) -> None:
    path, expected = _planted(tmp_path)
    # The validator (the truth) reports each planted cell, with the same severity.
    report = validate_file(path)
    told = {(i.sheet, i.row, i.column): i.severity for i in report.issues}
    for cell, colour in expected.items():
        assert told.get(cell) == ("error" if colour == "red" else "warning"), cell
    found = rendered_fills(to_pdf(soffice, path, tmp_path), tmp_path)
    assert found == expected


def test_clean_workbook_shows_no_mark(soffice: str, tmp_path: Path) -> None:
    basic, data = _sample()
    path = write_community_workbook(tmp_path / "clean.xlsx", basic=basic, data=data)
    assert validate_file(path).errors == 0
    pdf = to_pdf(soffice, path, tmp_path)
    for page in range(1, page_count(pdf) + 1):
        img = pixels(pdf, page, tmp_path)
        assert colour_pixels(img, RED) == 0 and colour_pixels(img, YELLOW) == 0, page
