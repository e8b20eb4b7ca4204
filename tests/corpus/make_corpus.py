"""Build the corpus of hostile and broken community files into a folder (nothing is committed).

Every file is made here from code: good ledgers with the project's template writer, damaged and
odd ones with XlsxWriter or byte by byte (zip parts, an OLE2 container with a BIFF8 stream), and
the big ones cheaply — a million rows are compressed once and shared by two files, the zip bomb
repeats one compressed megabyte of spaces 3,072 times (a 3 MB file declaring a 3 GiB sheet), the
10 MB cell compresses to a few kilobytes. Building everything takes a few seconds.

    build(folder)        the corpus: {file name: path}; every case of ``CASES``
    build_twins(folder)  the clean twin of each readable case, written the same way
    python tests/corpus/make_corpus.py OUT_DIR   (to look at the files)
"""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
from isal import isal_zlib

from xlhfjz.model.schema import BASIC_INFO, BY_NAME, LEDGERS, TEMPLATE_VERSION
from xlhfjz.sample import CommunitySample, default_basic, generate_community
from xlhfjz.xlsx.community import write_community_workbook

Rows = list[list[Any]]

# ── what is planted ─────────────────────────────────────────────────────────────────────────

#: Cell texts that a spreadsheet would run as formulas if they were written as formulas.
HOSTILE_TEXTS = (
    '=HYPERLINK("http://x","点我")',
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "+1+1",
    "-2+3",
)
#: Rare characters: an emoji, CJK Extension B (U+20000) and A (U+3400), C0 controls.
UNICODE_TEXTS = {
    "theme": "防范非法集资😀宣传𠀀㐀",
    "location": "社区\x01广场\x07东侧\x1f",
    "evidence": "照片😀𠀀",
}
UNICODE_NAME = "𠀁㐁"  # a 志愿者.姓名 of rare characters (U+20001, U+3401)
MILLION = 1_000_000
TEN_MB = 10 * 1024 * 1024
BOMB_BYTES = 3 << 30  # what the zip bomb's sheet inflates to

#: Sheets the template holds that validate_file reads.
LEDGER_NAMES = [s.name for s in LEDGERS]


@dataclass(frozen=True)
class Community:
    """A readable case or a good file: the community the file claims to be."""

    name: str
    code: str
    seed: int


#: Readable files, each its own community (so that none supersedes another in a merge).
COMMUNITIES: dict[str, Community] = {
    "good_a.xlsx": Community("甲社区", "370303009101", 101),
    "good_b.xlsx": Community("乙社区", "370303009102", 102),
    "headers_renamed_duplicated_reordered.xlsx": Community("丙社区", "370303009103", 103),
    "all_columns_hidden.xlsx": Community("丁社区", "370303009104", 104),
    "merged_cells_in_data.xlsx": Community("戊社区", "370303009105", 105),
    "error_values.xlsx": Community("己社区", "370303009106", 106),
    "formulas_everywhere.xlsx": Community("庚社区", "370303009107", 107),
    "date1904.xlsx": Community("辛社区", "370303009108", 108),
    "unicode_emoji_rare_cjk_controls.xlsx": Community("壬社区", "370303009109", 109),
    "formula_like_texts.xlsx": Community("癸社区", "370303009110", 110),
    "phones_typed_as_numbers.xlsx": Community("子社区", "370303009111", 111),
}
GOOD = ("good_a.xlsx", "good_b.xlsx")


def sample(community: Community) -> CommunitySample:
    """The clean data of a community (small: every ledger has a few rows)."""
    return generate_community(
        community.seed, default_basic(community.name, community.code), scale=0.6
    )


def samples() -> dict[str, CommunitySample]:
    """The data each readable case was built from, before its twist (for the privacy checks)."""
    return {name: sample(c) for name, c in COMMUNITIES.items()}


# ── sheets laid out like the contract (independent of our template writer) ──────────────────


