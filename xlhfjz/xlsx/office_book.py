"""The office workbook (office.md, review.md): 使用说明, 设置, 社区名单, 督导检查, 评分核定,
抽查名单, 评分参数 — from the schema.

Uses the community template's layout helpers, so the office sheets look and validate the same
(dropdowns, date formats, protected headers). A ``.xlsm`` path gives the macro-enabled workbook
(excel.md): the same sheets, the VBA project, the hidden ``xlwings.conf`` and the 【合并汇总】
button on 使用说明 (:func:`xlhfjz.xlsx.community.add_macros`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xlhfjz.model.rubric import PARAMETERS
from xlhfjz.model.schema import (
    DRAWS,
    GUIDE_SHEET,
    INSPECTIONS,
    OFFICE_SETTINGS,
    PARAMETERS_SHEET,
    ROSTER,
    VERIFICATIONS,
    Sheet,
)
from xlhfjz.office.inputs import SETTINGS_PARAMETERS
from xlhfjz.xlsx.buttons import BUTTON_HEIGHT, BUTTONS, add_macros, insert_button, macros_for
from xlhfjz.xlsx.layout import (
    CREATED,
    PROTECTION,
    Styles,
    atomic_workbook,
    print_setup,
    row_pixels,
    text_height,
)
from xlhfjz.xlsx.sheets import write_key_value, write_ledger

SUMMARY_SHEETS_NOTE = "汇总看板、社区评分、问题清单、各台账合并表、线索统计、重点人员统计、合并日志"


def _rows(sheet: Sheet, records: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    return [[r.get(f.id) for f in sheet.fields] for r in records]


def write_office_workbook(
    path: str | os.PathLike[str],
    settings: Mapping[str, Any] | None = None,
    roster: Sequence[Mapping[str, Any]] = (),
    inspections: Sequence[Mapping[str, Any]] = (),
    verifications: Sequence[Mapping[str, Any]] = (),
    *,
    macros: bool | None = None,
    vba_modules: Sequence[tuple[str, str, str]] | None = None,
) -> Path:
    """Write the office workbook, optionally pre-filled (field id → value records).

    ``macros`` (default: whether ``path`` ends in ``.xlsm``) adds the VBA project, the
    【合并汇总】 button and ``xlwings.conf``; ``vba_modules`` replaces the project's modules (tests).
    """
    target = Path(path)
    with_macros = macros_for(target, macros)
    with atomic_workbook(target) as wb:
        wb.set_properties({
            "title": "街道汇总工作簿", "subject": "创建“无非法集资社区（村居）”",
            "author": "xlhfjz", "created": CREATED,
        })  # fmt: skip
        styles = Styles(wb)
        guide = wb.add_worksheet(GUIDE_SHEET)
        _write_guide(guide, styles, macros=with_macros)
        write_key_value(
            wb.add_worksheet(OFFICE_SETTINGS.name), styles, dict(settings or {}), OFFICE_SETTINGS
        )
        write_ledger(wb.add_worksheet(ROSTER.name), ROSTER, styles, _rows(ROSTER, roster))
        write_ledger(
            wb.add_worksheet(INSPECTIONS.name), INSPECTIONS, styles, _rows(INSPECTIONS, inspections)
        )
        write_ledger(
            wb.add_worksheet(VERIFICATIONS.name),
            VERIFICATIONS,
            styles,
            _rows(VERIFICATIONS, verifications),
        )
        write_ledger(wb.add_worksheet(DRAWS.name), DRAWS, styles, [])
        _write_parameters(wb.add_worksheet(PARAMETERS_SHEET), styles)
        guide.activate()
        if with_macros:
            add_macros(wb, vba_modules)
    return target


def _write_parameters(ws: Any, styles: Styles) -> None:
    ws.set_column(0, 0, 36)
    ws.set_column(1, 1, 12, styles.get(locked=False, border=1))
    ws.set_column(2, 2, 44)
    for c, text in enumerate(("参数", "值", "说明")):
        ws.write_string(0, c, text, styles.header["required"])
    r = 1
    for p in PARAMETERS:
        if p.id in SETTINGS_PARAMETERS:
            continue
        ws.write_string(r, 0, p.label, styles.header["optional"])
        ws.write_number(r, 1, p.default, styles.get(locked=False, border=1))
        use = "疑点提示" if p.item == "疑点" else f"评分项 {p.item}"
        ws.write_string(r, 2, f"{use}；默认 {p.default:g}", styles.locked_text)
        ws.data_validation(r, 1, r, 1, {"validate": "decimal", "criteria": ">=", "value": 0,
                                        "error_type": "warning", "error_message": "请填写不小于0的数字"})  # fmt: skip
        r += 1
    ws.freeze_panes(1, 0)
    ws.protect("", PROTECTION)


#: 0-based row of the office 使用说明 that holds the 【合并汇总】 button (.xlsm).
OFFICE_BUTTON_ROW = 1


#: Width of the office 使用说明's one column: narrow enough that a printed A4 page holds it.
_GUIDE_WIDTH = 76


def _write_guide(ws: Any, styles: Styles, *, macros: bool = False) -> None:
    ws.set_column(0, 0, _GUIDE_WIDTH)
    if macros:
        merge = (
            "5. 合并：点上方【合并汇总】按钮，读取“设置”中“台账文件夹”里的各社区台账，校验、评分后把"
            f"汇总表（{SUMMARY_SHEETS_NOTE}）写入本工作簿。打开文件时请点“启用内容”。"
        )
    else:
        merge = (
            "5. 合并：在命令行运行  xlhfjz merge 台账文件夹 --office 本文件 -o 汇总.xlsx  。"
            f"汇总文件包含：{SUMMARY_SHEETS_NOTE}。"
        )
    lines = [
        ("创建“无非法集资社区（村居）”街道汇总工作簿", styles.title_big),
        ("", styles.para),
        (
            "1. “设置”：填写街道名称、创建期间、目标比例（默认 50%）、达标分数线（80）和优秀分数线（90），"
            "以及存放各社区台账的文件夹。",
            styles.para,
        ),
        (
            "2. “社区名单”：列出应报送的全部社区（社区代码为12位）。名单决定目标：创建成功的社区数应不少于"
            "名单社区数 × 目标比例。名单中没有提交文件的社区显示为“未提交”。",
            styles.para,
        ),
        (
            "3. “督导检查”：街道处非专班每次检查填一行。走访户数与知晓户数用于“群众知晓率”评分（走访满20户才评分）；"
            "否决事项用于一票否决，没有填“无”。",
            styles.para,
        ),
        (
            "4. “评分核定”：街道核定某社区某评分项的得分（考评方式、核定人、核定日期、理由必填），"
            "核定分替代社区自评；同一项以核定日期最晚的一行为准。“督导检查”中整改期限已过、"
            "未填整改完成日期的，该社区“不具备验收条件”（G4，以“设置”中的评估日期判断）。"
            "“抽查名单”由  xlhfjz office draw 本文件 --n 3  随机抽取并追加，请勿改动。"
            "“评分参数”：评分细则中可调整的数值，改动后重新合并即生效。",
            styles.para,
        ),
        (merge, styles.para),
        (
            "6. 汇总中的姓名、电话已脱敏（张某某、138****1234）；线索和重点人员只统计数量。需要完整联系电话时，"
            "加  --contacts 联络员通讯录.xlsx  另行生成，请妥善保管。",
            styles.para,
        ),
    ]
    for r, (text, fmt) in enumerate(lines):
        ws.write_string(r, 0, text, fmt)
        ws.set_row(r, text_height(text, _GUIDE_WIDTH) + 6 if r else 30)
    if macros:
        ws.set_row(OFFICE_BUTTON_ROW, 40)
        y = (row_pixels(40) - BUTTON_HEIGHT) // 2
        insert_button(ws, OFFICE_BUTTON_ROW, BUTTONS["merge"], x=8, y=y)
    ws.protect("", PROTECTION)
    print_setup(ws, landscape=False, title=ws.name)
    ws.hide_gridlines(2)
