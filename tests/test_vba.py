"""The compiled vbaProject.bin, checked by readers that share no code with the writer.

- oletools (olevba) parses the dir stream strictly (``relaxed=False``) and decompresses each
  module; ``extract_macros()`` yields the decompressed stream decoded with the project code page
  and nothing removed (its ``filter_vba`` that hides ``Attribute`` lines is only for display and
  is not used here), so each module is compared with its source exactly. All sources are ASCII,
  so equal text means equal bytes.
- olefile reads the compound file with ``raise_defects=DEFECT_INCORRECT``.
- LibreOffice opens the .xlsm and imports the VBA project into Basic (its own MS-OVBA reader).

What no test here can show is that Excel accepts the project: see the module docstring of
``xlhfjz.xlsx.vba`` for where each value that the spec leaves open comes from.
"""

from __future__ import annotations

import io
import os
import random
import struct
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import olefile
import pytest
import xlsxwriter
import xlwings
from hypothesis import given, settings
from hypothesis import strategies as st

from xlhfjz.xlsx.vba import (
    MACROS_DIR,
    VBA_PROJECT_STREAM,
    _encrypt,
    build_vba_project,
    class_stream_source,
    compress,
    document_module_source,
    project_modules,
    xlwings_modules,
)

try:
    from oletools.olevba import VBA_Parser, VBA_Project, decompress_stream
except ImportError:  # pragma: no cover - oletools is a test dependency
    if os.environ.get("CI"):
        raise
    pytest.skip("oletools is not installed", allow_module_level=True)

DOCS = ["ThisWorkbook", "Sheet1", "Sheet2"]
BUTTONS = {
    "ValidateLedger": "validate_button",
    "ComputeScore": "score_button",
    "ClearMarks": "clear_button",
    "MergeSummary": "merge_button",
}
XLWINGS_DIR = Path(xlwings.__file__).resolve().parent


def big_module(name: str = "Big", size: int = 12_000) -> str:
    """A standard module over ``size`` bytes with varied lines, long runs and repeats."""
    rng = random.Random(7)
    lines = [f'Attribute VB_Name = "{name}"', "Option Explicit"]
    n = 0
    while sum(len(x) + 2 for x in lines) < size:
        n += 1
        lines += [
            f"Function F{n}(ByVal a As Long) As Long",
            f"    ' {''.join(rng.choice('abcdefghij ') for _ in range(rng.randint(0, 90)))}",
            f"    F{n} = a * {rng.randint(0, 10**6)} + {n}",
            "    " + "=" * rng.choice([3, 40, 300]),
            "End Function",
            "",
        ]
    return "\r\n".join(lines) + "\r\n"


def expected_sources(modules: list[tuple[str, str, str]], docs: list[str]) -> dict[str, str]:
    out = {d: document_module_source(d, workbook=i == 0) for i, d in enumerate(docs)}
    out.update({name: source for name, _, source in modules})
    return out


def extracted(data: bytes, filename: str = "vbaProject.bin") -> dict[str, str]:
    """Module name -> source as olevba extracts it (strict dir parsing)."""
    parser = VBA_Parser(filename, data=data, relaxed=False)
    try:
        assert parser.detect_vba_macros()
        out: dict[str, str] = {}
        for _, stream_path, vba_filename, code in parser.extract_macros():
            name = vba_filename.rsplit(".", 1)[0]
            assert name not in out, f"{name} listed twice"
            assert stream_path.endswith("VBA/" + name)
            out[name] = code
        return out
    finally:
        parser.close()


@pytest.fixture(scope="module")
def modules() -> list[tuple[str, str, str]]:
    return project_modules()


@pytest.fixture(scope="module")
def project(modules: list[tuple[str, str, str]]) -> bytes:
    return build_vba_project(modules, document_modules=DOCS)


# --- the macro sources ------------------------------------------------------------------------


