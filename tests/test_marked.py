"""``POST /api/marked`` over real HTTP: the user's own workbook back, its bad cells filled and
commented, a 校验结果 sheet, everything else as it was (server.md, "Endpoints").

A real ``xlhfjz serve`` (:mod:`live_server`); the planted community workbooks of
:mod:`test_excel` (ten planted issues at known cells); the answers read with openpyxl and by
opening the zip. Nothing of ours is mocked.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from openpyxl.comments import Comment
from test_excel import PLANTED, PLANTED_RESULT, RED, community, fills_in
from test_server import Street, auth

CODE = "370303009001"


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory) -> Any:
    s = Street(tmp_path_factory.mktemp("marked")).serve([CODE, "370303009002"])
    yield s
    assert s.server.stop() == 0, s.server.output()


def marked(street: Street, path: Path, out: Path, token: str | None = None) -> httpx.Response:
    with open(path, "rb") as fh:
        r = httpx.post(f"{street.url}/api/marked", headers=auth(token or street.tokens[CODE]),
                       files={"file": (path.name, fh)}, timeout=120)  # fmt: skip
    if r.status_code == 200:
        out.write_bytes(r.content)
    return r


def comments(wb: Any) -> dict[tuple[str, str], tuple[str, str]]:
    return {
        (ws.title, c.coordinate): (c.comment.author, c.comment.text)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.comment is not None
    }


def cell_values(wb: Any, skip: tuple[str, ...] = ("校验结果", "_marks")) -> dict[str, list]:
    return {
        ws.title: [list(r) for r in ws.iter_rows(values_only=True)]
        for ws in wb.worksheets
        if ws.title not in skip
    }


def results(wb: Any) -> list[tuple]:
    """校验结果 without its 说明 column, and each link's location."""
    ws = wb["校验结果"]
    rows = list(ws.iter_rows(min_row=2))
    return [
        (r[0].value, r[1].value, r[2].value, r[3].value, r[5].value, r[5].hyperlink.location)
        for r in rows
    ]


def test_the_marked_workbook_has_the_planted_fills_comments_and_results(
    street: Street, tmp_path: Path
) -> None:
    source = community(tmp_path / "华侨城社区.xlsx")
    r = marked(street, source, tmp_path / "out.xlsx")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "filename*=UTF-8''%E5%8D%8E" in r.headers["content-disposition"]  # 华侨城社区_已标注
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert fills_in(wb) == PLANTED
    got = comments(wb)
    assert set(got) == set(PLANTED)
    for where, colour in PLANTED.items():
        author, text = got[where]
        assert author == "xlhfjz 校验"
        assert text.startswith("【错误】" if colour == RED else "【提醒】"), (where, text)
    assert "手机" in got[("志愿者", "E4")][1]
    expected = [(*row, f"'{row[0]}'!{row[4]}") for row in PLANTED_RESULT]
    assert results(wb) == expected
    assert wb.active.title == "校验结果"
    assert wb["_marks"].sheet_state == "hidden"

    before = openpyxl.load_workbook(source)
    assert wb.sheetnames == [*before.sheetnames, "校验结果"]
    assert cell_values(wb) == cell_values(before)
    for ws in before.worksheets:
        new = wb[ws.title]
        assert new.protection.sheet == ws.protection.sheet, ws.title
        assert [
            (d.type, d.formula1, str(d.sqref)) for d in new.data_validations.dataValidation
        ] == [(d.type, d.formula1, str(d.sqref)) for d in ws.data_validations.dataValidation], (
            ws.title
        )
        assert [str(c.sqref) for c in new.conditional_formatting] == [
            str(c.sqref) for c in ws.conditional_formatting
        ], ws.title


