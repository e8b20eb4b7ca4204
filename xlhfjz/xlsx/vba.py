"""Compile a ``vbaProject.bin`` from VBA source on any platform, without Office.

XlsxWriter's ``workbook.add_vba_project()`` embeds a binary VBA project, which otherwise only Office
can make. This module writes it from source text, following the published formats:

- [MS-OVBA] 2.3: the ``PROJECT`` and ``PROJECTwm`` streams, the ``VBA/dir`` stream (compressed),
  one compressed source stream per module at ``MODULEOFFSET`` 0 (no p-code), and the
  version-independent ``VBA/_VBA_PROJECT`` header (Version ``0xFFFF``, no performance cache),
  which tells Office that nothing compiled is stored, so it compiles the modules from source;
- [MS-OVBA] 2.4.1 compression and 2.4.3 data encryption (the ``CMG``/``DPB``/``GC`` lines);
- [MS-CFB] version 3 for the compound file around them.

Every value that the formats leave open is the one an Excel-saved project carries (references,
``[Host Extender Info]``, document-module headers), or the exact bytes of the project that xlwings
itself ships in ``quickstart_standalone.xlsm`` (the ``_VBA_PROJECT`` header, ``SYSKIND``). Output is
deterministic: the same modules give the same bytes.

Module sources are ASCII with CRLF line endings, in the form VBA stores them (a ``.bas`` file as
exported; a ``.cls`` export converted by :func:`class_stream_source`).
"""

from __future__ import annotations

import hashlib
import importlib
import re
import struct
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "build_vba_project",
    "class_stream_source",
    "compress",
    "document_module_source",
    "project_modules",
    "remote_project_modules",
    "xlwings_modules",
    "xlwings_remote_modules",
]


def _macros_dir() -> Path:
    """``macros/*.bas`` (ASCII, CRLF): beside the package in a checkout, ``xlhfjz.macros`` when
    installed (pyproject maps the folder into the package, as a namespace package)."""
    checkout = Path(__file__).resolve().parents[2] / "macros"
    if checkout.is_dir():
        return checkout
    macros = importlib.import_module("xlhfjz.macros")  # present only in an installed package
    return Path(next(iter(macros.__path__)))


#: The folder of the workbook macros.
MACROS_DIR = _macros_dir()

MODULE_KINDS = ("module", "class")

# --- [MS-OVBA] constants -------------------------------------------------------------------

#: ``_VBA_PROJECT``: Reserved1 0x61CC, Version 0xFFFF ("MUST be 0xFFFF on write", so no cached
#: p-code is trusted), Reserved2 0x00, Reserved3 (undefined) 0x0001, no PerformanceCache. These are
#: the 7 bytes of the project in xlwings' own quickstart_standalone.xlsm.
VBA_PROJECT_STREAM = b"\xcc\x61\xff\xff\x00\x01\x00"

CODE_PAGE = 1252
_ENCODING = "cp1252"
_LCID = 0x0409  # "MUST be 0x00000409"
_SYSKIND_WIN64 = 0x00000003  # as in Excel-saved projects (xlwings' quickstart, Office 365)
PROJECT_NAME = "VBAProject"
_COOKIE = 0xFFFF  # PROJECTCOOKIE and MODULECOOKIE: "MUST be 0xFFFF on write"
_MODULE_PROCEDURAL = 0x0021
_MODULE_OTHER = 0x0022  # document, class and designer modules

#: The two references Excel puts in a new project (stdole and Office), as Excel writes them.
_REFERENCES = (
    (
        "stdole",
        "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
        "C:\\Windows\\System32\\stdole2.tlb#OLE Automation",
    ),
    (
        "Office",
        "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
        "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL#"
        "Microsoft Office 16.0 Object Library",
    ),
)

#: ``VB_Base`` of Excel's document modules: the workbook, and a worksheet.
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
#: ``VB_Base`` the VBE gives an imported class module.
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}")
_PROJECT_ID_NAMESPACE = uuid.UUID("6f0d2c1e-4b7a-5c55-9a1e-7868686a7a00")

# --- [MS-OVBA] 2.4.1 compression ----------------------------------------------------------

_CHUNK = 4096
_MAX_CANDIDATES = 256  # how many earlier positions a match search tries (speed bound only)