def test_macros_are_ascii_crlf_and_named() -> None:
    files = sorted(MACROS_DIR.glob("*.bas"))
    assert files
    for path in files:
        raw = path.read_bytes()
        text = raw.decode("ascii")
        assert raw.endswith(b"\r\n"), path
        assert b"\n" not in raw.replace(b"\r\n", b""), f"bare LF in {path}"
        assert b"\r" not in raw.replace(b"\r\n", b""), f"bare CR in {path}"
        assert text.startswith(f'Attribute VB_Name = "{path.stem}"\r\n'), path


def test_each_button_macro_calls_run_python() -> None:
    text = (MACROS_DIR / "xlhfjz.bas").read_bytes().decode("ascii")
    lines = text.split("\r\n")
    subs = [line for line in lines if line.startswith("Sub ")]
    assert subs == [f"Sub {name}()" for name in BUTTONS]
    for name, func in BUTTONS.items():
        body = lines[lines.index(f"Sub {name}()") + 1 : lines.index(f"Sub {name}()") + 3]
        assert body == [f'    RunPython "import xlhfjz.excel as x; x.{func}()"', "End Sub"]


def test_xlwings_modules_come_from_installed_package() -> None:
    mods = {name: (kind, source) for name, kind, source in xlwings_modules()}
    assert set(mods) == {"xlwings", "Dictionary"}
    kind, source = mods["xlwings"]
    assert kind == "module"
    assert source.encode("ascii") == (XLWINGS_DIR / "xlwings.bas").read_bytes()  # unchanged
    assert f"'Version: {xlwings.__version__}\r\n" in source
    assert mods["Dictionary"][0] == "class"


def test_class_and_module_forms_match_what_excel_stored() -> None:
    """xlwings ships quickstart_standalone.xlsm, saved by Excel with both modules imported: our
    stored form of Dictionary.cls equals Excel's (up to the VBE's re-casing of identifiers), and
    its xlwings module is xlwings.bas (xlwings stored it with LF line ends)."""
    excel = extracted(
        zipfile.ZipFile(XLWINGS_DIR / "quickstart_standalone.xlsm").read("xl/vbaProject.bin")
    )
    ours = {name: source for name, _, source in xlwings_modules()}
    assert ours["Dictionary"].casefold() == excel["Dictionary"].casefold()
    assert ours["Dictionary"].startswith(excel["Dictionary"][:400])  # the attribute header
    assert ours["xlwings"].replace("\r\n", "\n") == excel["xlwings"]
    for doc in ("ThisWorkbook", "Sheet1"):
        assert document_module_source(doc, workbook=doc == "ThisWorkbook") == excel[doc]


def test_class_stream_source_keeps_a_stored_form() -> None:
    cls = (XLWINGS_DIR / "addin" / "Dictionary.cls").read_bytes().decode("ascii")
    stored = class_stream_source(cls)
    assert class_stream_source(stored) == stored
    assert not stored.startswith("VERSION")
    with pytest.raises(ValueError, match="CRLF"):
        class_stream_source(cls.replace("\r\n", "\n"))


# --- compression ------------------------------------------------------------------------------


def roundtrip(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(compress(data))))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"a",
        b"abcabcabcabc",
        b" " * 5000,  # one long run: the match length must stay within the token's length mask
        b"x" * 4096,
        b"x" * 4097,
        (b'Attribute VB_Name = "M"\r\n' * 700)[: 4096 * 3],
        bytes(range(256)) * 40,
    ],
    ids=lambda d: f"{len(d)}B",
)
def test_compress_roundtrips(data: bytes) -> None:
    assert roundtrip(data) == data


def test_compress_big_module_roundtrips_and_compresses() -> None:
    data = big_module().encode("ascii")
    assert len(data) > 10_000
    packed = compress(data)
    assert len(packed) < len(data) * 0.7
    assert roundtrip(data) == data
    # Every chunk is token-compressed (flag bit set), as Office writes them.
    pos = 1
    while pos < len(packed):
        (header,) = struct.unpack_from("<H", packed, pos)
        assert header & 0xF000 == 0xB000
        pos += (header & 0x0FFF) + 3
    assert pos == len(packed)


