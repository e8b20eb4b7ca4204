"""Feedback to each community: one workbook per community, read back with openpyxl."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from xlhfjz.batch import merge_folder
from xlhfjz.sample import default_basic, generate_community
from xlhfjz.xlsx.community import write_community_workbook
from xlhfjz.xlsx.feedback import FeedbackError, write_feedback


def _texts(path: Path) -> str:
    book = openpyxl.load_workbook(path)
    return "\n".join(
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
        if v is not None
    )  # fmt: skip


def test_each_community_gets_its_own_issues_score_and_rank(tmp_path: Path) -> None:
    folder = tmp_path / "台账"
    folder.mkdir()
    good = generate_community(0, default_basic("华侨城社区", "370303009001"))
    weak = generate_community(1, default_basic("柳泉社区", "370303009002"), scale=0.3)
    weak.data["志愿者"][0][3] = "1381234"  # 手机 of the first volunteer (Excel row 3)
    write_community_workbook(
        folder / "370303009001_华侨城社区.xlsx", basic=good.basic, data=good.data
    )
    write_community_workbook(
        folder / "370303009002_柳泉社区.xlsx", basic=weak.basic, data=weak.data
    )
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = merge_folder(folder, workers=1)
    paths = write_feedback(tmp_path / "反馈", result)
    assert sorted(p.name for p in paths) == [
        "370303009001_华侨城社区_反馈.xlsx",
        "370303009002_柳泉社区_反馈.xlsx",
    ]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # inputs untouched
    totals = {c.name: c.total for c in result.communities}
    assert totals["华侨城社区"] > totals["柳泉社区"]
    good_text, weak_text = (_texts(p) for p in sorted(paths))
    assert "第 1 名（共 2 个参评社区）" in good_text
    assert "第 2 名（共 2 个参评社区）" in weak_text
    # Its own issue with the value (not masked), and nothing of the other community.
    book = openpyxl.load_workbook(sorted(paths)[1])
    rows = list(book["问题清单"].iter_rows(min_row=2, values_only=True))
    assert ("志愿者", 3, "手机", "错误", "invalid-phone", "1381234") in [r[:6] for r in rows]
    assert "柳泉社区" not in good_text and "370303009002" not in good_text
    assert "华侨城社区" not in weak_text and "370303009001" not in weak_text
    score = book["创建评分"]
    assert [score.cell(r, 1).value for r in range(2, 21)][:3] == ["A1", "A2", "A3"]
    assert score.cell(1, 6).value == "还差什么"


def test_feedback_folder_inside_the_ledger_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "台账"
    folder.mkdir()
    s = generate_community(0, default_basic("华侨城社区", "370303009001"), scale=0.3)
    write_community_workbook(folder / "370303009001_华侨城社区.xlsx", basic=s.basic, data=s.data)
    result = merge_folder(folder, workers=1)
    with pytest.raises(FeedbackError, match="台账文件夹"):
        write_feedback(folder / "反馈", result)
    assert not (folder / "反馈").exists()