def standard_sheets(s: CommunitySample) -> dict[str, Rows]:
    """Title row, header row, data from row 3; 基本信息 as key–value; ``_meta``."""
    sheets: dict[str, Rows] = {
        BASIC_INFO.name: [["项目", "值", "说明"]]
        + [[f.label, s.basic.get(f.id), ""] for f in BASIC_INFO.fields]
    }
    for sheet in LEDGERS:
        rows: Rows = [[sheet.title], [f.label for f in sheet.fields]]
        rows += [list(r) for r in s.data.get(sheet.name, [])]
        sheets[sheet.name] = rows
    sheets["_meta"] = [["template_version", TEMPLATE_VERSION]]
    return sheets


def _col(sheet: str, fid: str) -> int:
    return [f.id for f in BY_NAME[sheet].fields].index(fid)


def _serial(day: dt.date, date1904: bool) -> int:
    epoch = dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 30)
    return (day - epoch).days


def write_sheets(
    path: Path,
    sheets: Mapping[str, Sequence[Sequence[Any]]],
    *,
    date1904: bool = False,
    hide_columns: bool = False,
    as_formulas: bool = False,
    merges: Sequence[tuple[str, int, int, int, int]] = (),
    errors: Mapping[tuple[str, int, int], tuple[str, str]] | None = None,
) -> Path:
    """Write rows with XlsxWriter: texts stay texts, dates are dates.

    ``as_formulas`` writes every data cell (ledgers from row 3, 基本信息 column B) as a formula
    whose cached value is the value; ``merges`` are (sheet, first row, first col, last row,
    last col), 0-based, keeping the first cell's value; ``errors[(sheet, row0, col0)] =
    (formula, "#N/A")`` writes formulas whose cached value is an Excel error.
    """
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "date_1904": date1904,
        },
    )
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    sheets = {name: [list(r) for r in rows] for name, rows in sheets.items()}
    for sheet, r1, c1, r2, c2 in merges:  # Excel keeps only the first cell of a merged range
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1) and c < len(sheets[sheet][r]):
                    sheets[sheet][r][c] = None
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        first_data = 1 if name == BASIC_INFO.name else 2
        width = max((len(r) for r in rows), default=1)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None or v == "":
                    continue
                formula = (
                    as_formulas
                    and name != "_meta"
                    and r >= first_data
                    and (name != BASIC_INFO.name or c == 1)
                )
                _put(ws, r, c, v, day, formula, date1904)
        for sheet, r1, c1, r2, c2 in merges:
            if sheet == name:
                ws.merge_range(r1, c1, r2, c2, None)
                _put(ws, r1, c1, rows[r1][c1], day, False, date1904)
        for (sheet, r, c), (formula, cached) in (errors or {}).items():
            if sheet == name:
                ws.write_formula(r, c, formula, None, cached)
        if hide_columns:
            ws.set_column(0, width - 1, None, None, {"hidden": True})
    wb.close()
    return path


def _put(ws: Any, r: int, c: int, v: Any, day: Any, formula: bool, date1904: bool) -> None:
    if isinstance(v, str):
        if formula:
            ws.write_formula(r, c, '="' + v.replace('"', '""') + '"', None, v)
        else:
            ws.write_string(r, c, v)
    elif isinstance(v, dt.date):
        if formula:
            ws.write_formula(r, c, f"=DATE({v.year},{v.month},{v.day})", day, _serial(v, date1904))
        else:
            ws.write_datetime(r, c, v, day)
    elif isinstance(v, bool):
        ws.write_boolean(r, c, v)
    elif formula:
        ws.write_formula(r, c, f"={v}", None, v)
    else:
        ws.write_number(r, c, v)


# ── zip parts written by hand ──────────────────────────────────────────────────────────────

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)  # &lol9; expands to 10^9 "lol": 3 GB


def _sheet_xml(rows_xml: str, dimension: str | None = None) -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'{XML_DECL}<worksheet xmlns="{MAIN_NS}">{dim}<sheetData>{rows_xml}</sheetData></worksheet>'
    ).encode()