def test_compress_incompressible_full_chunk_is_raw() -> None:
    data = random.Random(1).randbytes(4096 * 2)
    assert roundtrip(data) == data
    with pytest.raises(ValueError, match="raw chunk"):
        compress(random.Random(2).randbytes(4000))


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ab Sub()\r\n'=_x1", max_size=9000))
def test_compress_roundtrips_text(text: str) -> None:
    data = text.encode("ascii")
    assert roundtrip(data) == data


# --- the project ------------------------------------------------------------------------------


def test_olevba_gives_back_every_module_exactly(
    project: bytes, modules: list[tuple[str, str, str]]
) -> None:
    got = extracted(project)
    want = expected_sources(modules, DOCS)
    assert list(got) == list(want)  # documents first, then macros/*.bas, xlwings, Dictionary
    for name, source in want.items():
        assert got[name] == source, name
    assert {"xlhfjz", "xlwings", "Dictionary"} <= set(got)


def test_big_module_roundtrips_through_the_project() -> None:
    source = big_module("Big", 25_000)
    data = build_vba_project([("Big", "module", source)], document_modules=["ThisWorkbook"])
    assert extracted(data)["Big"] == source


def test_compound_file_structure(project: bytes, modules: list[tuple[str, str, str]]) -> None:
    ole = olefile.OleFileIO(io.BytesIO(project), raise_defects=olefile.DEFECT_INCORRECT)
    names = [*DOCS, *(name for name, _, _ in modules)]
    assert sorted("/".join(p) for p in ole.listdir()) == sorted(
        ["PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir", *(f"VBA/{n}" for n in names)]
    )
    assert ole.openstream("VBA/_VBA_PROJECT").read() == VBA_PROJECT_STREAM
    assert VBA_PROJECT_STREAM[:5] == b"\xcc\x61\xff\xff\x00"  # Reserved1 0x61CC, Version 0xFFFF
    # Big streams in FAT sectors, small ones in the mini stream.
    assert ole.get_size("VBA/xlwings") >= 4096
    assert ole.get_size("VBA/Sheet1") < 4096
    wm = ole.openstream("PROJECTwm").read()
    assert wm == b"".join(n.encode() + b"\0" + n.encode("utf-16-le") + b"\0\0" for n in names) + (
        b"\0\0"
    )


def test_dir_stream_modules(project: bytes, modules: list[tuple[str, str, str]]) -> None:
    ole = olefile.OleFileIO(io.BytesIO(project))
    vba = VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
    vba.parse_project_stream()
    list(vba.parse_modules())
    kinds = {m.name: m.type for m in vba.modules}
    assert all(m.textoffset == 0 for m in vba.modules)  # source from byte 0, no p-code
    assert all(m.streamname == m.name for m in vba.modules)
    assert vba.codepage == 1252
    assert vba.projectname == "VBAProject"
    want = {d: 0x22 for d in DOCS}
    want.update({n: 0x21 if k == "module" else 0x22 for n, k, _ in modules})
    assert kinds == want
    assert vba.module_ext == {
        **{d.lower(): "cls" for d in DOCS},
        **{n.lower(): ("bas" if k == "module" else "cls") for n, k, _ in modules},
    }


def decrypt(hexdigits: str) -> tuple[int, int, bytes]:
    """[MS-OVBA] 2.4.3.3 Decryption, written from the spec: (version, project key, data)."""
    enc = bytes.fromhex(hexdigits)
    seed, version_enc, key_enc = enc[0], enc[1], enc[2]
    unencrypted_1, encrypted_1, encrypted_2 = seed ^ key_enc, key_enc, version_enc
    plain = bytearray()
    for byte_enc in enc[3:]:
        byte = byte_enc ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        plain.append(byte)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, byte_enc, byte
    ignored = (seed & 6) // 2
    (length,) = struct.unpack_from("<I", plain, ignored)
    data = bytes(plain[ignored + 4 :])
    assert len(data) == length
    return seed ^ version_enc, seed ^ key_enc, data


