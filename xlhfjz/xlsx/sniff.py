"""What kind of file this is: an .xlsx/.xlsm zip, or something a user can be told how to fix
(an empty file, an encrypted or 97-2003 workbook, a web page or CSV renamed .xlsx …)."""

from __future__ import annotations

import os
import zipfile
from typing import IO

from xlhfjz.model.rawbook import UnreadableWorkbook
from xlhfjz.xlsx.guard import LIMITS, MIB, check_limits, human
from xlhfjz.xlsx.reasons import (
    NOT_EXCEL,
    R_CORRUPT,
    R_EMPTY,
    R_ENCRYPTED,
    R_HTML,
    R_NO_WORKBOOK,
    R_OLE_OTHER,
    R_TEXT,
    R_UNKNOWN,
    R_XLS,
    R_XML2003,
    SAVE_AS,
)

# Other files that get renamed to .xlsx, recognised by their first bytes.
_MAGIC_REASONS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", f"这是 PDF 文件，{NOT_EXCEL}"),
    (b"\x89PNG", f"这是图片文件，{NOT_EXCEL}"),
    (b"\xff\xd8\xff", f"这是图片文件，{NOT_EXCEL}"),
    (b"Rar!\x1a\x07", "这是 RAR 压缩包，不是 Excel 工作簿，请解压后提交其中的 .xlsx 文件"),
    (b"7z\xbc\xaf\x27\x1c", "这是 7z 压缩包，不是 Excel 工作簿，请解压后提交其中的 .xlsx 文件"),
)


# Zip files without xl/workbook.xml: which one it is, by a part it holds.
ZIP_KIND_REASONS: tuple[tuple[str, str], ...] = (
    ("xl/workbook.bin", f"这是 Excel 二进制工作簿 (.xlsb)，{SAVE_AS}"),
    ("word/document.xml", f"这是 Word 文档，只是扩展名改成了 .xlsx；{R_NO_WORKBOOK}"),
    ("ppt/presentation.xml", f"这是 PowerPoint 演示文稿，只是扩展名改成了 .xlsx；{R_NO_WORKBOOK}"),
    ("content.xml", f"这是 OpenDocument 表格 (.ods，WPS/LibreOffice 格式)，{SAVE_AS}"),
)


_HEAD_BYTES = 8192


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


# Bytes that may appear in text: everything but the C0 controls other than \t \n \f \r ESC.
_TEXT_BYTES = bytes(range(32, 256)) + b"\t\n\x0c\r\x1b"


# Suffixes for which calamine's from_path picks a non-zip reader (it dispatches on the exact
# extension); a real .xlsx saved under such a name is opened as a stream instead.
MISLEADING_SUFFIXES = frozenset({".xls", ".xla", ".xlsb", ".ods"})


def sniff(fh: IO[bytes]) -> zipfile.ZipFile:
    """Check size and kind of the open file; return its zip directory, checked against LIMITS."""
    size = os.fstat(fh.fileno()).st_size
    if size == 0:
        raise UnreadableWorkbook(R_EMPTY)
    if size > LIMITS["max_file_bytes"]:
        raise UnreadableWorkbook(
            f"文件过大（{human(size)}），超过允许的上限 {human(LIMITS['max_file_bytes'])}"
            "（max_file_bytes），请删除无用的工作表、图片或数据后再提交"
        )
    head = fh.read(_HEAD_BYTES)
    if head.startswith(_OLE_MAGIC):
        raise UnreadableWorkbook(_ole_reason(fh))
    if not head.startswith(_ZIP_MAGICS):
        for magic, reason in _MAGIC_REASONS:
            if head.startswith(magic):
                raise UnreadableWorkbook(reason)
        text = _text_reason(head)
        if text:
            raise UnreadableWorkbook(text)
        if not zipfile.is_zipfile(fh):  # a zip behind a prefix is still a zip
            raise UnreadableWorkbook(R_UNKNOWN)
    fh.seek(0)
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        raise UnreadableWorkbook(R_CORRUPT) from None
    try:
        check_limits(zf.infolist())
    except BaseException:
        zf.close()
        raise
    return zf


def _ole_reason(fh: IO[bytes]) -> str:
    """Tell an encrypted OOXML file from an old .xls by the stream names in the OLE directory."""
    fh.seek(0)
    names = (_UTF16_ENCRYPTED, _UTF16_WORKBOOK, *_UTF16_OTHER_OFFICE)
    keep = max(map(len, names)) - 1
    seen: set[bytes] = set()
    tail = b""
    while chunk := fh.read(4 * MIB):
        window = tail + chunk
        seen.update(name for name in names if name in window)
        if _UTF16_ENCRYPTED in seen:
            return R_ENCRYPTED
        tail = window[-keep:]
    if _UTF16_WORKBOOK not in seen and any(name in seen for name in _UTF16_OTHER_OFFICE):
        return R_OLE_OTHER
    return R_XLS


def _text_reason(head: bytes) -> str | None:
    """The reason for an HTML/XML/CSV file renamed to .xlsx, or None if ``head`` isn't text."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = head.decode("utf-16", errors="ignore").encode("utf-8")
    else:
        data = head.removeprefix(b"\xef\xbb\xbf")
        controls = data.translate(None, _TEXT_BYTES)
        if b"\x00" in controls or len(controls) * 100 > len(data):
            return None
    data = data.lstrip()
    if not data.startswith(b"<"):
        return R_TEXT
    lowered = data.lower()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in lowered and b"<html" not in lowered:
        return R_XML2003
    return R_HTML


_UTF16_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


_UTF16_WORKBOOK = "Workbook".encode("utf-16-le")


_UTF16_OTHER_OFFICE = ("WordDocument".encode("utf-16-le"), "PowerPoint".encode("utf-16-le"))