def test_marking_twice_gives_one_set_of_marks(street: Street, tmp_path: Path) -> None:
    source = community(tmp_path / "华侨城社区.xlsx")
    assert marked(street, source, tmp_path / "once.xlsx").status_code == 200
    # the user corrects 志愿者 E4 (手机) and adds a comment of their own elsewhere
    wb = openpyxl.load_workbook(tmp_path / "once.xlsx")
    wb["志愿者"]["E4"] = "13812345678"
    wb["志愿者"]["E4"].data_type = "s"
    wb["组织机构"]["H5"].comment = Comment("联系电话待核实", "王主任")
    wb.save(tmp_path / "fixed.xlsx")

    assert marked(street, tmp_path / "fixed.xlsx", tmp_path / "twice.xlsx").status_code == 200
    twice = openpyxl.load_workbook(tmp_path / "twice.xlsx")
    expected = {k: v for k, v in PLANTED.items() if k != ("志愿者", "E4")}
    assert fills_in(twice) == expected
    assert twice["志愿者"]["E4"].fill.fill_type is None
    got = comments(twice)
    assert set(got) == set(expected)
    assert got[("组织机构", "H5")] == ("王主任", "联系电话待核实")  # the user's comment kept
    assert twice.sheetnames.count("校验结果") == 1
    assert [r[:5] for r in results(twice)] == [
        row for row in PLANTED_RESULT if row[:2] != ("志愿者", 4)
    ]
    marks = [tuple(r) for r in twice["_marks"].iter_rows(values_only=True)]
    assert marks[0] == ("工作表", "地址")
    assert sorted(marks[1:]) == sorted(expected)


def test_an_xlsm_keeps_its_macros_and_buttons(street: Street, tmp_path: Path) -> None:
    source = community(tmp_path / "华侨城社区.xlsm")
    r = marked(street, source, tmp_path / "out.xlsm")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.ms-excel.sheet.macroEnabled.12"
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(tmp_path / "out.xlsm") as b:
        assert b.read("xl/vbaProject.bin") == a.read("xl/vbaProject.bin")
        names = set(b.namelist())
        buttons_before = sum(
            a.read(n).count(b"<x:FmlaMacro>") for n in a.namelist() if n.endswith(".vml")
        )
        buttons_after = sum(b.read(n).count(b"<x:FmlaMacro>") for n in names if n.endswith(".vml"))
        # every drawing a sheet refers to is in the file (openpyxl 3.1 drops vmlDrawing10+)
        for n in names:
            if n.startswith("xl/worksheets/_rels/"):
                for target in b.read(n).decode().split('Target="')[1:]:
                    part = target.split('"')[0].lstrip("/")
                    if part.startswith("xl/drawings/"):
                        assert part in names, (n, part)
    assert buttons_before >= 18
    assert buttons_after == buttons_before
    wb = openpyxl.load_workbook(tmp_path / "out.xlsm", keep_vba=True)
    legend = fills_in(openpyxl.load_workbook(source))  # 使用说明's colour legend
    assert set(legend) == {("使用说明", "A6"), ("使用说明", "A7")}
    assert fills_in(wb) == {**legend, **PLANTED}


def test_another_communitys_workbook_is_refused(street: Street, tmp_path: Path) -> None:
    source = community(tmp_path / "华侨城社区.xlsx")
    r = marked(street, source, tmp_path / "x.xlsx", street.tokens["370303009002"])
    assert r.status_code == 403
    assert r.json() == {
        "error": "这是社区代码 370303009001 的工作簿，本令牌只能处理本社区（370303009002）的工作簿"
    }
    assert not list((street.root / ".incoming").iterdir())


def test_not_a_workbook_is_refused_in_a_sentence(street: Street, tmp_path: Path) -> None:
    bad = tmp_path / "台账.xlsx"
    bad.write_bytes(b"this is not a zip")
    r = marked(street, bad, tmp_path / "x.xlsx")
    assert r.status_code == 422
    assert r.json()["error"].startswith("无法读取该文件：")
    assert httpx.post(f"{street.url}/api/marked").status_code == 401
