"""The limits checked before anything is parsed (the README's 限制): the zip directory's declared
sizes and ratios, no DTD in an XML part, no over-long shared string."""

from __future__ import annotations

import re
import zipfile
import zlib
from typing import IO

from xlhfjz.model.rawbook import UnreadableWorkbook
from xlhfjz.xlsx.reasons import R_BOMB, R_COMPRESSION, R_CORRUPT, R_DTD

MIB = 1 << 20


_GIB = 1 << 30


LIMITS: dict[str, int] = {
    "max_file_bytes": 100 * MIB,
    "max_uncompressed_bytes": 1 * _GIB,
    "max_ratio": 200,
    "max_entry_bytes": 512 * MIB,
}


CONTENT_LIMITS: dict[str, int] = {
    "max_rows": 100_000,
    "max_cells": 5_000_000,
    "max_cell_chars": 32_767,
    "max_shared_strings": 1_000_000,
    "max_styles": 100_000,
}


_RATIO_MIN_BYTES = 1 * MIB  # entries up to this size are never judged by their ratio


def human(n: int) -> str:
    """``n`` bytes for a reader: 100 MB, 1 GB, 2.5 KB."""
    for unit, size in (("GB", _GIB), ("MB", MIB), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} 字节"


def check_limits(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip whose declared sizes break LIMITS (nothing is inflated here)."""
    total = 0
    for info in infos:
        usize, csize = info.file_size, info.compress_size
        if usize > _RATIO_MIN_BYTES and usize > LIMITS["max_ratio"] * max(csize, 1):
            raise UnreadableWorkbook(
                f"{R_BOMB}：{info.filename} 压缩后 {human(csize)}，解压后 {human(usize)}，"
                f"压缩比超过上限 {LIMITS['max_ratio']} 倍（max_ratio）"
            )
        if usize > LIMITS["max_entry_bytes"]:
            raise UnreadableWorkbook(
                f"文件中的部件 {info.filename} 解压后 {human(usize)}，超过单个部件上限 "
                f"{human(LIMITS['max_entry_bytes'])}（max_entry_bytes），已拒绝读取；"
                "请删除无用的数据后再提交"
            )
        total += usize
    if total > LIMITS["max_uncompressed_bytes"]:
        raise UnreadableWorkbook(
            f"文件解压后总大小 {human(total)}，超过上限 "
            f"{human(LIMITS['max_uncompressed_bytes'])}（max_uncompressed_bytes），已拒绝读取；"
            "请删除无用的工作表或数据后再提交"
        )


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A whole part, inflating no more than its declared size.

    (``ZipFile.read`` asks zlib for up to 1 GiB at once and only then cuts to the declared size,
    so a part that lies about its size would cost that much memory before its CRC fails.)
    """
    try:
        with zf.open(info) as part:
            return part.read(info.file_size)
    except NotImplementedError:
        raise UnreadableWorkbook(R_COMPRESSION) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError):
        raise UnreadableWorkbook(R_CORRUPT) from None


def read_head(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> bytes:
    """The first ``size`` bytes of a part (only that much is inflated)."""
    try:
        with zf.open(info) as part:
            return part.read(size)
    except NotImplementedError:
        raise UnreadableWorkbook(R_COMPRESSION) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError):
        raise UnreadableWorkbook(R_CORRUPT) from None


XML_HEAD = 64 * 1024


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")


_CHUNK = 1 * MIB


SHARED_STRINGS = "xl/sharedStrings.xml"  # the one part calamine reads strings from


STYLES = "xl/styles.xml"


def check_prolog(head: bytes, part: str) -> None:
    """Refuse a part whose first bytes declare a DTD (entity bombs need one)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode()
    if _DTD.search(head):
        raise UnreadableWorkbook(R_DTD.format(part=part))


_SST_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?sst[\s>/]")


_SI_END = re.compile(rb"</(?:[^\s/>=<:]+:)?si\s*>")


def open_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    """A zip part opened for streaming; a compression we cannot read or a broken entry is a
    reason for the user, not a traceback."""
    try:
        return zf.open(info)
    except NotImplementedError:
        raise UnreadableWorkbook(R_COMPRESSION) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError):
        raise UnreadableWorkbook(R_CORRUPT) from None


def check_shared_strings(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Stream the shared strings and refuse the first one over ``max_cell_chars`` characters.

    Each chunk is split at ``</si>``: a piece up to the limit in bytes cannot hold more
    characters than that, so only longer pieces are counted exactly; a string that is still
    open at the end of a chunk is counted as it grows, so reading stops as soon as it is too
    long.
    """
    limit = CONTENT_LIMITS["max_cell_chars"]
    with open_part(zf, info) as part:
        chunk = _read_chunk(part, XML_HEAD)
        check_prolog(chunk, info.filename)
        root = _SST_ROOT.search(chunk)
        close = b"</" + (root.group(1) or b"" if root else b"") + b"si>"
        carry, counted = b"", 0  # the open string's unread bytes, and its characters so far
        strings, most = 0, CONTENT_LIMITS["max_shared_strings"]
        while chunk:
            pieces = (carry + chunk).split(close)
            carry = pieces.pop()
            strings += len(pieces)
            if strings > most:
                raise UnreadableWorkbook(
                    f"文件中共享字符串（不同的单元格文字）超过 {most:,} 个（max_shared_strings），"
                    "一个社区的台账远少于此，已拒绝读取；请删除无用的工作表或数据后再提交"
                )
            for k, piece in enumerate(pieces):
                before = counted if k == 0 else 0
                if before or len(piece) > limit:
                    _shared_string_ok(piece, before, limit)
            if pieces:
                counted = 0
            if len(carry) > limit:  # a long string still open: count what has arrived
                *done, carry = _SI_END.split(carry)
                for k, piece in enumerate(done):
                    _shared_string_ok(piece, counted if k == 0 else 0, limit)
                    counted = 0
                cut = _safe_cut(carry)
                counted += text_chars(carry[:cut])
                carry = carry[cut:]
                if counted > limit:
                    raise UnreadableWorkbook(_long_shared_string(counted, limit, partial=True))
            chunk = _read_chunk(part, _CHUNK)