def test_project_stream(project: bytes, modules: list[tuple[str, str, str]]) -> None:
    ole = olefile.OleFileIO(io.BytesIO(project))
    raw = ole.openstream("PROJECT").read()
    text = raw.decode("ascii")
    assert "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")
    assert lines[0].startswith('ID="{') and lines[0].endswith('}"')
    project_id = lines[0][4:-1]
    kinds = {"module": "Module", "class": "Class"}
    assert lines[1 : 1 + len(DOCS) + len(modules)] == [
        *(f"Document={d}/&H00000000" for d in DOCS),
        *(f"{kinds[k]}={n}" for n, k, _ in modules),
    ]
    props = dict(line.split("=", 1) for line in lines if line[:4] in ("CMG=", "DPB=", 'GC="'))
    key = sum(project_id.encode()) & 0xFF
    assert decrypt(props["CMG"].strip('"')) == (2, key, b"\0\0\0\0")  # not protected
    assert decrypt(props["DPB"].strip('"')) == (2, key, b"\0")  # no password
    assert decrypt(props["GC"].strip('"')) == (2, key, b"\xff")  # visible
    assert "[Host Extender Info]" in lines
    assert "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000" in lines


def test_encryption_reproduces_excel() -> None:
    """The CMG/DPB/GC of xlwings' quickstart_standalone.xlsm, re-encrypted from their plain data
    (the decrypter above first checked against them)."""
    pid = "{5CF9CDAB-B77B-4FE4-BD7E-D29900070E1B}"
    for value, data in (
        ("8D8FA61394EA98EA98EA98EA98", b"\0\0\0\0"),
        ("8D8FA61394EF95EF95EF", b"\0"),
        ("8D8FA61394EF95EF9510", b"\xff"),
    ):
        assert decrypt(value) == (2, sum(pid.encode()) & 0xFF, data)
        assert _encrypt(pid, data, 0x8D, ignored=b"\xa9\xdb") == value


def test_deterministic(modules: list[tuple[str, str, str]], project: bytes) -> None:
    again = build_vba_project(project_modules(), document_modules=DOCS)
    assert again == project
    other = build_vba_project(modules[:1], document_modules=DOCS)
    assert other != project


