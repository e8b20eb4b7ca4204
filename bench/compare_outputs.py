"""Do two versions of xlhfjz give identical outputs? (for speed work: old code against new).

Runs ``validate --json`` on each file and ``merge --json`` on each folder with both source trees
(``PYTHONPATH``), then compares the JSON documents and every sheet of the two summaries read
back with python-calamine (the time stamps the summary writes are the only cells left out).

    python bench/compare_outputs.py OLD_SRC NEW_SRC [--file F ...] [--folder D ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?")


def _cli(src: str, *args: str) -> Any:
    env = dict(os.environ, PYTHONPATH=src)
    proc = subprocess.run(
        [sys.executable, "-m", "xlhfjz", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),  # not a source tree: -m puts the cwd first on sys.path
    )
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise SystemExit(
            f"{src}: {args} failed ({proc.returncode}): {proc.stderr[-2000:]}"
        ) from None
    return {"exit code": proc.returncode, "document": doc}


def _sheets(path: Path) -> dict[str, list[list[Any]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {
        name: [
            [_STAMP.sub("<time>", v) if isinstance(v, str) else v for v in row]
            for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        ]
        for name in wb.sheet_names
    }


def _strip(doc: Any, out: str) -> Any:
    """The merge document with the summary's own path made the same for both runs."""
    return json.loads(json.dumps(doc).replace(json.dumps(out)[1:-1], "<out>"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--file", nargs="*", default=[])
    ap.add_argument("--folder", nargs="*", default=[])
    args = ap.parse_args()
    args.file = [os.path.abspath(f) for f in args.file]
    args.folder = [os.path.abspath(d) for d in args.folder]
    args.old, args.new = os.path.abspath(args.old), os.path.abspath(args.new)
    bad = 0
    for f in args.file:
        a, b = (_cli(src, "validate", "--json", f) for src in (args.old, args.new))
        same = a == b
        bad += not same
        print(f"validate {f}: {'identical' if same else 'DIFFERENT'}")
    with tempfile.TemporaryDirectory(prefix="xlhfjz-compare-") as tmp:
        for d in args.folder:
            docs, books = [], []
            for k, src in enumerate((args.old, args.new)):
                out = str(Path(tmp) / f"summary_{k}.xlsx")
                docs.append(_strip(_cli(src, "merge", d, "-o", out, "--json"), out))
                books.append(_sheets(Path(out)))
            same_json, same_book = docs[0] == docs[1], books[0] == books[1]
            bad += not (same_json and same_book)
            cells = sum(len(r) for rows in books[1].values() for r in rows)
            print(
                f"merge {d}: JSON {'identical' if same_json else 'DIFFERENT'}, "
                f"summary {'identical' if same_book else 'DIFFERENT'} "
                f"({len(books[1])} sheets, {cells:,} cells)"
            )
            if not same_book:
                for name in books[0]:
                    if books[0][name] != books[1].get(name):
                        print(f"  sheet {name} differs")
    if bad:
        raise SystemExit(f"{bad} difference(s)")


if __name__ == "__main__":
    main()
