"""The same generated workbooks as three writers write them, for the benches.

- ``xlsxwriter``: our template writer (XlsxWriter: text as shared strings), as generated;
- ``openpyxl``: each file loaded and saved again by openpyxl (text as inline strings, as many
  tools write it);
- ``libreoffice``: each file re-saved by ``soffice --headless --convert-to xlsx`` (its own XML
  style, shared strings), in a private profile so that it never meets anyone else's soffice.

The copies are cached next to the originals in ``bench/out`` (``<name>_openpyxl``,
``<name>_libreoffice``); the original's file name is kept.

    python bench/writers.py FILE_OR_FOLDER ...   # make the copies ahead of a bench
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

WRITERS = ("xlsxwriter", "openpyxl", "libreoffice")


def copies(source: Path) -> dict[str, Path]:
    """The file or folder ``source`` as each writer writes it (made once, then cached)."""
    out = {"xlsxwriter": source}
    for writer in WRITERS[1:]:
        out[writer] = _variant(source, writer)
    return out


def _target(source: Path, writer: str) -> Path:
    if source.is_dir():
        return source.with_name(f"{source.name}_{writer}")
    return source.parent / f"{source.stem}_{writer}" / source.name


def _variant(source: Path, writer: str) -> Path:
    target = _target(source, writer)
    files = sorted(source.glob("*.xlsx")) if source.is_dir() else [source]
    folder = target if source.is_dir() else target.parent
    todo = [f for f in files if not (folder / f.name).exists()]
    if not todo:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    if writer == "openpyxl":
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(_openpyxl_copy, todo, [folder / f.name for f in todo], chunksize=4))
    else:
        _libreoffice(todo, folder)
    print(
        f"(wrote {len(todo)} file(s) with {writer} in {time.perf_counter() - t:.0f} s)",
        file=sys.stderr,
    )
    return target


def _openpyxl_copy(source: Path, target: Path) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(source)
    tmp = target.with_name(f".{target.name}.tmp")
    wb.save(tmp)
    os.replace(tmp, target)


def _libreoffice(files: list[Path], folder: Path) -> None:
    """Re-save ``files`` into ``folder`` with LibreOffice, in batches of 50, two soffice at a
    time (each with its own profile: one soffice per profile)."""
    batches = [files[k : k + 50] for k in range(0, len(files), 50)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(_libreoffice_batches, [batches[0::2], batches[1::2]], [folder] * 2))


def _libreoffice_batches(batches: list[list[Path]], folder: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="xlhfjz-bench-lo-") as profile:
        staging = Path(profile) / "out"
        staging.mkdir()
        for batch in batches:
            subprocess.run(
                [
                    "soffice",
                    f"-env:UserInstallation=file://{profile}/user",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML",
                    "--outdir",
                    str(staging),
                    *map(str, batch),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=3600,
            )
            for f in batch:
                shutil.move(str(staging / f.name), folder / f.name)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        for writer, path in copies(Path(arg)).items():
            print(writer, path)
