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
from xml.etree import ElementTree

import pytest
from helpers import run_cli, standard_sheets, write_xlsx
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from xlhfjz.batch import merge_folder
from xlhfjz.checks.validate import personal_data_in
from xlhfjz.model.schema import BY_ID
from xlhfjz.office.summary import REDACTED, ledger_table
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


def test_stale_temp_files_of_new_are_removed_too(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    stale = tmp_path / f".370303009001_华侨城社区.{dead}-0123abcd.tmp.xlsx"
    stale.write_bytes(b"x")
    args = ("new", "--name", "华侨城社区", "--code", "370303009001", "--xlsx", "-o", str(tmp_path))
    assert run_cli(*args).returncode == 0
    assert not stale.exists()


def test_a_name_that_is_not_utf8_on_the_command_line_is_refused(tmp_path: Path) -> None:
    name = os.fsdecode("社区".encode("gbk"))
    proc = run_cli("new", "--name", name, "--code", "370303009001", "-o", str(tmp_path))
    _one_line_refusal(proc, "社区名称")
    assert list(tmp_path.iterdir()) == []


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


# ── 7, 8. summaries every reader accepts ────────────────────────────────────────────────────


def _write_with_openpyxl(path: Path, sheets: dict) -> Path:  # type: ignore[type-arg]
    """openpyxl writes U+FFFE/U+FFFF raw into the XML (XlsxWriter would escape them)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path


def _sheet_parts(path: Path) -> dict[str, bytes]:
    """Sheet name → its worksheet XML, through workbook.xml and its relationships."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    with zipfile.ZipFile(path) as z:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels.findall("p:Relationship", ns)}
        return {
            s.get("name"): z.read("xl/" + targets[s.get(f"{{{ns['r']}}}id")].removeprefix("/xl/"))
            for s in book.findall("m:sheets/m:sheet", ns)
        }


def _check_references(xml: bytes) -> int:
    """Every row and cell has its reference, rows count up from 1, cells within their row
    left to right; returns the number of rows."""
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rows = ElementTree.fromstring(xml).find(f"{ns}sheetData")
    assert rows is not None
    n = 0
    for n, row in enumerate(rows, start=1):
        assert row.get("r") == str(n)
        cols = []
        for cell in row:
            ref = cell.get("r")
            assert ref is not None and ref.endswith(str(n)), ref
            letters = ref[: -len(str(n))]
            cols.append((len(letters), letters))
        assert cols == sorted(cols) and len(set(cols)) == len(cols)
    return n


def test_summary_is_well_formed_with_every_reference(street: dict[str, Path]) -> None:
    sample = generate_community(5)
    sample.set("宣传活动", 0, "theme", "主题\ufffe含非字符\uffff")
    ledger = _write_with_openpyxl(street["folder"] / "非字符.xlsx", standard_sheets(sample))
    assert "\ufffe" in validate_file(ledger).tables["publicity"].records[0].values["theme"]
    out = street["root"] / "汇总.xlsx"
    proc = run_cli("merge", str(street["folder"]), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    parts = _sheet_parts(out)
    with zipfile.ZipFile(out) as z:
        for name in z.namelist():
            if name.endswith(".xml"):
                ElementTree.fromstring(z.read(name))  # every part is well-formed XML
    assert "主题_xFFFE_含非字符_xFFFF_".encode() in parts["宣传活动"]
    counts = {name: _check_references(parts[name]) for name in ("宣传活动", "志愿者", "巡查")}
    rows = load_workbook(out, read_only=True)["宣传活动"].iter_rows(values_only=True)
    assert sum(1 for _ in rows) == counts["宣传活动"] > 1


# ── 9. never past Excel's last row ──────────────────────────────────────────────────────────


def test_a_merged_sheet_over_excels_rows_continues_in_a_second_sheet(tmp_path: Path) -> None:
    from xlhfjz.xlsx.sheetdata import render_template
    from xlhfjz.xlsx.summary import write_summary

    folder = tmp_path / "台账"
    folder.mkdir()
    for k in (3, 7):  # two communities with different codes
        sample = generate_community(k)
        sample.basic["community_code"] = f"37030300900{k}"
        write_xlsx(folder / f"社区{k}.xlsx", standard_sheets(sample))
    result = merge_folder(folder, workers=1)
    first, second = (c.result for c in result.communities)
    # the first community's 宣传活动 leaves room for 4 rows of the second's 5 under Excel's last
    # row (1,048,576: the header and 1,048,575 rows)
    small = 5
    big = [["社区甲", k, "主题"] for k in range(1_048_575 - small + 1)]
    first.chunks["publicity"] = render_template(big)
    second.chunks["publicity"] = render_template([["社区乙", k, "主题"] for k in range(small)])
    out = write_summary(tmp_path / "汇总.xlsx", result)
    parts = _sheet_parts(out)
    names = list(parts)
    assert names[names.index("宣传活动") + 1] == "宣传活动(2)"
    head = parts["宣传活动"][:2000].decode()
    assert '<dimension ref="A1:' in head and "1048576" not in head.split("<dimension")[1][:40]
    tail = parts["宣传活动"][-600:].decode()
    assert f'<row r="{len(big) + 1}"' in tail  # the big one ends the first sheet …
    assert _check_references(parts["宣传活动(2)"]) == 1 + small  # … the other continues


# ── 10. sheet names get the tolerance of header labels ─────────────────────────────────────


def test_a_sheet_name_with_a_trailing_or_full_width_space_is_found(tmp_path: Path) -> None:
    sample = generate_community(3)
    sheets = standard_sheets(sample)
    renamed = {"志愿者": "志愿者 ", "宣传活动": "宣传活动\u3000"}
    sheets = {renamed.get(name, name): rows for name, rows in sheets.items()}
    path = write_xlsx(tmp_path / "改名.xlsx", sheets)
    report = validate_file(path)
    assert not [i for i in report.issues if i.code == "missing-sheet"]
    assert report.rows["志愿者"] == len(sample.data["志愿者"]) > 0
    assert report.rows["宣传活动"] == len(sample.data["宣传活动"]) > 0
    result = merge_folder(tmp_path, workers=1)
    log = next(x for x in result.logs if x.file == "改名.xlsx")
    assert log.rows["宣传活动"] == len(sample.data["宣传活动"])


# ── 11. phone spellings in free text ────────────────────────────────────────────────────────

_SEPARATORS = [" ", "\u00a0", "\n", "-", "\u2013", "\u2014", ".", "\u3000", "－", " - "]
_PREFIXES = ["", "+86 ", "+86", "86", "+86-", "0086 ", "(+86) "]


@st.composite
def spelled_mobile(draw: st.DrawFn) -> str:
    digits = (
        "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    )
    a, b, c = digits[:3], digits[3:7], digits[7:]
    style = draw(st.sampled_from(["groups", "brackets", "plain"]))
    if style == "groups":
        sep = draw(st.sampled_from(_SEPARATORS))
        number = f"{a}{sep}{b}{sep}{c}"
    elif style == "brackets":
        number = draw(st.sampled_from([f"({a}){b}-{c}", f"（{a}）{b}－{c}", f"({a}) {b} {c}"]))
    else:
        number = digits
    return draw(st.sampled_from(_PREFIXES)) + number


_WORDS = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80), max_size=6)


@settings(max_examples=300, deadline=None)
@given(before=_WORDS, number=spelled_mobile(), after=_WORDS)
def test_every_spelling_of_a_mobile_is_found(before: str, number: str, after: str) -> None:
    assert personal_data_in(before + number + after) == "手机号码", number


@pytest.mark.parametrize(
    "text",
    ["+86 138 1234 5678", "+8613812345678", "8613812345678", "138.1234.5678",
     "138–1234–5678", "138\u00a01234\u00a05678", "138\n1234\n5678", "(138)1234-5678"],
)  # fmt: skip
def test_the_reported_spellings_are_redacted_in_the_summary(tmp_path: Path, text: str) -> None:
    sample = generate_community(3)
    sample.set("进度报送", 0, "progress", f"联系居民{text}咨询")
    write_xlsx(tmp_path / "社区.xlsx", standard_sheets(sample))
    report = validate_file(tmp_path / "社区.xlsx")
    found = [i for i in report.issues if i.code == "personal-data-in-text" and i.row == 3]
    assert [(i.sheet, i.column) for i in found] == [("进度报送", "主要进展")]
    result = merge_folder(tmp_path, workers=1, keep_rows=True)
    header, rows = ledger_table(BY_ID["progress_reports"], result.communities)
    col = list(header).index("主要进展")
    themes = [row[col] for row in rows]
    assert text not in "".join(str(t) for t in themes)
    assert themes[0] == REDACTED


# ── 13. an empty folder, an --office that is not the office workbook ───────────────────────


def test_an_empty_folder_does_not_reach_the_target(tmp_path: Path) -> None:
    (tmp_path / "空").mkdir()
    proc = run_cli("merge", str(tmp_path / "空"), "-o", str(tmp_path / "汇总.xlsx"))
    assert proc.returncode == 0, proc.stderr
    assert "已达到目标" not in proc.stdout
    assert "没有可统计的社区" in proc.stdout
    assert "中没有 .xlsx/.xlsm 台账文件" in proc.stderr
    dashboard = load_workbook(tmp_path / "汇总.xlsx")["汇总看板"]
    texts = [str(c.value) for row in dashboard.iter_rows() for c in row if c.value]
    assert not any("已达到目标" in t for t in texts)


def test_office_that_is_a_ledger_or_a_summary_is_refused(street: dict[str, Path]) -> None:
    ledger = next(street["folder"].glob("*.xlsx"))
    out = street["root"] / "汇总.xlsx"
    proc = run_cli("merge", str(street["folder"]), "--office", str(ledger), "-o", str(out))
    _one_line_refusal(proc, "这是社区台账，不是街道汇总工作簿")
    assert not out.exists()
    assert run_cli("merge", str(street["folder"]), "-o", str(out)).returncode == 0
    other = street["root"] / "汇总2.xlsx"
    proc = run_cli("merge", str(street["folder"]), "--office", str(out), "-o", str(other))
    _one_line_refusal(proc, "这是合并生成的汇总文件")
    proc = run_cli("score", str(ledger), "--office", str(ledger))
    _one_line_refusal(proc, "这是社区台账")
