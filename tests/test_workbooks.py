"""The macro-enabled workbooks (excel.md), checked without Excel by three independent readers.

1. oletools decompresses every VBA module of each built ``.xlsm`` back to its exact source.
2. The package itself (zip, XML, VML) and openpyxl: buttons with their captions and macros, the
   hidden ``xlwings.conf`` and ``_marks``, code names that match the VBA document modules, and a
   clean validation of a filled ``.xlsm``.
3. LibreOffice over UNO (``tests/uno_buttons.py`` under Debian's ``/usr/bin/python3``): it imports
   the VBA project, binds every button to its macro, and pressing a button runs the macro, which
   calls ``RunPython`` with the expected command. LibreOffice Basic cannot compile xlwings' VBA
   (``#If`` conditional compilation, ``Declare PtrSafe``), so in that copy the ``xlwings`` module
   and its ``Dictionary`` class are swapped for stubs of the same names, built by the same writer;
   the ``xlwings`` stub records the command in a cell.

What only Excel can show — that it accepts the compiled project and that xlwings' real
``RunPython`` starts Python — stays unverified here (README, "known limits").
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
import xlsxwriter
import xlwings
from test_vba import expected_sources, extracted

from xlhfjz import cli
from xlhfjz.build import (
    OFFICE_TEMPLATE_PATH,
    OFFICE_WORKBOOK_PATH,
    REGENERATE,
    TEMPLATE_PATH,
    WORKBOOK_PATH,
    build_workbooks,
)
from xlhfjz.model.schema import GUIDE_SHEET, LEDGERS, MARKS_HEADER, MARKS_SHEET
from xlhfjz.xlsx.buttons import BUTTONS, CONFIG_SHEET, LEDGER_BUTTON_WIDTH, XLWINGS_CONFIG
from xlhfjz.xlsx.community import GUIDE_BUTTON_ROW, ledger_button_x, write_community_workbook
from xlhfjz.xlsx.layout import col_pixels
from xlhfjz.xlsx.office_book import OFFICE_BUTTON_ROW, write_office_workbook
from xlhfjz.xlsx.sheets import column_width, ledger_columns
from xlhfjz.xlsx.vba import MACROS_DIR, class_stream_source, project_modules

REPO = Path(__file__).resolve().parents[1]
GENERATED = (TEMPLATE_PATH, OFFICE_TEMPLATE_PATH, WORKBOOK_PATH, OFFICE_WORKBOOK_PATH)
XLWINGS_DIR = Path(xlwings.__file__).resolve().parent
SYSTEM_PYTHON = "/usr/bin/python3"
UNO_SCRIPT = Path(__file__).with_name("uno_buttons.py")

#: The command each macro hands to RunPython (macros/xlhfjz.bas).
COMMANDS = {
    "ValidateLedger": "import xlhfjz.excel as x; x.validate_button()",
    "ComputeScore": "import xlhfjz.excel as x; x.score_button()",
    "ClearMarks": "import xlhfjz.excel as x; x.clear_button()",
    "MergeSummary": "import xlhfjz.excel as x; x.merge_button()",
}
COMMUNITY_GUIDE_BUTTONS = [("校验台账", "ValidateLedger"), ("计算评分", "ComputeScore"),
                           ("清除标记", "ClearMarks")]  # fmt: skip
OFFICE_GUIDE_BUTTONS = [("合并汇总", "MergeSummary")]

#: Where the RunPython stub writes its command (a sheet every .xlsm has).
RECORD = f"{CONFIG_SHEET}!C1"
XLWINGS_STUB = (
    'Attribute VB_Name = "xlwings"\r\n'
    "' Test stub of xlwings' standalone module: records the command instead of running Python.\r\n"
    "Option Explicit\r\n"
    "\r\n"
    "Sub RunPython(ByVal PythonCommand As String)\r\n"
    f'    ThisWorkbook.Worksheets("{CONFIG_SHEET}").Range("C1").Value = PythonCommand\r\n'
    "End Sub\r\n"
)
DICTIONARY_STUB = class_stream_source(
    'Attribute VB_Name = "Dictionary"\r\n'
    "Attribute VB_GlobalNameSpace = False\r\n"
    "Attribute VB_Creatable = False\r\n"
    "Attribute VB_PredeclaredId = False\r\n"
    "Attribute VB_Exposed = True\r\n"
    "Option Explicit\r\n"
)


def stub_modules() -> list[tuple[str, str, str]]:
    """project_modules() with xlwings' module and class swapped for stubs of the same names."""
    stubs = {"xlwings": XLWINGS_STUB, "Dictionary": DICTIONARY_STUB}
    return [(name, kind, stubs.get(name, source)) for name, kind, source in project_modules()]


