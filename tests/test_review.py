"""The office's review (review.md): 评分核定, gate G4 整改按期完成, 复核 against an earlier summary.

Office workbooks are written by our writer and filled as the office would; community files come
from the sample generator; results are read back through the real reader, the CLI and openpyxl.
Expected values are worked out from review.md's rules, not copied from the program's output.
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
from xlhfjz.office.review import Previous, conclusion
from xlhfjz.sample import default_basic, generate_community
from xlhfjz.xlsx.community import write_community_workbook
from xlhfjz.xlsx.office_book import write_office_workbook
from xlhfjz.xlsx.reader import read_workbook
from xlhfjz.xlsx.summary import write_summary

A, B = "370303009001", "370303009002"
ROSTER = [
    {"community_code": A, "community_name": "甲社区", "community_type": "城市社区"},
    {"community_code": B, "community_name": "乙社区", "community_type": "城市社区"},
]


def office(path: Path) -> OfficeData:
    return read_office(read_workbook(path))


def community_file(folder: Path, code: str = A, name: str = "甲社区") -> Path:
    s = generate_community(31, default_basic(name, code), scale=0.6)
    return write_community_workbook(folder / f"{code}_{name}.xlsx", basic=s.basic, data=s.data)


def verification(code: str = A, **kw: Any) -> dict[str, Any]:
    base = {"community_code": code, "item": "C1", "verified": 6, "method": "实地察看",
            "verifier": "王处长", "verified_on": dt.date(2020, 12, 10),
            "reason": "宣传活动照片与台账不符"}  # fmt: skip
    return {**base, **kw}


def inspection(code: str = A, **kw: Any) -> dict[str, Any]:
    base = {"community_code": code, "inspect_date": dt.date(2020, 11, 2), "inspectors": "处非专班",
            "methods": "查阅台账", "findings": "宣传台账缺照片", "vetoes": "无"}  # fmt: skip
    return {**base, **kw}


# ── 评分核定: read, bounded, latest row wins ───────────────────────────────────────────────


def test_verified_score_bounds(tmp_path: Path) -> None:
    path = write_office_workbook(
        tmp_path / "o.xlsx", {}, ROSTER, (),
        [
            verification(item="C1", verified=12),  # row 3: = C1's maximum: allowed
            verification(item="C1", verified=12.5),  # row 4: above 12: error
            verification(item="A2", verified=0),  # row 5: 0: allowed
            verification(item="A2", verified=-1),  # row 6: below 0: error
            verification(item="E3", verified=3.5),  # row 7: E3's maximum is 3: error
        ],
    )  # fmt: skip
    data = office(path)
    bad = sorted((i.row, i.code, i.severity, i.column) for i in data.issues)
    assert bad == [
        (4, "invalid-number", "error", "核定分"),
        (6, "invalid-number", "error", "核定分"),
        (7, "invalid-number", "error", "核定分"),
    ]
    assert [x["_row"] for x in data.verifications] == [3, 5]


def test_verification_needs_method_and_a_listed_code(tmp_path: Path) -> None:
    path = write_office_workbook(
        tmp_path / "o.xlsx", {}, ROSTER, (),
        [verification(method="看了看"), verification(code="370303009099")],
    )  # fmt: skip
    data = office(path)
    assert sorted((i.row, i.code, i.column) for i in data.issues) == [
        (3, "invalid-choice", "考评方式"),
        (4, "unknown-reference", "社区代码"),
    ]
    assert data.verifications == []


def test_latest_verification_wins_then_the_lower_row(tmp_path: Path) -> None:
    path = write_office_workbook(
        tmp_path / "o.xlsx", {}, ROSTER, (),
        [
            verification(verified=7, verified_on=dt.date(2020, 12, 12)),  # row 3: latest date
            verification(verified=5, verified_on=dt.date(2020, 12, 1)),  # row 4: older
            verification(item="D1", verified=2, verified_on=dt.date(2020, 12, 5)),  # row 5
            verification(item="D1", verified=4, verified_on=dt.date(2020, 12, 5)),  # row 6: same day, lower
        ],
    )  # fmt: skip
    v = office(path).verifications_for(A)
    assert (v["C1"].score, v["C1"].row) == (7, 3)
    assert (v["D1"].score, v["D1"].row) == (4, 6)
    assert office(path).verifications_for(B) == {}


def test_merge_applies_the_verified_score_and_shows_both(tmp_path: Path) -> None:
    folder = tmp_path / "台账"
    folder.mkdir()
    community_file(folder)
    path = write_office_workbook(tmp_path / "o.xlsx", {}, ROSTER, (), [verification(verified=6)])
    result = merge_folder(folder, office(path), workers=1)
    a = next(c for c in result.communities if c.code == A)
    assert a.card is not None
    c1 = a.card.items["C1"]
    assert c1.score == 6 and c1.self_score is not None and c1.self_score != 6
    others = sum(i.score for i in a.card.items.values() if i.id != "C1")
    assert a.card.total == pytest.approx(others + 6)
    out = write_summary(tmp_path / "汇总.xlsx", result)
    ws = load_workbook(out)["社区评分"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    row = next(r for r in rows if r[0] == A)
    assert row[header.index("C1 宣传活动")] == 6
    assert row[header.index("总分")] == round(others + 6, 1)
    text = row[header.index("核定（自评→核定）")]
    assert (
        text == f"C1 自评 {c1.self_score:.1f} 分，核定 6.0 分（实地察看：宣传活动照片与台账不符）"
    )
    dash = [c for r in load_workbook(out)["汇总看板"].iter_rows(values_only=True) for c in r if c]
    assert "街道核定的评分（与社区自评不同的项）" in dash and "宣传活动照片与台账不符" in dash


def test_score_json_has_the_verified_block(tmp_path: Path) -> None:
    folder = tmp_path / "台账"
    folder.mkdir()
    file = community_file(folder)
    path = write_office_workbook(
        tmp_path / "o.xlsx", {}, ROSTER, (), [verification(item="D1", verified=1.5)]
    )
    proc = run_cli("score", str(file), "--office", str(path), "--json")
    doc = json.loads(proc.stdout)["files"][0]
    assert doc["items"]["D1"]["score"] == 1.5
    assert doc["items"]["D1"]["verified"] == {
        "score": 1.5, "method": "实地察看", "reason": "宣传活动照片与台账不符",
        "verifier": "王处长", "date": "2020-12-10",
    }  # fmt: skip
    assert "verified" not in doc["items"]["A1"]


# ── G4 整改按期完成 ─────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "eval_date, g4",
    [
        (dt.date(2020, 11, 30), True),  # the day before the 期限
        (dt.date(2020, 12, 1), True),  # the 期限 itself is not "before" the evaluation date
        (dt.date(2020, 12, 2), False),  # the day after
    ],
)
def test_g4_around_the_deadline(tmp_path: Path, eval_date: dt.date, g4: bool) -> None:
    folder = tmp_path / "台账"
    folder.mkdir()
    community_file(folder)
    path = write_office_workbook(
        tmp_path / "o.xlsx", {"eval_date": eval_date}, ROSTER,
        [inspection(fix_due=dt.date(2020, 12, 1))],
    )  # fmt: skip
    result = merge_folder(folder, office(path), workers=1)
    a = next(c for c in result.communities if c.code == A)
    assert a.card is not None and a.card.gates["G4"] is g4
    if g4:
        assert a.status != "不具备验收条件"
    else:
        assert a.status == "不具备验收条件"
        assert a.card.reasons == [
            "G4 未满足：整改按期完成（2020-11-02 督导检查（督导检查表第3行）要求 2020-12-01 "
            "前整改，尚未填写整改完成日期）"
        ]


def test_g4_done_fix_and_overdue_list(tmp_path: Path) -> None:
    folder = tmp_path / "台账"
    folder.mkdir()
    community_file(folder)
    community_file(folder, B, "乙社区")
    path = write_office_workbook(
        tmp_path / "o.xlsx", {"eval_date": dt.date(2020, 12, 20)}, ROSTER,
        [
            inspection(A, fix_due=dt.date(2020, 12, 1), fix_done=dt.date(2020, 12, 3)),  # late but done
            inspection(B, fix_due=dt.date(2020, 12, 15)),  # 5 days overdue
        ],
    )  # fmt: skip
    result = merge_folder(folder, office(path), workers=1)
    by = {c.code: c for c in result.communities}
    assert by[A].card.gates["G4"] is True  # type: ignore[union-attr]
    assert by[B].card.gates["G4"] is False  # type: ignore[union-attr]
    from xlhfjz.office.dashboard import dashboard

    d = dashboard(result)
    assert [(o.code, o.due, o.days, o.row) for o in d.overdue] == [(B, dt.date(2020, 12, 15), 5, 4)]


# ── 复核: review.md's table, row by row ───────────────────────────────────────────────────


@pytest.mark.parametrize(
    "prev_result, prev_conclusion, now, expected",
    [
        ("创建成功", None, "创建成功（优秀）", "保持"),
        ("创建成功（优秀）", None, "创建成功", "保持"),
        ("创建成功", None, "一票否决", "撤销"),
        ("创建成功（优秀）", None, "一票否决", "撤销"),
        ("创建成功", None, "未达标", "警告"),
        ("创建成功", "保持", "不具备验收条件", "警告"),
        ("创建成功（优秀）", None, "无法评分", "警告"),
        ("创建成功", "新创建成功", "未提交", "警告"),
        ("未达标", "警告", "未达标", "撤销"),
        ("未达标", "警告", "一票否决", "撤销"),
        ("不具备验收条件", "警告", "未提交", "撤销"),
        ("未达标", "警告", "创建成功", "保持"),
        ("无法评分", "警告", "创建成功（优秀）", "保持"),
        ("未达标", None, "创建成功", "新创建成功"),
        ("一票否决", "撤销", "创建成功（优秀）", "新创建成功"),
        (None, None, "创建成功", "新创建成功"),  # not in the earlier summary
        ("未达标", None, "未达标", ""),
        ("未提交", None, "一票否决", ""),
        (None, None, "未提交", ""),
    ],
)
def test_review_table(
    prev_result: str | None, prev_conclusion: str | None, now: str, expected: str
) -> None:
    prev = None if prev_result is None else Previous(prev_result, 80.0, prev_conclusion)
    assert conclusion(prev, now) == expected


def _previous_summary(path: Path, rows: list[tuple[str, str, float, str | None]]) -> Path:
    """An earlier summary as the office keeps it: 汇总看板 and 社区评分 (code, result, total, 复核结论)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "汇总看板"
    ws = wb.create_sheet("社区评分")
    ws.append(["社区代码", "社区名称", "创建结果", "总分", "复核结论"])
    for code, result, total, concl in rows:
        ws.append([code, "", result, total, concl])
    wb.save(path)
    return path