def book_parts(
    sheets: Mapping[str, bytes], shared: bytes | None = None, workbook_prolog: str = ""
) -> dict[str, bytes]:
    """The parts of a minimal workbook holding these sheet XMLs (and shared strings)."""
    names = list(sheets)
    ct_sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(names) + 1)
    )
    ct_shared = (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sharedStrings+xml"/>'
        if shared is not None
        else ""
    )
    content_types = (
        f'{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        f'officedocument.spreadsheetml.sheet.main+xml"/>{ct_sheets}{ct_shared}</Types>'
    )
    root_rels = (
        f'{XML_DECL}<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    sheet_list = "".join(
        f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1)
    )
    workbook = (
        f'{XML_DECL}{workbook_prolog}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        f"<sheets>{sheet_list}</sheets></workbook>"
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(names) + 1)
    )
    if shared is not None:
        rels += (
            f'<Relationship Id="rId{len(names) + 1}" Type="{REL_NS}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
        )
    parts = {
        "[Content_Types].xml": content_types.encode(),
        "_rels/.rels": root_rels.encode(),
        "xl/workbook.xml": workbook.encode(),
        "xl/_rels/workbook.xml.rels": (
            f'{XML_DECL}<Relationships xmlns="{PKG_REL_NS}">{rels}</Relationships>'
        ).encode(),
    }
    for i, data in enumerate(sheets.values(), 1):
        parts[f"xl/worksheets/sheet{i}.xml"] = data
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    return parts


def write_zip(path: Path, parts: Mapping[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


@dataclass(frozen=True)
class Deflated:
    """A part given as a raw deflate stream, with the sizes the zip directory will declare."""

    stream: bytes
    crc: int
    size: int


def write_raw_zip(path: Path, parts: Mapping[str, bytes | Deflated]) -> Path:
    """A zip written field by field, so that a part can be pre-compressed (and can lie)."""
    out = io.BytesIO()
    central = []
    for name, part in parts.items():
        if isinstance(part, Deflated):
            stream, crc, size = part.stream, part.crc, part.size
        else:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            stream, crc, size = c.compress(part) + c.flush(), zlib.crc32(part), len(part)
        raw = name.encode()
        offset = out.tell()
        fields = (20, 0x0800, 8, 0, 0x21, crc, len(stream), size, len(raw))
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields, 0) + raw)
        out.write(stream)
        central.append(
            struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset)
            + raw
        )
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    n = len(central)
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n, n, len(directory), start, 0))
    path.write_bytes(out.getvalue())
    return path


# CRC-32 of A + B from crc(A), crc(B) and len(B): ISA-L's (zlib's algorithm), as sheetdata uses
crc32_combine = isal_zlib.crc32_combine


def _deflate_piece(data: bytes, level: int = 6) -> bytes:
    """Raw deflate of ``data`` ending byte-aligned and not final: pieces can be concatenated."""
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)


