"""Nothing lost, part two (issue 10): outputs never destroy inputs, one bad name or file never
stops or hangs the merge, every summary is well-formed for every reader, and the small things a
careless user hits. Real processes, real files; read back with zipfile/openpyxl."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest
from conftest import run_cli, standard_sheets, write_xlsx

from xlhfjz.sample import generate_community


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line_refusal(proc, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def street(tmp_path: Path) -> dict[str, Path]:
    """A ledger folder with two communities and the office workbook beside it."""
    folder = tmp_path / "台账"
    folder.mkdir()
    for k in (3, 4):
        sample = generate_community(k)
        write_xlsx(folder / f"社区{k}.xlsx", standard_sheets(sample))
    proc = run_cli("office", "--xlsx", "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    return {"folder": folder, "office": tmp_path / "街道汇总.xlsx", "root": tmp_path}


# ── 1. no output is an input or the other output ───────────────────────────────────────────


def test_summary_over_the_office_workbook_is_refused(street: dict[str, Path]) -> None:
    before = _digest(street["office"])
    proc = run_cli(
        "merge",
        str(street["folder"]),
        "--office",
        str(street["office"]),
        "-o",
        str(street["office"]),
    )
    _one_line_refusal(proc, "街道汇总工作簿")
    assert _digest(street["office"]) == before


def test_summary_over_the_office_workbook_by_another_name_is_refused(
    street: dict[str, Path],
) -> None:
    link = street["root"] / "另一个名字.xlsx"
    os.link(street["office"], link)
    before = _digest(street["office"])
    proc = run_cli(
        "merge", str(street["folder"]), "--office", str(street["office"]), "-o", str(link)
    )
    _one_line_refusal(proc, "街道汇总工作簿")
    assert _digest(street["office"]) == before


def test_summary_over_a_ledger_in_the_folder_is_refused(street: dict[str, Path]) -> None:
    ledger = next(street["folder"].glob("*.xlsx"))
    before = _digest(ledger)
    proc = run_cli("merge", str(street["folder"]), "-o", str(ledger))
    _one_line_refusal(proc, "台账文件夹")
    assert _digest(ledger) == before


def test_contacts_and_summary_may_not_be_one_file(street: dict[str, Path]) -> None:
    out = street["root"] / "汇总.xlsx"
    proc = run_cli("merge", str(street["folder"]), "-o", str(out), "--contacts", str(out))
    _one_line_refusal(proc, "同一个文件")
    assert not out.exists()


def test_a_summary_is_replaced_by_the_next_merge_but_not_a_foreign_file(
    street: dict[str, Path],
) -> None:
    out, contacts = street["root"] / "汇总.xlsx", street["root"] / "通讯录.xlsx"
    for _ in range(2):  # the second run replaces the outputs of the first
        proc = run_cli("merge", str(street["folder"]), "-o", str(out), "--contacts", str(contacts))
        assert proc.returncode == 0, proc.stderr
    foreign = street["root"] / "别人的.xlsx"
    foreign.write_bytes(b"PK\x05\x06" + bytes(18))
    proc = run_cli("merge", str(street["folder"]), "-o", str(foreign))
    _one_line_refusal(proc, "已存在", "--force")
    assert foreign.read_bytes() == b"PK\x05\x06" + bytes(18)
    proc = run_cli("merge", str(street["folder"]), "-o", str(foreign), "--force")
    assert proc.returncode == 0, proc.stderr
    assert zipfile.is_zipfile(foreign)


# ── 2. new / office never replace an existing file unless --force ─────────────────────────


def test_new_again_keeps_the_filled_in_ledger(tmp_path: Path) -> None:
    args = ("new", "--name", "华侨城社区", "--code", "370303009001", "--xlsx", "-o", str(tmp_path))
    assert run_cli(*args).returncode == 0
    ledger = tmp_path / "370303009001_华侨城社区.xlsx"
    filled = write_xlsx(ledger, standard_sheets(generate_community(3)))
    before = _digest(filled)
    _one_line_refusal(run_cli(*args), "已存在", "--force")
    assert _digest(ledger) == before
    assert run_cli(*args, "--force").returncode == 0
    assert _digest(ledger) != before


def test_office_again_keeps_the_office_workbook(street: dict[str, Path]) -> None:
    before = _digest(street["office"])
    _one_line_refusal(run_cli("office", "--xlsx", "-o", str(street["root"])), "已存在")
    assert _digest(street["office"]) == before


# ── 12. the summary is an .xlsx ────────────────────────────────────────────────────────────


@pytest.mark.parametrize("name", ["s.xls", "s.csv", "s.xlsm", "s", "."])
def test_output_must_be_an_xlsx(street: dict[str, Path], name: str) -> None:
    proc = run_cli("merge", str(street["folder"]), "-o", name, cwd=street["root"])
    _one_line_refusal(proc, "汇总文件")
    assert "ValueError" not in proc.stderr
    assert not (street["root"] / name).is_file()