def _compress_chunk(chunk: bytes) -> bytes:
    """The TokenSequences of one DecompressedChunk (2.4.1.3.7), without the chunk header.

    A copy token takes the longest match found (the nearest one on a tie), as 2.4.1.3.19.4 does;
    its length field is masked with ``0xFFFF >> bit_count`` (CopyToken Help, 2.4.1.3.19.1), so a
    match is never longer than ``(0xFFFF >> bit_count) + 3`` bytes.
    """
    out = bytearray()
    end = len(chunk)
    seen: dict[bytes, list[int]] = {}
    pos = 0
    while pos < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            best_len = best_offset = 0
            bit_count = max((pos - 1).bit_length(), 4) if pos else 4
            if pos + 3 <= end:
                limit = min((0xFFFF >> bit_count) + 3, end - pos)
                for cand in reversed(seen.get(chunk[pos : pos + 3], [])[-_MAX_CANDIDATES:]):
                    length = 3
                    while length < limit and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_offset = length, pos - cand
                        if length == limit:
                            break
            if best_len >= 3:
                token = ((best_offset - 1) << (16 - bit_count)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                step = best_len
            else:
                out.append(chunk[pos])
                step = 1
            for p in range(pos, min(pos + step, end - 2)):
                seen.setdefault(chunk[p : p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """A CompressedContainer ([MS-OVBA] 2.4.1) holding ``data``.

    Every chunk is token-compressed (CompressedChunkFlag 1), as Office writes them. A raw chunk is
    used only where the spec allows one, for a full 4096-byte chunk that does not compress (never
    the case for source text); a shorter chunk that does not compress is refused, because a raw
    chunk would pad it with zero bytes.
    """
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        chunk = data[start : start + _CHUNK]
        body = _compress_chunk(chunk)
        if len(body) <= _CHUNK:
            # CompressedChunkSize - 3 in bits 0-11, signature 0b011, CompressedChunkFlag 1.
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3))
            out += body
        elif len(chunk) == _CHUNK:
            out += struct.pack("<H", 0x3000 | (_CHUNK + 2 - 3))
            out += chunk
        else:
            raise ValueError("data does not compress and cannot be stored as a raw chunk")
    return bytes(out)


# --- [MS-OVBA] 2.4.3 data encryption (PROJECT stream CMG, DPB, GC) -------------------------


def _encrypt(project_id: str, data: bytes, seed: int, ignored: bytes | None = None) -> str:
    """Data Encryption (2.4.3.2) as upper-case hex; deterministic: the caller gives the seed,
    and the ``(seed & 6) // 2`` ignored bytes are zero unless given."""
    version = 2
    proj_key = sum(project_id.encode(_ENCODING)) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ proj_key])
    unencrypted_1, encrypted_1, encrypted_2 = proj_key, seed ^ proj_key, seed ^ version
    if ignored is None:
        ignored = bytes((seed & 6) // 2)
    if len(ignored) != (seed & 6) // 2:
        raise ValueError("the seed fixes how many ignored bytes there are")
    plain = ignored + struct.pack("<I", len(data)) + data
    for byte in plain:
        enc = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(enc)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, enc, byte
    return out.hex().upper()


# --- module sources -------------------------------------------------------------------------


def document_module_source(name: str, *, workbook: bool) -> str:
    """The source Excel stores for the workbook's or a worksheet's document module."""
    base = WORKBOOK_BASE if workbook else WORKSHEET_BASE
    return (
        f'Attribute VB_Name = "{name}"\r\n'
        f'Attribute VB_Base = "{base}"\r\n'
        "Attribute VB_GlobalNameSpace = False\r\n"
        "Attribute VB_Creatable = False\r\n"
        "Attribute VB_PredeclaredId = True\r\n"
        "Attribute VB_Exposed = True\r\n"
        "Attribute VB_TemplateDerived = False\r\n"
        "Attribute VB_Customizable = True\r\n"
    )


def class_stream_source(cls_text: str) -> str:
    """A ``.cls`` file as the VBE exports it, converted to the source the VBE stores on import.

    The ``VERSION 1.0 CLASS`` / ``BEGIN`` … ``END`` preamble goes, ``VB_Base`` follows
    ``VB_Name``, and ``VB_TemplateDerived`` / ``VB_Customizable`` follow ``VB_Exposed`` (what
    Excel wrote for xlwings' ``Dictionary`` class in ``quickstart_standalone.xlsm``). Nothing
    else changes.
    """
    lines = cls_text.split("\r\n")
    if lines[0].startswith("VERSION "):
        if "END" not in lines:
            raise ValueError("a .cls export with CRLF line endings and a BEGIN ... END preamble")
        lines = lines[lines.index("END") + 1 :]
    out: list[str] = []
    for line in lines:
        out.append(line)
        if line.startswith("Attribute VB_Name = ") and not any(
            x.startswith("Attribute VB_Base = ") for x in lines
        ):
            out.append(f'Attribute VB_Base = "{CLASS_BASE}"')
        elif line.startswith("Attribute VB_Exposed = ") and not any(
            x.startswith("Attribute VB_TemplateDerived = ") for x in lines
        ):
            out += ["Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"]
    return "\r\n".join(out)


def _read_source(path: Path) -> str:
    return path.read_bytes().decode("ascii")


def xlwings_modules() -> list[tuple[str, str, str]]:
    """xlwings' standalone VBA: the ``xlwings`` module and its ``Dictionary`` class.

    Read from the installed xlwings package, the files that ``xlwings release`` imports into a
    workbook in standalone mode (``xlwings.bas`` and ``addin/Dictionary.cls``), so the VBA always
    matches the Python side. ``xlwings.bas`` is embedded unchanged; the class is converted to its
    stored form by :func:`class_stream_source`.
    """
    import xlwings

    root = Path(xlwings.__file__).resolve().parent
    return [
        ("xlwings", "module", _read_source(root / "xlwings.bas")),
        (
            "Dictionary",
            "class",
            class_stream_source(_read_source(root / "addin" / "Dictionary.cls")),
        ),
    ]


#: xlwings' VBA client of remote mode (``RunRemotePython``), as ``xlwings release`` imports it.
XLWINGS_REMOTE_FILES = (
    "Remote.bas",
    "IWebAuthenticator.cls",
    "WebClient.cls",
    "WebRequest.cls",
    "WebResponse.cls",
    "WebHelpers.bas",
)


def xlwings_remote_modules() -> list[tuple[str, str, str]]:
    """xlwings' remote VBA client from the installed package (``addin/``): the ``Remote`` and
    ``WebHelpers`` modules unchanged, the four ``Web*`` classes in their stored form."""
    import xlwings

    root = Path(xlwings.__file__).resolve().parent / "addin"
    out = []
    for name in XLWINGS_REMOTE_FILES:
        text = _read_source(root / name)
        if name.endswith(".cls"):
            out.append((name[:-4], "class", class_stream_source(text)))
        else:
            out.append((name[:-4], "module", text))
    return out


def remote_project_modules(macros_dir: Path | None = None) -> list[tuple[str, str, str]]:
    """The modules of a community workbook whose buttons call the server: ``macros/remote/*.bas``
    (the same macro names, calling ``RunRemotePython``), xlwings' standalone module (its
    ``GetConfig`` reads ``xlwings.conf``) and :func:`xlwings_remote_modules`."""
    folder = (MACROS_DIR if macros_dir is None else macros_dir) / "remote"
    ours = [(p.stem, "module", _read_source(p)) for p in sorted(folder.glob("*.bas"))]
    if not ours:
        raise FileNotFoundError(f"no .bas files in {folder}")
    return ours + xlwings_modules() + xlwings_remote_modules()


def project_modules(macros_dir: Path | None = None) -> list[tuple[str, str, str]]:
    """The workbook's modules: ``macros/*.bas`` (sorted by name), then :func:`xlwings_modules`."""
    folder = MACROS_DIR if macros_dir is None else macros_dir
    ours = [(p.stem, "module", _read_source(p)) for p in sorted(folder.glob("*.bas"))]
    if not ours:
        raise FileNotFoundError(f"no .bas files in {folder}")
    return ours + xlwings_modules()


# --- the project streams ([MS-OVBA] 2.3) ----------------------------------------------------


@dataclass(frozen=True)
class _Module:
    name: str
    kind: str  # "document", "module" or "class"
    source: bytes


def _check(modules: Sequence[_Module]) -> None:
    seen: set[str] = set()
    for m in modules:
        if not _NAME_RE.fullmatch(m.name):
            raise ValueError(f"not a VBA module name (ASCII identifier, 1-31 chars): {m.name!r}")
        if m.name.casefold() in seen:
            raise ValueError(f"duplicate module name: {m.name!r}")
        seen.add(m.name.casefold())
        text = m.source.decode("ascii")
        if "\r" in text.replace("\r\n", "") or "\n" in text.replace("\r\n", ""):
            raise ValueError(f"module {m.name!r}: line endings must be CRLF")
        if not text.startswith(f'Attribute VB_Name = "{m.name}"\r\n'):
            raise ValueError(f'module {m.name!r} must start with Attribute VB_Name = "{m.name}"')


def _record(rid: int, data: bytes) -> bytes:
    return struct.pack("<HI", rid, len(data)) + data


def _text_record(rid: int, uni_rid: int, text: str) -> bytes:
    return _record(rid, text.encode(_ENCODING)) + _record(uni_rid, text.encode("utf-16-le"))


def _dir_stream(modules: Sequence[_Module]) -> bytes:
    """The decompressed ``dir`` stream (2.3.4.2)."""
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", _SYSKIND_WIN64))
    out += _record(0x0002, struct.pack("<I", _LCID))
    out += _record(0x0014, struct.pack("<I", _LCID))
    out += _record(0x0003, struct.pack("<H", CODE_PAGE))
    out += _record(0x0004, PROJECT_NAME.encode(_ENCODING))
    out += _text_record(0x0005, 0x0040, "")  # DOCSTRING
    out += _record(0x0006, b"") + _record(0x003D, b"")  # HELPFILEPATH
    out += _record(0x0007, struct.pack("<I", 0))  # HELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # LIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # VERSION: Reserved 4, major 1, minor 0
    out += _text_record(0x000C, 0x003C, "")  # CONSTANTS
    for name, libid in _REFERENCES:
        out += _text_record(0x0016, 0x003E, name)  # REFERENCENAME
        lib = libid.encode(_ENCODING)
        out += _record(0x000D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))
    out += _record(0x000F, struct.pack("<H", len(modules)))
    out += _record(0x0013, struct.pack("<H", _COOKIE))
    for m in modules:
        out += _text_record(0x0019, 0x0047, m.name)  # MODULENAME, MODULENAMEUNICODE
        out += _text_record(0x001A, 0x0032, m.name)  # MODULESTREAMNAME
        out += _text_record(0x001C, 0x0048, "")  # MODULEDOCSTRING
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source from byte 0
        out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", _COOKIE))
        kind = _MODULE_PROCEDURAL if m.kind == "module" else _MODULE_OTHER
        out += struct.pack("<HI", kind, 0)  # MODULETYPE
        out += struct.pack("<HI", 0x002B, 0)  # Terminator
    out += struct.pack("<HI", 0x0010, 0)  # Terminator of the dir stream
    return bytes(out)


