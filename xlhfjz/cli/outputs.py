"""Where a command may write (cli.md): an output is never one of the command's inputs nor its
other output, never an existing file the tool did not create unless ``--force``; a summary is
an ``.xlsx``. Every check runs before any work, and a refusal is one Chinese line (exit 2)."""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path


class OutputRefused(Exception):
    """The output cannot or may not be written; the message is one Chinese line."""


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _same(a: Path, b: Path) -> bool:
    """The same file: the same resolved path, or the same file reached by another name."""
    if _real(a) == _real(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _inside(path: Path, folder: Path, recursive: bool) -> bool:
    real, root = _real(path), _real(folder)
    return real.parent == root or (recursive and root in real.parents)


def xlsx_output(text: str, what: str) -> Path:
    """The path of an ``.xlsx`` output named on the command line, checked before any work."""
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir():
        raise OutputRefused(f"{what}“{text}”是一个文件夹，请写出文件名，如 {path / '汇总.xlsx'}")
    if path.suffix.lower() != ".xlsx":
        raise OutputRefused(
            f"{what}只能是 .xlsx 文件，现为“{text}”；请改为 {path.with_suffix('.xlsx').name} 这样的名字"
        )
    if not path.parent.is_dir():
        raise OutputRefused(f"{what}的文件夹“{path.parent}”不存在，请先创建或换一个位置")
    if path.exists() and not path.is_file():
        raise OutputRefused(f"{what}“{text}”已存在且不是普通文件，请换一个名字")
    return path


#: The titles of the merge's outputs (a community ledger or the office workbook is not one).
_OUTPUT_TITLES = re.compile("<dc:title>(?:街道汇总|联络员通讯录)</dc:title>".encode())


def written_by_us(path: Path) -> bool:
    """Whether the existing ``path`` is a summary or contacts workbook this tool wrote."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("docProps/core.xml")
            if info.file_size > 1 << 16:
                return False
            core = zf.read(info)
            return b"<dc:creator>xlhfjz " in core and bool(_OUTPUT_TITLES.search(core))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, EOFError):
        return False


def check_merge_outputs(
    folder: Path,
    office: str | None,
    outputs: Iterable[tuple[Path, str]],
    *,
    recursive: bool,
    force: bool,
) -> None:
    """Refuse an output that is an input (the office workbook, a file of the ledger folder),
    the other output, or an existing file not written by xlhfjz (unless ``force``)."""
    outs = list(outputs)
    for k, (path, what) in enumerate(outs):
        if office is not None and _same(path, Path(office)):
            raise OutputRefused(
                f"{what}“{path}”就是街道汇总工作簿（--office），写入会覆盖社区名单、督导检查和"
                "评分参数；请换一个文件名"
            )
        if path.exists() and _inside(path, folder, recursive):
            raise OutputRefused(
                f"{what}“{path}”是台账文件夹中的文件，写入会覆盖它；请写到台账文件夹以外"
            )
        for other, other_what in outs[:k]:
            if _same(path, other):
                raise OutputRefused(f"{what}和{other_what}不能是同一个文件“{path}”")
        if path.exists() and not force and not written_by_us(path):
            raise OutputRefused(
                f"{what}“{path}”已存在，且不是本工具以前生成的汇总或通讯录，未覆盖；"
                "请换一个文件名，或加 --force 覆盖"
            )


def check_new_file(path: Path, force: bool) -> None:
    """Refuse to replace an existing file (a filled-in ledger, an office workbook) unless
    ``force``."""
    if os.path.lexists(path) and not force:
        raise OutputRefused(
            f"“{path}”已存在（可能已经填写了内容），未覆盖；请换一个输出文件夹，或加 --force 覆盖"
        )
    if path.is_dir():
        raise OutputRefused(f"“{path}”是一个文件夹，无法写入")