# ── fixtures ──────────────────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every generated file, built afresh by the function that builds the committed ones."""
    root = tmp_path_factory.mktemp("generated")
    paths = build_workbooks(root)
    assert paths == [root / p for p in GENERATED]
    return {
        "community": root / WORKBOOK_PATH,
        "office": root / OFFICE_WORKBOOK_PATH,
        "community_xlsx": root / TEMPLATE_PATH,
        "office_xlsx": root / OFFICE_TEMPLATE_PATH,
    }


XLSM = ["community", "office"]


def sheet_files(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part (``xl/worksheets/sheetN.xml``), in tab order."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}  # fmt: skip
    book = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    return {
        s.get("name"): "xl/" + targets[s.get(f"{{{ns['r']}}}id")]
        for s in book.find("m:sheets", ns)  # type: ignore[union-attr]
    }


def sheet_buttons(z: zipfile.ZipFile, part: str) -> list[dict[str, object]]:
    """The Form Control buttons in a sheet's VML drawing: caption, macro, anchor, printable."""
    rels_name = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    if rels_name not in z.namelist():
        return []
    rels = z.read(rels_name).decode()
    found = []
    for target in re.findall(r'Target="\.\./(drawings/vmlDrawing\d+\.vml)"', rels):
        vml = z.read(f"xl/{target}").decode()
        for shape in re.findall(r"<v:shape .*?</v:shape>", vml, re.S):
            if 'ObjectType="Button"' not in shape:
                continue
            anchor = re.search(r"<x:Anchor>([^<]*)</x:Anchor>", shape)
            found.append({
                "caption": re.search(r"<font [^>]*>([^<]*)</font>", shape)[1],  # type: ignore[index]
                "macro": re.search(r"<x:FmlaMacro>([^<]*)</x:FmlaMacro>", shape)[1],  # type: ignore[index]
                "anchor": [int(v) for v in anchor[1].split(",")],  # type: ignore[index]
                "printed": "<x:PrintObject>True</x:PrintObject>" in shape,
            })  # fmt: skip
    return found


# ── the committed files are fresh ────────────────────────────────────────────────────────────


@pytest.mark.parametrize("relative", GENERATED, ids=str)
def test_committed_file_is_fresh(built: dict[str, Path], relative: Path) -> None:
    committed = REPO / relative
    fresh = built["community"].parents[1] / relative
    assert committed.exists(), f"{relative} is missing: run `{REGENERATE}` to build it"
    assert committed.read_bytes() == fresh.read_bytes(), (
        f"{relative} is stale: run `{REGENERATE}` to regenerate it (this build used "
        f"XlsxWriter {xlsxwriter.__version__} and xlwings {xlwings.__version__})"
    )


def test_building_twice_gives_identical_bytes(built: dict[str, Path], tmp_path: Path) -> None:
    again = build_workbooks(tmp_path)
    for path in again:
        original = built["community"].parents[1] / path.relative_to(tmp_path)
        assert path.read_bytes() == original.read_bytes(), path.name


# ── 1. oletools gives back every module ──────────────────────────────────────────────────────


@pytest.mark.parametrize("which", XLSM)
def test_olevba_extracts_every_module_exactly(built: dict[str, Path], which: str) -> None:
    with zipfile.ZipFile(built[which]) as z:
        project = z.read("xl/vbaProject.bin")
        n_sheets = len(sheet_files(z))
    docs = ["ThisWorkbook", *(f"Sheet{i}" for i in range(1, n_sheets + 1))]
    got = extracted(project)
    assert got == expected_sources(project_modules(), docs)
    # ... and each equals its file: macros/*.bas and xlwings' own modules, byte for byte.
    for bas in sorted(MACROS_DIR.glob("*.bas")):
        assert got[bas.stem].encode("ascii") == bas.read_bytes(), bas.name
    assert got["xlwings"].encode("ascii") == (XLWINGS_DIR / "xlwings.bas").read_bytes()
    cls = (XLWINGS_DIR / "addin" / "Dictionary.cls").read_bytes().decode("ascii")
    assert got["Dictionary"] == class_stream_source(cls)


# ── 2. the package ───────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("which", XLSM)
def test_xlsm_is_a_macro_workbook_whose_code_names_match_the_project(
    built: dict[str, Path], which: str
) -> None:
    with zipfile.ZipFile(built[which]) as z:
        types = z.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
        assert "application/vnd.ms-office.vbaProject" in types
        assert b'codeName="ThisWorkbook"' in z.read("xl/workbook.xml")
        names = []
        for i, (sheet, part) in enumerate(sheet_files(z).items(), start=1):
            code = re.search(rb'<sheetPr codeName="([^"]+)"', z.read(part))
            assert code, f"{sheet} has no code name"
            assert code[1].decode() == f"Sheet{i}"
            names.append(code[1].decode())
        documents = [
            name for name in extracted(z.read("xl/vbaProject.bin"))
            if name == "ThisWorkbook" or name.startswith("Sheet")
        ]  # fmt: skip
    assert documents == ["ThisWorkbook", *names]


def test_community_buttons_on_the_guide_and_the_ledgers(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["community"]) as z:
        parts = sheet_files(z)
        guide = sheet_buttons(z, parts[GUIDE_SHEET])
        assert [(b["caption"], b["macro"]) for b in guide] == [
            (caption, f"[0]!{macro}") for caption, macro in COMMUNITY_GUIDE_BUTTONS
        ]
        # one per row from GUIDE_BUTTON_ROW, inside column A, printed with the page
        rows = [b["anchor"][2] for b in guide]  # type: ignore[index]
        assert rows == [GUIDE_BUTTON_ROW, GUIDE_BUTTON_ROW + 1, GUIDE_BUTTON_ROW + 2]
        assert all(b["anchor"][0] == b["anchor"][4] == 0 for b in guide)  # type: ignore[index]
        assert all(b["printed"] for b in guide)
        for sheet in LEDGERS:
            buttons = sheet_buttons(z, parts[sheet.name])
            x = ledger_button_x(sheet)
            assert x is not None, f"{sheet.name}: no room for a button in the title row"
            (button,) = buttons
            assert (button["caption"], button["macro"]) == ("校验台账", "[0]!ValidateLedger")
            assert button["anchor"][2] == button["anchor"][6] == 0  # type: ignore[index]
            # it starts where it was placed: right of the title text, within the first screen
            col, offset = button["anchor"][:2]  # type: ignore[index]
            widths = [6] + [column_width(f) for f in ledger_columns(sheet)]
            assert sum(col_pixels(w) for w in widths[:col]) + offset == x
            assert x + LEDGER_BUTTON_WIDTH <= min(sum(map(col_pixels, widths)), 1000)
            assert not button["printed"]  # ledgers print without it
        others = set(parts) - {GUIDE_SHEET} - {s.name for s in LEDGERS}
        assert all(not sheet_buttons(z, parts[name]) for name in others)


def test_office_merge_button(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["office"]) as z:
        parts = sheet_files(z)
        (button,) = sheet_buttons(z, parts[GUIDE_SHEET])
        assert (button["caption"], button["macro"]) == ("合并汇总", "[0]!MergeSummary")
        assert button["anchor"][2] == OFFICE_BUTTON_ROW  # type: ignore[index]
        assert sum(len(sheet_buttons(z, p)) for p in parts.values()) == 1


def test_button_captions_are_the_declared_ones() -> None:
    assert [(b.caption, b.macro) for b in BUTTONS.values()] == [
        *COMMUNITY_GUIDE_BUTTONS,
        *OFFICE_GUIDE_BUTTONS,
    ]
    assert set(COMMANDS) == {b.macro for b in BUTTONS.values()}


@pytest.mark.parametrize("which", XLSM)
def test_xlwings_conf_is_hidden_with_no_empty_value(built: dict[str, Path], which: str) -> None:
    book = openpyxl.load_workbook(built[which])
    conf = book[CONFIG_SHEET]
    assert conf.sheet_state == "hidden"
    assert book.sheetnames[-1] == CONFIG_SHEET
    rows = [tuple(c.value for c in row) for row in conf.iter_rows()]
    # xlwings reads A1 down to the first blank (VBA: Range("A1").End(xlDown); Python:
    # ["A1:B1"].options(dict, expand="down")): keys from A1, contiguous, each with a value.
    assert all(len(r) == 2 and r[0] and r[1] not in (None, "") for r in rows), rows
    assert dict(rows) == XLWINGS_CONFIG
    assert all(isinstance(v, str) and v.strip() for v in XLWINGS_CONFIG.values())
    # the key is one that xlwings' VBA really reads, and "False" is what turns it off
    source = (XLWINGS_DIR / "xlwings.bas").read_text()
    assert 'GetConfig("ADD_WORKBOOK_TO_PYTHONPATH", "true")' in source
    assert XLWINGS_CONFIG["ADD_WORKBOOK_TO_PYTHONPATH"].lower() != "true"


def test_marks_sheet_in_the_community_workbook_only(built: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(built["community"])
    marks = book[MARKS_SHEET]
    assert marks.sheet_state == "hidden" and not marks.protection.sheet
    assert [tuple(r) for r in marks.iter_rows(values_only=True)] == [MARKS_HEADER]
    assert MARKS_SHEET not in openpyxl.load_workbook(built["office"]).sheetnames


def test_xlsm_has_the_xlsx_sheets_plus_xlwings_conf(built: dict[str, Path]) -> None:
    for xlsm, xlsx in (("community", "community_xlsx"), ("office", "office_xlsx")):
        with_macros = openpyxl.load_workbook(built[xlsm]).sheetnames
        without = openpyxl.load_workbook(built[xlsx]).sheetnames
        assert with_macros == [*without, CONFIG_SHEET]
        with zipfile.ZipFile(built[xlsx]) as z:
            assert "xl/vbaProject.bin" not in z.namelist()
            assert not [n for n in z.namelist() if n.endswith(".vml")]


def test_the_guide_explains_buttons_and_colours(built: dict[str, Path]) -> None:
    def text(path: Path) -> str:
        ws = openpyxl.load_workbook(path)[GUIDE_SHEET]
        return "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v)

    xlsm, xlsx = text(built["community"]), text(built["community_xlsx"])
    assert "校验：在命令行运行" not in xlsm and "校验：在命令行运行" in xlsx
    for words in ("“校验结果”", "“创建评分”", "红色＝错误", "黄色＝提醒", "启用内容"):
        assert words in xlsm, words
    ws = openpyxl.load_workbook(built["community"])[GUIDE_SHEET]
    fills = {ws.cell(r, 1).value: ws.cell(r, 1).fill.fgColor.rgb for r in range(1, 12)}
    assert fills["错误"] == "FFFFC7CE" and fills["提醒"] == "FFFFEB9C"  # the marks' colours
    office = text(built["office"])
    assert "点上方【合并汇总】按钮" in office and "xlhfjz merge" not in office
    assert "xlhfjz merge" in text(built["office_xlsx"])


def test_a_filled_xlsm_validates_clean(tmp_path: Path) -> None:
    from xlhfjz.sample import generate_community
    from xlhfjz.xlsx.files import validate_file

    sample = generate_community(1)
    path = write_community_workbook(tmp_path / "s.xlsm", data=sample.data, basic=sample.basic)
    report = validate_file(path)
    assert (report.readable, report.errors, report.warnings) == (True, 0, 0), report.issues
    assert report.template_version == "1.0"


def test_the_office_xlsm_reads_as_an_office_workbook(built: dict[str, Path]) -> None:
    from xlhfjz.office.inputs import read_office
    from xlhfjz.xlsx.reader import read_workbook

    office = read_office(read_workbook(built["office"]))
    assert not [i for i in office.issues if i.severity == "error"]


def test_suffix_decides_and_a_contradiction_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.xlsm"):
        write_community_workbook(tmp_path / "a.xlsx", macros=True)
    with pytest.raises(ValueError, match=r"\.xlsx"):
        write_office_workbook(tmp_path / "a.xlsm", macros=False)
    assert list(tmp_path.iterdir()) == []
    path = write_community_workbook(tmp_path / "B.XLSM")
    with zipfile.ZipFile(path) as z:
        assert "xl/vbaProject.bin" in z.namelist()


def test_stub_copy_differs_only_in_the_vba_project(built: dict[str, Path], tmp_path: Path) -> None:
    stub = write_community_workbook(tmp_path / "stub.xlsm", vba_modules=stub_modules())
    with zipfile.ZipFile(stub) as a, zipfile.ZipFile(built["community"]) as b:
        assert a.namelist() == b.namelist()
        differ = [n for n in a.namelist() if a.read(n) != b.read(n)]
    assert differ == ["xl/vbaProject.bin"]
    assert [n for n, _, _ in stub_modules()] == [n for n, _, _ in project_modules()]


# ── the command line ─────────────────────────────────────────────────────────────────────────


def test_cli_new_writes_xlsm_by_default_and_xlsx_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["new", "--name", "华侨城社区", "--code", "370303009001", "-o", str(tmp_path)]
    assert cli.main(args) == 0
    out, err = capsys.readouterr()
    xlsm = tmp_path / "370303009001_华侨城社区.xlsm"
    assert out.strip() == str(xlsm) and err == ""
    with zipfile.ZipFile(xlsm) as z:
        assert "xl/vbaProject.bin" in z.namelist()
    assert cli.main([*args, "--xlsx"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "370303009001_华侨城社区.xlsx")
    values = {
        r[0]: r[1] for r in openpyxl.load_workbook(xlsm)["基本信息"].iter_rows(values_only=True)
    }
    assert (values["社区名称"], values["社区代码"]) == ("华侨城社区", "370303009001")


def test_cli_office_writes_xlsm_by_default_and_xlsx_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["office", "-o", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "街道汇总.xlsm")
    assert cli.main(["office", "-o", str(tmp_path), "--xlsx"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "街道汇总.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["街道汇总.xlsm", "街道汇总.xlsx"]


# ── 3. LibreOffice over UNO ──────────────────────────────────────────────────────────────────


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def soffice_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A headless soffice listening on a free loopback port, with a profile of its own; always
    stopped afterwards (its whole process group: the launcher and soffice.bin)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        _missing("LibreOffice (soffice)")
    if (
        not Path(SYSTEM_PYTHON).exists()
        or subprocess.run(
            [SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, timeout=60
        ).returncode
    ):
        _missing(f"python3-uno (import uno in {SYSTEM_PYTHON})")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    profile = tmp_path_factory.mktemp("lo-profile")
    proc = subprocess.Popen(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible",
         "--norestore", "--nologo", "--nodefault", "--nolockcheck",
         f"--accept=socket,host=127.0.0.1,port={port};urp;"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        yield port
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=15)
                break
            except subprocess.TimeoutExpired:
                continue


@pytest.fixture(scope="module")
def uno_report(
    soffice_port: int, built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict]:
    """What LibreOffice sees in the stub copies (buttons pressed) and the real workbooks."""
    folder = tmp_path_factory.mktemp("uno")
    stubs = {
        "community": write_community_workbook(
            folder / "community.xlsm", vba_modules=stub_modules()
        ),
        "office": write_office_workbook(folder / "office.xlsm", vba_modules=stub_modules()),
    }
    cmd = [SYSTEM_PYTHON, str(UNO_SCRIPT), "--port", str(soffice_port), "--record", RECORD,
           "--timeout", "240", "--press", str(stubs["community"]), "--press", str(stubs["office"]),
           str(built["community"]), str(built["office"])]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = json.loads(proc.stdout)["files"]
    return {
        "community_stub": files[str(stubs["community"])],
        "office_stub": files[str(stubs["office"])],
        "community": files[str(built["community"])],
        "office": files[str(built["office"])],
    }


def document_modules(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return ["ThisWorkbook", *(f"Sheet{i}" for i in range(1, len(sheet_files(z)) + 1))]


@pytest.mark.parametrize("which", ["community", "office", "community_stub", "office_stub"])
def test_libreoffice_sees_the_vba_project(
    uno_report: dict[str, dict], built: dict[str, Path], which: str
) -> None:
    seen = uno_report[which]
    assert seen["vba_compatibility"] is True
    want = document_modules(built[which.removesuffix("_stub")])
    want += [name for name, _, _ in project_modules()]
    assert seen["modules"] == sorted(want)


@pytest.mark.parametrize(
    ("which", "guide"),
    [("community", COMMUNITY_GUIDE_BUTTONS), ("office", OFFICE_GUIDE_BUTTONS)],
)
def test_libreoffice_binds_each_button_to_its_macro(
    uno_report: dict[str, dict], which: str, guide: list[tuple[str, str]]
) -> None:
    buttons = uno_report[which]["buttons"]
    expected = [(GUIDE_SHEET, caption, macro) for caption, macro in guide]
    if which == "community":
        expected += [(s.name, "校验台账", "ValidateLedger") for s in LEDGERS]
    assert [(b["sheet"], b["caption"]) for b in buttons] == [(s, c) for s, c, _ in expected]
    for button, (_, _, macro) in zip(buttons, expected, strict=True):
        assert button["events"] == [{
            "listener": "XActionListener", "method": "actionPerformed",
            "type": "Script",
            "code": f"vnd.sun.star.script:VBAProject.xlhfjz.{macro}?language=Basic&location=document",
        }], button  # fmt: skip


@pytest.mark.parametrize("which", ["community_stub", "office_stub"])
def test_pressing_each_button_calls_run_python_with_its_command(
    uno_report: dict[str, dict], which: str
) -> None:
    buttons = uno_report[which]["buttons"]
    assert buttons
    for button in buttons:
        macro = re.search(r"xlhfjz\.(\w+)\?", button["events"][0]["code"])[1]  # type: ignore[index]
        want = COMMANDS[macro]
        assert button["invoked"] == want, button  # the bound script, invoked
        assert button["clicked"] == want, button  # the button, pressed


def test_stub_sources_are_what_the_project_holds(tmp_path: Path) -> None:
    """The stub copy really carries the stubs (so a recorded command comes from them)."""
    path = write_community_workbook(tmp_path / "stub.xlsm", vba_modules=stub_modules())
    with zipfile.ZipFile(path) as z:
        got = extracted(z.read("xl/vbaProject.bin"))
    assert got["xlwings"] == XLWINGS_STUB and got["Dictionary"] == DICTIONARY_STUB
    assert got["xlhfjz"].encode() == (MACROS_DIR / "xlhfjz.bas").read_bytes()
