"""Nothing lost, part two (issue 10): outputs never destroy inputs, one bad name or file never
stops or hangs the merge, every summary is well-formed for every reader, and the small things a
careless user hits. Real processes, real files; read back with zipfile/openpyxl."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import run_cli, standard_sheets, write_xlsx
from openpyxl import load_workbook

from xlhfjz.batch import merge_folder
from xlhfjz.sample import generate_community
from xlhfjz.xlsx.files import validate_file


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


# ── 3. a name that is not UTF-8 ────────────────────────────────────────────────────────────

GBK_NAME = "华侨城社区".encode("gbk") + b".xlsx"  # what unzipping a Windows zip on Linux gives


def test_a_name_that_is_not_utf8_is_read_and_shown_with_replacement_characters(
    street: dict[str, Path],
) -> None:
    folder = os.fsencode(street["folder"])
    source = next(street["folder"].glob("*.xlsx"))
    data = source.read_bytes()
    source.unlink()
    with open(os.path.join(folder, GBK_NAME), "wb") as fh:
        fh.write(data)
    with open(os.path.join(folder, "说明".encode("gbk") + b".docx"), "wb") as fh:
        fh.write(b"not read")
    validated = run_cli("validate", os.fsdecode(os.path.join(folder, GBK_NAME)))
    assert validated.returncode in (0, 1), validated.stdout + validated.stderr
    assert "无法读取" not in validated.stdout
    out = street["root"] / "汇总.xlsx"
    proc = run_cli("merge", str(street["folder"]), "-o", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    shown = GBK_NAME.decode("utf-8", "replace")
    outcomes = {f["file"]: f["outcome"] for f in doc["files"]}
    assert outcomes[shown] == "merged"
    assert outcomes["说明".encode("gbk").decode("utf-8", "replace") + ".docx"] == "skipped"
    log = load_workbook(out, read_only=True)["合并日志"]
    assert shown in [row[0] for row in log.iter_rows(values_only=True)]


# ── 4. files that never end ─────────────────────────────────────────────────────────────────


@pytest.fixture
def endless(tmp_path: Path) -> Path:
    folder = tmp_path / "endless"
    folder.mkdir()
    os.mkfifo(folder / "管道.xlsx")
    (folder / "零.xlsx").symlink_to("/dev/zero")
    with open(folder / "稀疏.xlsx", "wb") as fh:
        fh.truncate(30 << 30)  # 30 GB, sparse: nothing on disk
    return folder


def test_a_fifo_a_device_and_a_huge_sparse_file_are_refused_without_reading(
    endless: Path,
) -> None:
    for name, words in (
        ("管道.xlsx", "不是普通文件"),
        ("零.xlsx", "不是普通文件"),
        ("稀疏.xlsx", "文件过大（30 GB）"),
    ):
        report = validate_file(endless / name)  # returns at once: a hang would never get here
        assert not report.readable
        assert words in report.issues[0].message, report.issues[0].message
    result = merge_folder(endless, workers=1)
    reasons = {log.file: (log.outcome, log.reason, log.sha256) for log in result.logs}
    assert reasons["管道.xlsx"][0] == "unreadable"
    assert "不是普通文件" in reasons["零.xlsx"][1]
    assert reasons["稀疏.xlsx"][2] is None  # not hashed: it will not be read either


# ── 6. workers die with the merge; stale temp files go ──────────────────────────────────────


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        out.update(int(x) for x in text.split())
    return out


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_workers_die_with_a_killed_merge(street: dict[str, Path]) -> None:
    source = next(street["folder"].glob("*.xlsx"))
    for k in range(60):
        shutil.copy(source, street["folder"] / f"副本{k:02d}.xlsx")
    proc = subprocess.Popen(
        [sys.executable, "-m", "xlhfjz", "merge", str(street["folder"]), "-o",
         str(street["root"] / "汇总.xlsx")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    workers: set[int] = set()
    for _ in range(600):  # wait for the pool's two workers
        workers = _children(proc.pid)
        if len(workers) >= 2 or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert len(workers) >= 2, "the merge ended before its workers could be seen"
    proc.kill()
    proc.wait()
    for _ in range(200):  # they notice within a second; allow for a busy machine
        if not any(map(_running, workers)):
            break
        time.sleep(0.1)
    alive = [w for w in workers if _running(w)]
    for w in alive:
        os.kill(w, 9)
    assert alive == []


def test_stale_temp_files_of_a_killed_writer_are_removed_on_the_next_run(
    street: dict[str, Path],
) -> None:
    root = street["root"]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    stale = root / f".汇总.{dead}-0123abcd.tmp.xlsx"
    stale2 = root / f".汇总.{dead}-0123abcd.tmp2.xlsx"
    live = root / f".汇总.{os.getpid()}-0123abcd.tmp.xlsx"  # a writer still running
    foreign = root / ".汇总.备份.xlsx"  # not our naming
    for f in (stale, stale2, live, foreign):
        f.write_bytes(b"x")
    proc = run_cli("merge", str(street["folder"]), "-o", str(root / "汇总.xlsx"))
    assert proc.returncode == 0, proc.stderr
    assert not stale.exists() and not stale2.exists()
    assert live.exists() and foreign.exists()
    assert sorted(p.name for p in root.iterdir() if ".tmp" in p.name) == [live.name]


# ── 14. the same file twice; a closed pipe ──────────────────────────────────────────────────


def test_the_same_file_twice_is_said_to_be_the_same_file(street: dict[str, Path]) -> None:
    source, *others = sorted(street["folder"].glob("*.xlsx"))
    for other in others:  # one community only (the fixture's two share a code)
        other.unlink()
    shutil.copy(source, street["folder"] / "副本.xlsx")
    result = merge_folder(street["folder"], workers=1)
    copy = next(log for log in result.logs if log.file == "副本.xlsx")
    assert copy.outcome == "superseded"
    assert copy.reason == f"与“{source.name}”是同一个文件（内容完全相同）"
    community = next(c for c in result.communities if c.file == source.name)
    issues = [i for _, i in community.extra_issues if i.code == "duplicate-community"]
    assert {i.severity for i in issues} == {"warning"}
    assert "内容完全相同" in issues[0].message


def test_validate_into_a_closed_pipe_says_nothing(street: dict[str, Path]) -> None:
    files = [str(p) for p in street["folder"].glob("*.xlsx")] * 40  # far more than a pipe holds
    proc = subprocess.Popen(
        [sys.executable, "-m", "xlhfjz", "validate", *files],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()  # like `| head -1`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait()
    assert err == ""