_XF = re.compile(rb"<(?:[^\s/>=<:]+:)?xf[\s/>]")


def check_styles(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Stream the styles part and refuse it when it holds more than ``max_styles`` cell formats
    (``<xf>``; Excel itself allows about 64,000), before calamine parses them all."""
    most = CONTENT_LIMITS["max_styles"]
    with open_part(zf, info) as part:
        count, tail = 0, b""
        while chunk := _read_chunk(part, _CHUNK):
            data = tail + chunk
            cut = max(0, len(data) - 64)  # a tag cut at the chunk's end is counted next time
            count += len(_XF.findall(data, 0, cut))
            tail = data[cut:]
            if count > most:
                raise UnreadableWorkbook(
                    f"文件中的单元格格式超过 {most:,} 个（max_styles；Excel 自身最多约 64,000 个），"
                    "已拒绝读取；请在 Excel 中打开并重新保存为 .xlsx 后再提交"
                )
        count += len(_XF.findall(tail))
        if count > most:
            raise UnreadableWorkbook(
                f"文件中的单元格格式超过 {most:,} 个（max_styles；Excel 自身最多约 64,000 个），"
                "已拒绝读取；请在 Excel 中打开并重新保存为 .xlsx 后再提交"
            )


def _safe_cut(data: bytes) -> int:
    """A position in ``data`` that is not inside a tag, an entity, an ``_xHHHH_`` escape or a
    UTF-8 character, as late as possible."""
    cut = len(data)
    if data.rfind(b"<") > data.rfind(b">"):
        cut = data.rfind(b"<")
    for mark, longest in ((b"&", 12), (b"_x", 7)):
        at = data.rfind(mark, max(0, cut - longest), cut)
        if at >= 0:
            cut = at
    if cut == len(data):  # the chunk may end inside a character: keep that one for later
        lead = cut - 1
        while lead > 0 and 0x80 <= data[lead] < 0xC0:
            lead -= 1
        if lead >= 0 and data[lead] >= 0xC0:
            size = 2 if data[lead] < 0xE0 else 3 if data[lead] < 0xF0 else 4
            if cut - lead < size:
                cut = lead
    return cut


def _read_chunk(part: IO[bytes], size: int) -> bytes:
    try:
        return part.read(size)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError):
        raise UnreadableWorkbook(R_CORRUPT) from None


def _shared_string_ok(piece: bytes, before: int, limit: int) -> None:
    """Refuse if a piece (one ``<si>``, or several when end tags were written oddly) holds a
    string over the limit; ``before``: characters of the first string in earlier chunks."""
    for k, element in enumerate(_SI_END.split(piece)):
        carried = before if k == 0 else 0
        if carried or len(element) > limit:  # shorter ones cannot hold more characters
            n = carried + text_chars(element)
            if n > limit:
                raise UnreadableWorkbook(_long_shared_string(n, limit))


def _long_shared_string(n: int, limit: int, *, partial: bool = False) -> str:
    count = f"读到第 {n:,} 个字符时停止" if partial else f"共 {n:,} 个字符"
    return (
        f"文件中有单元格的文字超过 Excel 单元格最多 {limit:,} 个字符的上限（max_cell_chars；"
        f"{count}），已拒绝读取；请找到并删减这个单元格的内容后再提交"
    )


_F_ELEMENT = re.compile(
    rb"<([^\s/>=<]*?:?f)(?=[\s/>])[^>]*/>|<([^\s/>=<]*?:?f)(?=[\s/>])[^>]*>.*?</\2\s*>", re.S
)


_RPH_ELEMENT = re.compile(rb"<([^\s/>=<]*?:?rPh)(?=[\s/>])[^>]*>.*?</\1\s*>", re.S)


_ANY_TAG = re.compile(rb"<[^>]*>?")


_ENTITY_OR_ESCAPE = re.compile(rb"&(?:#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z][\w.-]*);|_x[0-9A-Fa-f]{4}_")


def text_chars(fragment: bytes) -> int:
    """Characters of the text in an XML fragment, as calamine would read it: no formula text,
    no phonetic guide, no markup; an entity or an ``_xHHHH_`` escape is one character."""
    text = _ANY_TAG.sub(b"", _RPH_ELEMENT.sub(b"", _F_ELEMENT.sub(b"", fragment)))
    text = _ENTITY_OR_ESCAPE.sub(b"&", text)
    return len(text.decode("utf-8", errors="replace"))
