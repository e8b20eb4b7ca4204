"""``xlhfjz new --server URL --token TOKEN``: a community workbook whose buttons call the server.

Checked without Excel: the hidden ``xlwings.conf`` (address and ``AUTH``), the four buttons of
使用说明 bound to the remote macros, the VBA project read back by oletools byte for byte (our
module and xlwings' remote client, ``.cls`` classes included), and the Chinese messages of
``macros/remote/xlhfjz.bas`` decoded from their ASCII escapes. That Excel runs the project and
that WinHTTP reaches the server is not checked here (no Excel on this machine).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlwings
from helpers import run_cli
from test_workbooks import sheet_buttons, sheet_files

from xlhfjz.model.schema import GUIDE_SHEET, LEDGERS
from xlhfjz.xlsx.vba import MACROS_DIR, XLWINGS_REMOTE_FILES, remote_project_modules

try:
    from oletools.olevba import VBA_Parser
except ImportError:  # pragma: no cover - oletools is a test dependency
    pytest.skip("oletools is not installed", allow_module_level=True)

URL = "http://192.168.1.10:8750"
TOKEN = "xlhfjz_0123456789abcdefghijABCDEFGHIJ-_0123456"
REMOTE_BAS = MACROS_DIR / "remote" / "xlhfjz.bas"


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("remote")
    done = run_cli("new", "--name", "华侨城社区", "--code", "370303009001", "--server", URL + "/",
                   "--token", TOKEN, "-o", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path == out / "370303009001_华侨城社区.xlsm"
    return path


def test_xlwings_conf_holds_the_server_and_the_token(remote: Path) -> None:
    book = openpyxl.load_workbook(remote)
    conf = book["xlwings.conf"]
    assert conf.sheet_state == "hidden"
    assert [[c.value for c in row] for row in conf.iter_rows()] == [
        ["ADD_WORKBOOK_TO_PYTHONPATH", "False"],
        ["XLHFJZ_SERVER", URL],
        ["AUTH", f"Bearer {TOKEN}"],
    ]


def test_four_buttons_on_the_guide_bound_to_the_remote_macros(remote: Path) -> None:
    with zipfile.ZipFile(remote) as z:
        parts = sheet_files(z)
        guide = sheet_buttons(z, parts[GUIDE_SHEET])
        assert [(b["caption"], b["macro"]) for b in guide] == [
            ("校验台账", "[0]!ValidateLedger"),
            ("计算评分", "[0]!ComputeScore"),
            ("清除标记", "[0]!ClearMarks"),
            ("报送街道", "[0]!SubmitLedger"),
        ]
        for sheet in LEDGERS:
            (button,) = sheet_buttons(z, parts[sheet.name])
            assert button["macro"] == "[0]!ValidateLedger"
    text = [c.value for row in openpyxl.load_workbook(remote)[GUIDE_SHEET].iter_rows()
            for c in row if isinstance(c.value, str)]  # fmt: skip
    assert any("本机不需要安装 Python" in t for t in text)


def test_oletools_gives_back_every_module_exactly(remote: Path) -> None:
    with zipfile.ZipFile(remote) as z:
        data = z.read("xl/vbaProject.bin")
    parser = VBA_Parser("vbaProject.bin", data=data, relaxed=False)
    try:
        got = {f.rsplit(".", 1)[0]: code for _, _, f, code in parser.extract_macros()}
    finally:
        parser.close()
    want = {name: source for name, _, source in remote_project_modules()}
    assert [n for n in want] == ["xlhfjz", "xlwings", "Dictionary", "Remote",
                                 "IWebAuthenticator", "WebClient", "WebRequest", "WebResponse",
                                 "WebHelpers"]  # fmt: skip
    for name, source in want.items():
        assert got[name] == source, name
    assert got["xlhfjz"] == REMOTE_BAS.read_bytes().decode("ascii")


def test_the_remote_client_is_the_installed_xlwings_one() -> None:
    addin = Path(xlwings.__file__).resolve().parent / "addin"
    kinds = {name: kind for name, kind, _ in remote_project_modules()}
    for file in XLWINGS_REMOTE_FILES:
        stem, suffix = file.rsplit(".", 1)
        assert kinds[stem] == ("class" if suffix == "cls" else "module")
        source = next(s for n, _, s in remote_project_modules() if n == stem)
        body = addin.joinpath(file).read_bytes().decode("ascii")
        # the stored form: a class loses its VERSION/BEGIN…END preamble, nothing else changes
        assert body.split("Option Explicit", 1)[-1] == source.split("Option Explicit", 1)[-1]


def _messages() -> dict[str, str]:
    text = REMOTE_BAS.read_bytes().decode("ascii")
    found = re.findall(r'^Private Const (\w+) As String = "([^"]*)"\r$', text, re.M)
    return {k: re.sub(r"\\u([0-9A-F]{4})", lambda m: chr(int(m[1], 16)), v) for k, v in found}


def test_remote_macros_are_ascii_crlf_and_call_the_server() -> None:
    raw = REMOTE_BAS.read_bytes()
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    text = raw.decode("ascii")
    assert text.startswith('Attribute VB_Name = "xlhfjz"\r\n')
    lines = text.split("\r\n")
    subs = [line for line in lines if line.startswith("Sub ")]
    assert subs == ["Sub ValidateLedger()", "Sub ComputeScore()", "Sub ClearMarks()",
                    "Sub SubmitLedger()"]  # fmt: skip
    for sub, kind in zip(subs, ("validate", "score", "clear", "submit"), strict=True):
        body = lines[lines.index(sub) + 1 : lines.index("End Sub", lines.index(sub))]
        assert f'    CallServer "{kind}"' in body
    assert '    RunRemotePython url & "/xlwings/" & endpoint' in lines
    assert '    request.Resource = "healthz"' in lines


def test_unreachable_server_message_is_chinese_and_says_what_to_do() -> None:
    messages = _messages()
    assert messages["MSG_UNREACHABLE_1"] == "无法连接街道服务器："
    assert messages["MSG_UNREACHABLE_2"] == (
        "请检查：1. 本机能否上单位内网；2. 街道服务器是否已开机并在运行。您填写的内容不受影响，"
        "可以先保存工作簿，稍后再点按钮；仍无法连接请联系街道处非办。"
    )
    assert messages["MSG_TOO_MANY_ROWS"] == (
        "有工作表的行数超过了按钮一次能发送的上限（32767 行）。"
        "请删除多余的空行后再试，或把文件交街道处非办在网页上传。"
    )
    assert messages["TITLE_SERVER"] == "街道服务器"
    assert messages["ASK_SUBMIT"] == (
        "把本工作簿的台账报送到街道吗？街道以最后一次报送为准，可以多次报送。"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--server", URL], "--server 和 --token 需要一起使用"),
        (["--server", URL, "--token", TOKEN, "--xlsx"],
         "--server 生成带按钮的 .xlsm，不能与 --xlsx 一起使用"),
        (["--server", "192.168.1.10", "--token", TOKEN],
         "服务器地址应形如 http://192.168.1.10:8750 ，现为“192.168.1.10”"),
        (["--server", URL, "--token", "short"], "令牌格式不对：请完整复制 xlhfjz token 输出的最后一行"),
    ],
)  # fmt: skip
def test_new_with_a_server_refuses_bad_options(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = run_cli("new", "--name", "华侨城社区", "--code", "370303009001", *args,
                   "-o", str(tmp_path))  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == message
    assert not list(tmp_path.iterdir())


def test_libreoffice_imports_the_remote_vba_project(
    soffice: str, remote: Path, tmp_path: Path
) -> None:
    """LibreOffice's own MS-OVBA reader imports our module and xlwings' remote client, each of
    the right type and with its source (without the ``Attribute`` lines, which it drops)."""
    import xml.etree.ElementTree as ET

    from test_vba import run_soffice

    ods = run_soffice(soffice, remote, "ods", tmp_path)
    ns = "{http://openoffice.org/2000/script}"
    with zipfile.ZipFile(ods) as z:
        listed = ET.fromstring(z.read("Basic/VBAProject/script-lb.xml"))
        names = {e.get("{http://openoffice.org/2000/library}name") for e in listed}
        for name, kind, source in remote_project_modules():
            assert name in names, name
            module = ET.fromstring(z.read(f"Basic/VBAProject/{name}.xml"))
            assert module.get(ns + "moduleType") == {"module": "normal", "class": "class"}[kind]
            lines = (module.text or "").split("\n")
            body = lines[3 if kind == "class" else 2 :]
            code = [x for x in source.split("\r\n") if not x.startswith("Attribute ")]
            assert "\n".join(body).strip("\n") == "\n".join(code).strip("\n"), name