def _deflate_last(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _concat(head: bytes, middle: tuple[bytes, int, int], tail: bytes) -> Deflated:
    """head + middle (its stream, CRC and size) + tail as one deflate stream."""
    stream, crc, size = middle
    whole = crc32_combine(crc32_combine(zlib.crc32(head), crc, size), zlib.crc32(tail), len(tail))
    return Deflated(
        _deflate_piece(head) + stream + _deflate_last(tail), whole, len(head) + size + len(tail)
    )


def _spaces(total: int) -> tuple[bytes, int, int]:
    """``total`` spaces (a multiple of 1 MiB) as a deflate stream: one block, repeated."""
    block = b" " * (1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    assert first == again  # a full flush forgets everything: the same input, the same bytes
    n = total // len(block)
    crc, length, power_crc, power_len, k = 0, 0, zlib.crc32(block), len(block), n
    while k:
        if k & 1:
            crc, length = crc32_combine(crc, power_crc, power_len), length + power_len
        power_crc, power_len = crc32_combine(power_crc, power_crc, power_len), 2 * power_len
        k >>= 1
    return first * n, crc, length


def _million_rows() -> tuple[bytes, int, int]:
    """Rows 1…1,000,000 of 志愿者 (a number in column B), compressed once."""
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    pieces, crc, size = [], 0, 0
    for start in range(1, MILLION + 1, 50_000):
        chunk = "".join(
            f'<row r="{r}"><c r="B{r}"><v>{r}</v></c></row>' for r in range(start, start + 50_000)
        ).encode()
        pieces.append(c.compress(chunk))
        crc, size = zlib.crc32(chunk, crc), size + len(chunk)
    pieces.append(c.flush(zlib.Z_FULL_FLUSH))
    return b"".join(pieces), crc, size


# ── an Excel 97-2003 workbook: OLE2 compound file with a BIFF8 "Workbook" stream ────────────


def _record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _biff8_workbook(sheet: str, cells: Sequence[tuple[int, int, Any]]) -> bytes:
    name = sheet.encode("utf-16-le")
    bof = struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6)
    xf = bytes(20)
    globals_ = [
        _record(0x0809, bof),
        _record(0x0042, struct.pack("<H", 1200)),  # CODEPAGE: UTF-16
        _record(0x00E0, xf),  # one XF
    ]
    sheet_bof = struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 6)
    rows = max(r for r, _, _ in cells) + 1
    cols = max(c for _, c, _ in cells) + 1
    body = [_record(0x0809, sheet_bof), _record(0x0200, struct.pack("<IIHHH", 0, rows, 0, cols, 0))]
    for r, c, v in cells:
        if isinstance(v, str):
            text = v.encode("utf-16-le")
            body.append(_record(0x0204, struct.pack("<HHHHB", r, c, 0, len(v), 1) + text))
        else:
            body.append(_record(0x0203, struct.pack("<HHHd", r, c, 0, float(v))))
    body.append(_record(0x000A, b""))
    boundsheet_len = 4 + 8 + len(name)
    head_len = sum(map(len, globals_)) + boundsheet_len + 4  # + EOF
    pad = b"\x00" * max(0, 4200 - head_len - sum(map(len, body)))  # ≥ 4096: no mini stream
    offset = head_len + len(pad)
    boundsheet = _record(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(sheet), 1) + name)
    return b"".join([*globals_, boundsheet, _record(0x000A, b""), pad, *body])