def _project_stream(modules: Sequence[_Module], project_id: str) -> bytes:
    """The ``PROJECT`` stream (2.3.1): project properties, host extenders, workspace."""
    protection = _encrypt(project_id, struct.pack("<I", 0), 0x10)  # not protected
    password = _encrypt(project_id, bytes([0x00]), 0x12)  # no password
    visibility = _encrypt(project_id, bytes([0xFF]), 0x14)  # visible
    lines = [f'ID="{project_id}"']
    for m in modules:
        if m.kind == "document":
            lines.append(f"Document={m.name}/&H00000000")
        elif m.kind == "class":
            lines.append(f"Class={m.name}")
        else:
            lines.append(f"Module={m.name}")
    lines += [
        f'Name="{PROJECT_NAME}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{protection}"',
        f'DPB="{password}"',
        f'GC="{visibility}"',
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return ("\r\n".join(lines) + "\r\n").encode(_ENCODING)


def _projectwm_stream(modules: Sequence[_Module]) -> bytes:
    """The ``PROJECTwm`` stream (2.3.3): each module name in MBCS and UTF-16."""
    out = bytearray()
    for m in modules:
        out += m.name.encode(_ENCODING) + b"\x00" + m.name.encode("utf-16-le") + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def build_vba_project(
    modules: Iterable[tuple[str, str, str]], *, document_modules: Sequence[str]
) -> bytes:
    """A ``vbaProject.bin`` holding ``modules`` after the document modules.

    ``modules`` are ``(name, kind, source)`` with kind ``"module"`` (standard) or ``"class"``;
    the source is the stored form (ASCII, CRLF, starting with ``Attribute VB_Name = "name"``).
    ``document_modules`` are the code names of the workbook (first) and of its worksheets, which
    must equal what XlsxWriter writes (``set_vba_name``; by default ``ThisWorkbook``, ``Sheet1``,
    …); each gets the empty document module Excel makes.

    Raises ``ValueError`` for a name that is not a VBA identifier, a duplicate, a source that is
    not ASCII/CRLF or does not name its module, or an unknown kind.
    """
    if not document_modules:
        raise ValueError("document_modules needs at least the workbook's code name")
    mods: list[_Module] = [
        _Module(name, "document", document_module_source(name, workbook=i == 0).encode("ascii"))
        for i, name in enumerate(document_modules)
    ]
    for name, kind, source in modules:
        if kind not in MODULE_KINDS:
            raise ValueError(f"module {name!r}: kind must be one of {MODULE_KINDS}, not {kind!r}")
        try:
            data = source.encode("ascii")
        except UnicodeEncodeError as exc:
            raise ValueError(f"module {name!r}: source must be ASCII ({exc})") from None
        mods.append(_Module(name, kind, data))
    _check(mods)

    digest = hashlib.sha256()
    for m in mods:
        digest.update(f"{m.kind}:{m.name}:".encode() + m.source + b"\x00")
    project_id = "{" + str(uuid.uuid5(_PROJECT_ID_NAMESPACE, digest.hexdigest())).upper() + "}"

    vba = _Storage("VBA")
    vba.add(_Stream("_VBA_PROJECT", VBA_PROJECT_STREAM))
    vba.add(_Stream("dir", compress(_dir_stream(mods))))
    for m in mods:
        vba.add(_Stream(m.name, compress(m.source)))
    root = _Storage("Root Entry")
    root.add(vba)
    root.add(_Stream("PROJECT", _project_stream(mods, project_id)))
    root.add(_Stream("PROJECTwm", _projectwm_stream(mods)))
    return _write_cfb(root)


# --- [MS-CFB] version 3 writer --------------------------------------------------------------

_SECTOR = 512
_MINI_SECTOR = 64
_MINI_CUTOFF = 4096
_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF
_BLACK = 1


@dataclass
class _Stream:
    name: str
    data: bytes


@dataclass
class _Storage:
    name: str
    children: list[_Stream | _Storage] = field(default_factory=list)

    def add(self, child: _Stream | _Storage) -> None:
        self.children.append(child)


def _cfb_key(name: str) -> tuple[int, str]:
    """Sibling order of [MS-CFB] 2.6.4: shorter names first, then by upper-cased name."""
    return (len(name.encode("utf-16-le")), name.upper())


def _write_cfb(root: _Storage) -> bytes:
    """A version 3 compound file (512-byte sectors) of ``root``'s tree.

    Each storage's children form a balanced binary search tree, all nodes black (the simplest
    valid red-black tree, [MS-CFB] 2.6.4). Streams under 4096 bytes go to the mini stream. All
    CLSIDs, state bits and timestamps are zero.
    """
    entries: list[_Stream | _Storage] = []
    links: dict[int, list[int]] = {}  # entry index -> [left, right, child]

    def visit(node: _Stream | _Storage) -> int:
        index = len(entries)
        entries.append(node)
        links[index] = [_NOSTREAM, _NOSTREAM, _NOSTREAM]
        if isinstance(node, _Storage):
            names = {c.name.upper() for c in node.children}
            if len(names) != len(node.children):
                raise ValueError(f"duplicate names in storage {node.name!r}")
            kids = sorted(node.children, key=lambda c: _cfb_key(c.name))
            ids = [visit(c) for c in kids]
            links[index][2] = balance(ids)
        return index

    def balance(ids: list[int]) -> int:
        if not ids:
            return _NOSTREAM
        mid = len(ids) // 2
        links[ids[mid]][0] = balance(ids[:mid])
        links[ids[mid]][1] = balance(ids[mid + 1 :])
        return ids[mid]

    visit(root)
    for node in entries:
        if len(node.name) > 31:
            raise ValueError(f"compound file names have at most 31 characters: {node.name!r}")

    # Stream data: small streams to the mini stream, large ones to sectors of their own.
    mini = bytearray()
    minifat: list[int] = []
    big: list[tuple[int, bytes]] = []
    start: dict[int, int] = {}
    for i, node in enumerate(entries):
        if not isinstance(node, _Stream) or not node.data:
            continue
        if len(node.data) < _MINI_CUTOFF:
            count = -(-len(node.data) // _MINI_SECTOR)
            start[i] = len(minifat)
            minifat += [len(minifat) + k + 1 for k in range(count - 1)] + [_ENDOFCHAIN]
            mini += node.data.ljust(count * _MINI_SECTOR, b"\x00")
        else:
            big.append((i, node.data))

    sectors: list[bytes] = []
    fat: list[int] = []

    def put(data: bytes) -> int:
        """Append ``data`` as a chain of consecutive sectors; its first sector, or ENDOFCHAIN."""
        if not data:
            return _ENDOFCHAIN
        first = len(sectors)
        count = -(-len(data) // _SECTOR)
        padded = data.ljust(count * _SECTOR, b"\x00")
        sectors.extend(padded[k * _SECTOR : (k + 1) * _SECTOR] for k in range(count))
        fat.extend([first + k + 1 for k in range(count - 1)] + [_ENDOFCHAIN])
        return first

    for i, data in big:
        start[i] = put(data)
    mini_start = put(bytes(mini))
    minifat_words = minifat + [_FREESECT] * (-len(minifat) % (_SECTOR // 4))
    minifat_start = put(struct.pack(f"<{len(minifat_words)}I", *minifat_words))
    minifat_sectors = len(minifat_words) * 4 // _SECTOR

    directory = bytearray()
    for i, node in enumerate(entries):
        left, right, child = links[i]
        name = node.name.encode("utf-16-le") + b"\x00\x00"
        if i == 0:
            kind, first, size = 5, mini_start, len(minifat) * _MINI_SECTOR
        elif isinstance(node, _Storage):
            kind, first, size = 1, 0, 0
        else:
            kind, size = 2, len(node.data)
            first = start.get(i, _ENDOFCHAIN)
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            name,
            len(name),
            kind,
            _BLACK,
            left,
            right,
            child,
            b"\x00" * 16,  # CLSID
            0,  # state bits
            0,  # creation time
            0,  # modified time
            first,
            size,
        )
    free = struct.pack(
        "<64sHBBIII16sIQQIQ", b"", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, b"", 0, 0, 0, 0, 0
    )
    while len(directory) % _SECTOR:
        directory += free
    dir_start = put(bytes(directory))

    # The FAT maps every sector, its own included; the header lists up to 109 FAT sectors.
    data_sectors = len(sectors)
    fat_count = 1
    while -(-(data_sectors + fat_count) // (_SECTOR // 4)) > fat_count:
        fat_count += 1
    if fat_count > 109:
        raise ValueError("VBA project too large for a compound file without DIFAT sectors")
    fat_ids = list(range(data_sectors, data_sectors + fat_count))
    fat += [_FATSECT] * fat_count
    fat += [_FREESECT] * (fat_count * (_SECTOR // 4) - len(fat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\x00" * 16,
        0x003E,  # minor version
        0x0003,  # major version 3
        0xFFFE,  # byte order
        9,  # sector shift: 512
        6,  # mini sector shift: 64
        b"\x00" * 6,
        0,  # number of directory sectors: 0 in version 3
        fat_count,
        dir_start,
        0,  # transaction signature
        _MINI_CUTOFF,
        minifat_start if minifat else _ENDOFCHAIN,
        minifat_sectors if minifat else 0,
        _ENDOFCHAIN,  # first DIFAT sector
        0,  # number of DIFAT sectors
    )
    difat = fat_ids + [_FREESECT] * (109 - fat_count)
    header += struct.pack("<109I", *difat)
    return header + b"".join(sectors) + fat_bytes
