"""抽查 (review.md): ``xlhfjz office draw`` — uniform, reproducible, appended, atomic, VBA kept."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

from helpers import run_cli
from openpyxl import load_workbook

from xlhfjz.xlsx.draw import draw
from xlhfjz.xlsx.office_book import write_office_workbook

CODES = [f"3703030090{k:02d}" for k in range(1, 7)]
ROSTER = [{"community_code": c, "community_name": f"第{k}社区"} for k, c in enumerate(CODES, 1)]


def drawn_rows(path: Path) -> list[tuple]:
    ws = load_workbook(path)["抽查名单"]
    return [r[:6] for r in ws.iter_rows(min_row=3, values_only=True) if any(r)]


def test_draw_is_reproducible_and_appended(tmp_path: Path) -> None:
    book = write_office_workbook(tmp_path / "街道汇总.xlsx", {}, ROSTER)
    twin = write_office_workbook(tmp_path / "副本.xlsx", {}, ROSTER)
    first = run_cli("office", "draw", str(book), "--n", "3", "--seed", "42")
    assert first.returncode == 0, first.stderr
    assert "随机种子：42" in first.stdout
    rows = drawn_rows(book)
    assert [(r[0], r[2], r[5]) for r in rows] == [(1, 42, 1), (2, 42, 2), (3, 42, 3)]
    codes = [r[3] for r in rows]
    assert len(set(codes)) == 3 and set(codes) <= set(CODES)
    assert all(r[4] == f"第{CODES.index(r[3]) + 1}社区" for r in rows)
    # the same seed on another copy draws the same communities
    run_cli("office", "draw", str(twin), "--n", "3", "--seed", "42")
    assert [r[3] for r in drawn_rows(twin)] == codes
    # a second draw is appended below; the first is left as it was
    second = run_cli("office", "draw", str(book), "--n", "2")
    assert second.returncode == 0, second.stderr
    rows2 = drawn_rows(book)
    assert rows2[:3] == rows
    assert [(r[0], r[5]) for r in rows2[3:]] == [(4, 1), (5, 2)]
    seed = int(second.stdout.split("随机种子：")[1].split("（")[0])
    assert rows2[3][2] == rows2[4][2] == seed


def test_draw_is_uniform_over_the_list() -> None:
    roster = {c: "" for c in CODES}
    counts = Counter(d.code for seed in range(3000) for d in draw(roster, 1, seed))
    assert set(counts) == set(CODES)
    assert all(400 <= n <= 600 for n in counts.values()), counts  # 500 expected each


def test_draw_keeps_the_vba_project(tmp_path: Path) -> None:
    book = write_office_workbook(tmp_path / "街道汇总.xlsm", {}, ROSTER)
    vba = zipfile.ZipFile(book).read("xl/vbaProject.bin")
    proc = run_cli("office", "draw", str(book), "--n", "1", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(book) as z:
        assert z.read("xl/vbaProject.bin") == vba
        assert "xl/drawings/vmlDrawing1.vml" in z.namelist()  # the 【合并汇总】 button
    assert len(drawn_rows(book)) == 1


def test_draw_refuses_an_open_workbook_and_too_many(tmp_path: Path) -> None:
    book = write_office_workbook(tmp_path / "街道汇总.xlsx", {}, ROSTER)
    before = book.read_bytes()
    lock = tmp_path / "~$街道汇总.xlsx"
    lock.write_bytes(b"\x00" * 165)
    proc = run_cli("office", "draw", str(book), "--n", "1")
    assert proc.returncode == 2 and "正被占用，请先关闭" in proc.stderr
    lock.unlink()
    proc = run_cli("office", "draw", str(book), "--n", "7")
    assert proc.returncode == 2 and "社区名单只有 6 个社区，不能抽取 7 个" in proc.stderr
    assert book.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