def ole2(streams: Mapping[str, bytes]) -> bytes:
    """A version-3 compound file holding the given streams (each ≥ 4096 bytes)."""
    sector = 512
    end, free, fat_sect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    names = list(streams)
    fat = [fat_sect, end]  # sector 0: the FAT; sector 1: the directory
    starts = []
    for name in names:
        n = -(-len(streams[name]) // sector)
        starts.append(len(fat))
        fat += [len(fat) + k + 1 for k in range(n - 1)] + [end]
    assert len(fat) <= sector // 4 and len(names) <= 3
    fat += [free] * (sector // 4 - len(fat))

    def entry(
        name: str, kind: int, left: int, right: int, child: int, start: int, size: int
    ) -> bytes:
        raw = (name + "\0").encode("utf-16-le") if name else b""
        return struct.pack(
            "<64sHBBIII16sIQQIQ", raw, len(raw), kind, 1, left, right, child, bytes(16), 0, 0, 0,
            start, size,
        )  # fmt: skip

    entries = [entry("Root Entry", 5, nostream, nostream, 1 if names else nostream, end, 0)]
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else nostream
        entries.append(entry(name, 2, nostream, right, nostream, starts[i], len(streams[name])))
    entries += [entry("", 0, nostream, nostream, nostream, 0, 0)] * (4 - len(entries))
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", bytes(16), 0x003E, 3, 0xFFFE, 9, 6, bytes(6),
        0, 1, 1, 0, 4096, end, 0, end, 0,
    ) + struct.pack("<109I", 0, *([free] * 108))  # fmt: skip
    body = struct.pack("<128I", *fat) + b"".join(entries)
    for name in names:
        data = streams[name]
        body += data + bytes(-len(data) % sector)
    return header + body


def xls_bytes() -> bytes:
    """A real (tiny) Excel 97-2003 workbook: sheet 志愿者 with a header and one row."""
    cells = [(0, 0, "姓名"), (0, 1, "手机"), (1, 0, "王芳"), (1, 1, "13853300001")]
    return ole2({"Workbook": _biff8_workbook("志愿者", cells)})


# ── the corpus ─────────────────────────────────────────────────────────────────────────────


def _good(path: Path, community: Community) -> Path:
    s = sample(community)
    return write_community_workbook(path, basic=s.basic, data=s.data)


def _with_sheet_rows_replaced(
    src: Path, dst: Path, sheet: str, change: Callable[[bytes], bytes]
) -> Path:
    """Copy a workbook written by our template, changing one sheet's XML."""
    index = [s.name for s in LEDGERS].index(sheet) + 3  # 使用说明, 基本信息, then the ledgers
    part = f"xl/worksheets/sheet{index}.xml"
    with zipfile.ZipFile(src) as zin:
        parts = {info.filename: zin.read(info) for info in zin.infolist()}
    parts[part] = change(parts[part])
    return write_zip(dst, parts)


def _headers_messed(path: Path, community: Community) -> Path:
    sheets = standard_sheets(sample(community))
    vol = sheets["志愿者"]
    vol[1][_col("志愿者", "mobile")] = "手机号码"  # renamed
    pub = sheets["宣传活动"]
    theme = _col("宣传活动", "theme")
    for row in pub[1:]:
        row.append(row[theme] if len(row) > theme else None)  # 活动主题 twice
    org = sheets["组织机构"]
    sheets["组织机构"] = [org[0]] + [list(reversed(r)) for r in org[1:]]  # reordered
    return write_sheets(path, sheets)


def _merged_cells(path: Path, community: Community) -> Path:
    sheets = standard_sheets(sample(community))
    day, theme, place = (_col("宣传活动", f) for f in ("activity_date", "theme", "location"))
    # 活动日期 merged down Excel rows 3–5; 活动主题 merged across 活动地点 in row 6
    return write_sheets(
        path, sheets, merges=[("宣传活动", 2, day, 4, day), ("宣传活动", 5, theme, 5, place)]
    )


def _error_values(path: Path, community: Community) -> Path:
    sheets = standard_sheets(sample(community))
    errors = {
        ("宣传活动", 2, _col("宣传活动", "staff_count")): ("=NA()", "#N/A"),
        ("宣传活动", 2, _col("宣传活动", "activity_date")): ("=#REF!", "#REF!"),
        ("宣传活动", 3, _col("宣传活动", "audience")): ("=1/0", "#DIV/0!"),
        ("宣传活动", 4, _col("宣传活动", "theme")): ("=VLOOKUP(0,A1:A2,2,FALSE)", "#N/A"),
    }
    return write_sheets(path, sheets, errors=errors)


def _unicode(path: Path, community: Community) -> Path:
    s = sample(community)
    for fid, text in UNICODE_TEXTS.items():
        s.set("宣传活动", 0, fid, text)
    s.set("志愿者", 0, "name", UNICODE_NAME)
    return write_community_workbook(path, basic=s.basic, data=s.data)


def _formula_like(path: Path, community: Community) -> Path:
    s = sample(community)
    for i, text in enumerate(HOSTILE_TEXTS[:4]):
        s.set("宣传活动", i, "theme", text)
    s.set("宣传活动", 0, "location", HOSTILE_TEXTS[4])
    s.set("宣传活动", 0, "staff_count", "+1+1")  # text in an int column
    return write_community_workbook(path, basic=s.basic, data=s.data)


def _phones_as_numbers(path: Path, community: Community) -> Path:
    """Mobiles typed as numbers (Excel shows 13853300001, the cell holds a number)."""
    s = sample(community)
    for sheet in LEDGERS:
        for i, f in enumerate(sheet.fields):
            if f.type in ("mobile", "phone"):
                for row in s.data.get(sheet.name, []):
                    if isinstance(row[i], str) and row[i].isdigit() and len(row[i]) == 11:
                        row[i] = int(row[i])
    return write_sheets(path, standard_sheets(s))


def _readable(name: str, path: Path) -> Path:
    community = COMMUNITIES[name]
    builders: dict[str, Callable[[Path, Community], Path]] = {
        "good_a.xlsx": _good,
        "good_b.xlsx": _good,
        "headers_renamed_duplicated_reordered.xlsx": _headers_messed,
        "all_columns_hidden.xlsx": lambda p, c: write_sheets(
            p, standard_sheets(sample(c)), hide_columns=True
        ),
        "merged_cells_in_data.xlsx": _merged_cells,
        "error_values.xlsx": _error_values,
        "formulas_everywhere.xlsx": lambda p, c: write_sheets(
            p, standard_sheets(sample(c)), as_formulas=True
        ),
        "date1904.xlsx": lambda p, c: write_sheets(p, standard_sheets(sample(c)), date1904=True),
        "unicode_emoji_rare_cjk_controls.xlsx": _unicode,
        "formula_like_texts.xlsx": _formula_like,
        "phones_typed_as_numbers.xlsx": _phones_as_numbers,
    }
    return builders[name](path, community)


#: Readable cases written by our template; the others are written by :func:`write_sheets`.
TEMPLATE_WRITTEN = frozenset(
    {*GOOD, "unicode_emoji_rare_cjk_controls.xlsx", "formula_like_texts.xlsx"}
)


def build_twins(folder: Path) -> dict[str, Path]:
    """The clean twin of every readable case: the same community's data, written by the same
    writer, without the twist — so a test can tell exactly which issues the twist caused."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, community in COMMUNITIES.items():
        if name in TEMPLATE_WRITTEN:
            out[name] = _good(folder / name, community)
        else:
            out[name] = write_sheets(folder / name, standard_sheets(sample(community)))
    return out


def build(folder: Path) -> dict[str, Path]:
    """Write every case into ``folder``; return {file name: path}."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        (folder / name).write_bytes(data)
        out[name] = folder / name

    for name in COMMUNITIES:
        out[name] = _readable(name, folder / name)
    good = (folder / "good_a.xlsx").read_bytes()

    # files that are not (readable) workbooks at all
    put("not_a_zip.xlsx", bytes(range(256)) * 64)
    put("truncated.xlsx", good[: len(good) // 2])
    put("xls_renamed.xlsx", xls_bytes())
    put(
        "csv_renamed.xlsx",
        "\ufeff社区代码,社区名称,志愿者姓名,手机\n370303009201,测试社区,王芳,13853300001\n".encode(),
    )
    put(
        "html_renamed.xlsx",
        (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>导出</title></head><body>"
            "<table><tr><th>姓名</th><th>手机</th></tr><tr><td>王芳</td><td>13853300001</td></tr>"
            "</table></body></html>"
        ).encode(),
    )
    put("encrypted.xlsx", _encrypted(good))
    put("empty_0_bytes.xlsx", b"")

    # readable workbooks that are not ledgers
    wb = xlsxwriter.Workbook(str(folder / "empty_workbook.xlsx"))
    wb.add_worksheet()
    wb.close()
    out["empty_workbook.xlsx"] = folder / "empty_workbook.xlsx"
    out["none_of_the_sheets.xlsx"] = write_sheets(
        folder / "none_of_the_sheets.xlsx",
        {"Sheet1": [["姓名", "手机"], ["王芳", "13853300001"]], "数据": [["备注"], ["无"]]},
    )
    out["blank_template.xlsx"] = write_community_workbook(folder / "blank_template.xlsx")

    # hostile: limits, bombs
    out["far_cell_XFD1048576.xlsx"] = _with_sheet_rows_replaced(
        folder / "good_b.xlsx",
        folder / "far_cell_XFD1048576.xlsx",
        "志愿者",
        lambda xml: xml.replace(
            b"</sheetData>",
            b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>',
        ),
    )
    for name, sheet in crafted_sheets().items():
        out[name] = write_zip(folder / name, book_parts({"志愿者": sheet}))
    rows = _million_rows()
    head = f'{XML_DECL}<worksheet xmlns="{MAIN_NS}">{{}}<sheetData>'
    tail = b"</sheetData></worksheet>"
    for name, dim in (
        ("rows_1000000.xlsx", f'<dimension ref="A1:B{MILLION}"/>'),
        ("rows_1000000_no_dimension.xlsx", ""),
    ):
        parts: dict[str, bytes | Deflated] = dict(book_parts({"志愿者": b""}))
        parts["xl/worksheets/sheet1.xml"] = _concat(head.format(dim).encode(), rows, tail)
        out[name] = write_raw_zip(folder / name, parts)
    text = ten_mb_text()
    shared = (
        f'{XML_DECL}<sst xmlns="{MAIN_NS}" count="2" uniqueCount="2"><si><t>活动主题</t></si>'
        f"<si><t>{text}</t></si></sst>"
    ).encode()
    cells = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="3"><c r="A3" t="s"><v>1</v></c></row>'
    )
    out["cell_10MB_shared.xlsx"] = write_zip(
        folder / "cell_10MB_shared.xlsx",
        book_parts({"宣传活动": _sheet_xml(cells, "A1:A3")}, shared=shared),
    )
    # the same, but the part named with a backslash as Windows zip tools write it: calamine
    # still finds and reads it, so the checks must too
    parts = book_parts({"宣传活动": _sheet_xml(cells, "A1:A3")}, shared=shared)
    parts["xl\\sharedStrings.xml"] = parts.pop("xl/sharedStrings.xml")
    out["cell_10MB_shared_backslash.xlsx"] = write_zip(
        folder / "cell_10MB_shared_backslash.xlsx", parts
    )
    # 1,000,001 tiny shared strings (each different: the part compresses only ~6:1)
    many = "".join(f"<si><t>{k:x}</t></si>" for k in range(1_000_001))
    out["shared_strings_1000001.xlsx"] = write_zip(
        folder / "shared_strings_1000001.xlsx",
        book_parts(
            {"宣传活动": _sheet_xml(cells, "A1:A3")},
            shared=f'{XML_DECL}<sst xmlns="{MAIN_NS}"><si><t>活动主题</t></si>{many}</sst>'.encode(),
        ),
    )
    # 100,001 cell formats
    xfs = "".join(f'<xf numFmtId="{k % 164}" fontId="0" xfId="{k}"/>' for k in range(100_001))
    parts = book_parts({"宣传活动": _sheet_xml(cells, "A1:A3")})
    parts["xl/styles.xml"] = (
        f'{XML_DECL}<styleSheet xmlns="{MAIN_NS}"><cellXfs count="100001">{xfs}</cellXfs>'
        "</styleSheet>"
    ).encode()
    out["styles_100001.xlsx"] = write_zip(folder / "styles_100001.xlsx", parts)
    inline = f'<row r="3"><c r="C3" t="inlineStr"><is><t>{text}</t></is></c></row>'
    out["cell_10MB_inline.xlsx"] = write_zip(
        folder / "cell_10MB_inline.xlsx", book_parts({"宣传活动": _sheet_xml(inline, "C3")})
    )
    bomb = _spaces(BOMB_BYTES)
    head_b = f'{XML_DECL}<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
    for name, declared in (("zip_bomb.xlsx", None), ("zip_bomb_lying_sizes.xlsx", 1 << 20)):
        parts = dict(book_parts({"志愿者": b""}))
        sheet = _concat(head_b, bomb, tail)
        if declared is not None:  # the directory says 1 MiB: only the CRC can tell
            sheet = Deflated(sheet.stream, sheet.crc, declared)
        parts["xl/worksheets/sheet1.xml"] = sheet
        out[name] = write_raw_zip(folder / name, parts)
    laugh_sheet = (
        f'{XML_DECL}{LAUGHS.replace("lolz", "worksheet")}<worksheet xmlns="{MAIN_NS}">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    out["billion_laughs_sheet.xlsx"] = write_zip(
        folder / "billion_laughs_sheet.xlsx", book_parts({"志愿者": laugh_sheet})
    )
    laugh_shared = (
        f'{XML_DECL}{LAUGHS.replace("lolz", "sst")}<sst xmlns="{MAIN_NS}" count="1" '
        'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    ).encode()
    out["billion_laughs_shared_strings.xlsx"] = write_zip(
        folder / "billion_laughs_shared_strings.xlsx",
        book_parts(
            {"志愿者": _sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', "A1")},
            shared=laugh_shared,
        ),
    )
    out["billion_laughs_workbook.xlsx"] = write_zip(
        folder / "billion_laughs_workbook.xlsx",
        book_parts(
            {"志愿者": _sheet_xml("", "A1")}, workbook_prolog=LAUGHS.replace("lolz", "workbook")
        ),
    )
    return out


def crafted_sheets() -> dict[str, bytes]:
    """Tiny sheets (志愿者) whose cells calamine would place far away — each would make it ask
    for hundreds of gigabytes and abort the process — written in every way calamine reads a
    position: a second r attribute (the last one wins), quotes and spaces, lowercase letters and
    leading zeros, cells without r after many empty ones, cells with a namespace prefix; and
    one sheet just wide enough to break the cell budget."""
    far = '<row r="1"><c r="A1"><v>1</v></c></row>'
    return {
        "far_cell_second_r_attribute.xlsx": _sheet_xml(
            '<row r="1"><c r="A1" r="XFD1048576"><v>1</v></c></row>', "A1"
        ),
        "far_cell_quotes_and_spaces.xlsx": _sheet_xml(
            far + "<row r='1048576'><c r = 'XFD1048576'><v>1</v></c></row>", "A1"
        ),
        "far_cell_lowercase_and_zeros.xlsx": _sheet_xml(
            far + '<row r="1048576"><c r="xfd0001048576"><v>1</v></c></row>', "A1:B2"
        ),
        "far_cell_without_r.xlsx": _sheet_xml(
            '<row r="1048576">' + "<c/>" * 16_000 + "<c><v>2</v></c></row>", "A1:A2"
        ),
        "far_cell_prefixed_elements.xlsx": _sheet_xml(
            '<row r="1048576"><c r="A1"><v>1</v></c>'
            + "<x:c/>" * 16_000
            + "<x:c><x:v>2</x:v></x:c></row>",
            "A1",
        ),
        "wide_sheet_over_max_cells.xlsx": _sheet_xml(
            far + '<row r="400"><c r="XFD400"><v>1</v></c></row>', "A1"
        ),
    }


def ten_mb_text() -> str:
    """10 MB of Chinese text (UTF-8) that compresses about 80:1 — under the zip-bomb ratio, so it
    is the cell limit that refuses it: a random 20 KB stretch, repeated (deflate finds the
    repeats inside its 32 KB window)."""
    rng = random.Random(10)
    block = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(20_000 // 3))
    return block * (TEN_MB // len(block.encode()))


def _encrypted(plain: bytes) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt("123456", out)
    return out.getvalue()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    for file, path in build(target).items():
        print(f"{path.stat().st_size:>12,}  {file}")