@pytest.mark.parametrize(
    ("mods", "docs", "message"),
    [
        ([("Bad Name", "module", 'Attribute VB_Name = "Bad Name"\r\n')], DOCS, "module name"),
        ([("Sheet1", "module", 'Attribute VB_Name = "Sheet1"\r\n')], DOCS, "duplicate"),
        ([("M", "module", 'Attribute VB_Name = "M"\n')], DOCS, "CRLF"),
        ([("M", "module", 'Attribute VB_Name = "N"\r\n')], DOCS, "VB_Name"),
        ([("M", "module", 'Attribute VB_Name = "M"\r\n\' 校验\r\n')], DOCS, "ASCII"),
        ([("M", "form", 'Attribute VB_Name = "M"\r\n')], DOCS, "kind"),
        ([], [], "workbook"),
        ([("C", "class", "VERSION 1.0 CLASS\r\nBEGIN\r\nEND\r\n")], DOCS, "VB_Name"),
    ],
)
def test_rejects_bad_input(mods: list[tuple[str, str, str]], docs: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_vba_project(mods, document_modules=docs)


# --- in a workbook ----------------------------------------------------------------------------


def write_xlsm(path: Path, project: bytes) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    guide = wb.add_worksheet("使用说明")
    ledger = wb.add_worksheet("台账")
    wb.set_vba_name("ThisWorkbook")
    guide.set_vba_name("Sheet1")
    ledger.set_vba_name("Sheet2")
    wb.add_vba_project(io.BytesIO(project), is_stream=True)
    guide.write("A1", "点击按钮")
    for row, (macro, caption) in enumerate(
        [("ValidateLedger", "校验台账"), ("ComputeScore", "计算评分"), ("ClearMarks", "清除标记")]
    ):
        guide.insert_button(row * 3 + 2, 1, {"macro": macro, "caption": caption, "width": 120})
    wb.close()
    return path


def test_xlsm_from_xlsxwriter(
    tmp_path: Path, project: bytes, modules: list[tuple[str, str, str]]
) -> None:
    path = write_xlsm(tmp_path / "book.xlsm", project)
    with zipfile.ZipFile(path) as z:
        assert z.read("xl/vbaProject.bin") == project
        assert b'codeName="ThisWorkbook"' in z.read("xl/workbook.xml")
        assert b'<sheetPr codeName="Sheet1"' in z.read("xl/worksheets/sheet1.xml")
        assert b'<sheetPr codeName="Sheet2"' in z.read("xl/worksheets/sheet2.xml")
        vml = z.read("xl/drawings/vmlDrawing1.vml").decode()
        for macro in ("ValidateLedger", "ComputeScore", "ClearMarks"):
            assert f"<x:FmlaMacro>[0]!{macro}</x:FmlaMacro>" in vml
        assert "校验台账" in vml
    parser = VBA_Parser(str(path), relaxed=False)
    try:
        assert parser.type == "OpenXML"
        got = {n.rsplit(".", 1)[0]: code for _, _, n, code in parser.extract_macros()}
    finally:
        parser.close()
    assert got == expected_sources(modules, DOCS)


def run_soffice(soffice: str, path: Path, fmt: str, tmp_path: Path) -> Path:
    out = tmp_path / f"out_{fmt}"
    subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
         "--convert-to", fmt, "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    result = out / f"{path.stem}.{fmt}"
    assert result.is_file(), f"LibreOffice did not convert {path.name} to {fmt}"
    return result


def test_libreoffice_opens_xlsm(soffice: str, tmp_path: Path, project: bytes) -> None:
    book = write_xlsm(tmp_path / "book.xlsm", project)
    with zipfile.ZipFile(run_soffice(soffice, book, "xlsx", tmp_path)) as z:
        assert "xl/workbook.xml" in z.namelist()


def test_libreoffice_imports_vba_project(
    soffice: str, tmp_path: Path, project: bytes, modules: list[tuple[str, str, str]]
) -> None:
    """LibreOffice's own MS-OVBA reader imports every module, of the right type, into the Basic
    library it stores in an .ods (without the ``Attribute`` lines, which it drops)."""
    ods = run_soffice(soffice, write_xlsm(tmp_path / "book.xlsm", project), "ods", tmp_path)
    ns = "{http://openoffice.org/2000/script}"
    types = {"module": "normal", "class": "class", "document": "document"}
    want_kinds = {d: "document" for d in DOCS} | {n: k for n, k, _ in modules}
    with zipfile.ZipFile(ods) as z:
        listed = ET.fromstring(z.read("Basic/VBAProject/script-lb.xml"))
        names = {e.get("{http://openoffice.org/2000/library}name") for e in listed}
        assert names == set(want_kinds)
        for name, source in expected_sources(modules, DOCS).items():
            module = ET.fromstring(z.read(f"Basic/VBAProject/{name}.xml"))
            assert module.get(ns + "moduleType") == types[want_kinds[name]], name
            lines = (module.text or "").split("\n")
            assert lines[1] == "Option VBASupport 1"
            body = lines[3 if want_kinds[name] == "class" else 2 :]
            code = [x for x in source.split("\r\n") if not x.startswith("Attribute ")]
            assert "\n".join(body).strip("\n") == "\n".join(code).strip("\n"), name