def test_merge_previous_end_to_end(tmp_path: Path) -> None:
    from xlhfjz.sample import make_veto

    C = "370303009003"
    folder = tmp_path / "台账"
    folder.mkdir()
    s = generate_community(31, default_basic("甲社区", A), scale=0.6)
    make_veto(s)
    write_community_workbook(folder / f"{A}_甲社区.xlsx", basic=s.basic, data=s.data)
    roster = [*ROSTER, {"community_code": C, "community_name": "丙村", "community_type": "村居"}]
    off = write_office_workbook(tmp_path / "o.xlsx", {}, roster)
    prev = _previous_summary(
        tmp_path / "上期.xlsx",
        [
            (A, "创建成功", 85.5, None),
            (B, "创建成功（优秀）", 92, "保持"),
            (C, "未达标", 61, "警告"),
        ],
    )
    out = tmp_path / "汇总.xlsx"
    proc = run_cli("merge", str(folder), "--office", str(off), "-o", str(out),
                   "--previous", str(prev), "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = {c["community_code"]: c for c in json.loads(proc.stdout)["communities"]}
    assert doc[A]["status"] == "一票否决"
    assert doc[A]["previous"] == {"result": "创建成功", "total": 85.5, "review": None}
    assert doc[A]["review"]["conclusion"] == "撤销"  # success → 一票否决
    assert doc[A]["review"]["change"] == pytest.approx(doc[A]["total"] - 85.5)
    assert doc[B]["review"] == {"conclusion": "警告", "change": None}  # success → 未提交
    assert doc[C]["review"] == {"conclusion": "撤销", "change": None}  # 警告 → 未提交
    wb = load_workbook(out)
    rows = list(wb["社区评分"].iter_rows(values_only=True))
    assert rows[0][-4:] == ("上期结果", "上期总分", "变化", "复核结论")
    by = {r[0]: r[-4:] for r in rows[1:]}
    assert by[B] == ("创建成功（优秀）", 92, None, "警告")
    assert by[C] == ("未达标", 61, None, "撤销")
    dash = [list(r) for r in wb["汇总看板"].iter_rows(values_only=True)]
    k = next(i for i, r in enumerate(dash) if r[0] == "复核结论（与上期汇总相比）")
    assert [r[:2] for r in dash[k + 2 : k + 6]] == [["保持", 0], ["警告", 1], ["撤销", 2],
                                                   ["新创建成功", 0]]  # fmt: skip


def test_previous_that_is_not_a_summary_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "台账"
    folder.mkdir()
    community_file(folder)
    not_summary = write_office_workbook(tmp_path / "o.xlsx")
    proc = run_cli("merge", str(folder), "-o", str(tmp_path / "汇总.xlsx"),
                   "--previous", str(not_summary))  # fmt: skip
    assert proc.returncode == 2
    assert "不是合并生成的汇总文件" in proc.stderr
    assert not (tmp_path / "汇总.xlsx").exists()
