"""Benchmark: how fast could a merge worker be if its cell work ran column-wise in compiled code?

Issue 15's item 6 asks, before the validator and the summary's rows are rewritten column by
column, for a measurement of what that could win. This script measures an *optimistic floor*
of such a worker on the same files as ``bench_merge`` (``bench/out/street_N``), per file:

- ``merge worker now``: :func:`xlhfjz.batch.process_file`, the whole of a merge worker's work on
  one file (read with every check, validate, score, render the merged rows, 疑点 facts);
- ``bare read``: python-calamine, every sheet to Python values (the bench's baseline);
- ``fastexcel read only``: the ledger sheets to Arrow, every cell as text (the columnar rows'
  first step);
- ``columnar, per file``: fastexcel reads each ledger sheet straight into Arrow (every cell as
  text), and polars checks each column by its type (choice list, date, mobile number, number,
  code, length) and builds every row's inline-string XML, the personal columns masked;
- ``columnar, batched``: the same checks and XML once per sheet for all the files together
  (polars pays a fixed cost per query; a ledger sheet has about 100 rows).

The columnar rows are a floor, not an implementation: no issue is made (no message, no
position), no row rule, key, reference or sheet rule is checked, a date written as text is not
told apart from a date cell, nothing is scored and no 疑点 fact is taken; the checks before
parsing are left out too. Real code would only be slower.

    pip install polars fastexcel   # not dependencies of xlhfjz: for this measurement only
    python bench/bench_columnar.py [--communities 200] [--files 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_merge import make_folder

from xlhfjz.checks.validate import find_header, norm_label
from xlhfjz.model.schema import LEDGERS, REMARK, Field, Sheet
from xlhfjz.xlsx.sheetdata import column_letters

# one thread, as in a merge worker (each of the two has one core); set it to compare
os.environ.setdefault("POLARS_MAX_THREADS", "1")
try:
    import fastexcel
    import polars as pl
except ImportError:
    sys.exit("bench_columnar needs polars and fastexcel: pip install polars fastexcel")

LETTERS = column_letters(64)


def _bad(f: Field, col: Any) -> Any:
    """True where the cell would not pass its column's type check (a simplified one)."""
    s = col.str.strip_chars()
    blank = s.is_null() | (s == "")
    if f.type == "choice":
        bad = ~s.is_in(list(f.choices))
    elif f.type in ("date", "month"):
        bad = (
            s.str.to_date("%Y-%m-%d %H:%M:%S", strict=False).is_null()
            & s.str.to_date("%Y-%m-%d", strict=False).is_null()
        )
    elif f.type == "mobile":
        bad = ~s.str.contains(r"^1[3-9]\d{9}$")
    elif f.type == "phone":
        bad = ~s.str.contains(r"^[\d\-]{7,20}$")
    elif f.type in ("int", "number", "percent", "grid"):
        bad = s.cast(pl.Float64, strict=False).is_null()
    elif f.type in ("code", "uscc"):
        bad = ~s.str.contains(r"^[0-9A-Za-z]{17}[0-9Xx]$|^\d{12}$")
    else:
        bad = s.str.len_chars() > (f.max_len or 32767)
    return pl.when(blank).then(pl.lit(f.required is True)).otherwise(bad)


def _cell_xml(letter: str, col: Any, personal: bool) -> Any:
    """The cell's inline-string element with its row number still open ("" when empty)."""
    text = col
    if personal:
        text = pl.concat_str([col.str.slice(0, 1), pl.lit("*")])
    escaped = (
        text.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )
    element = pl.concat_str(
        [pl.lit(f'<c r="{letter}\x00" t="inlineStr"><is><t>'), escaped, pl.lit("</t></is></c>")]
    )
    return pl.when(col.is_null() | (col == "")).then(pl.lit("")).otherwise(element)


def _columns(df: Any, sheet: Sheet) -> tuple[Any, list[tuple[Field, int]]] | None:
    """The data rows under the header, their columns renamed to field ids, and (field, index)."""
    head = df.head(30).rows()
    h = find_header(head, [f.label for f in sheet.fields])
    if h is None:
        return None
    by_label = {norm_label(f.label): f for f in (*sheet.fields, REMARK)}
    names, fields = {}, []
    for c, value in enumerate(head[h]):
        f = by_label.get(norm_label(value)) if value else None
        if f is not None and f.id not in names.values():
            names[df.columns[c]] = f.id
            fields.append((f, c))
    return df.slice(h + 1).select(list(names)).rename(names), fields


def _check_and_render(data: Any, fields: list[tuple[Field, int]]) -> tuple[int, list[str]]:
    flags = data.select([_bad(f, pl.col(f.id)).alias(f.id) for f, _ in fields])
    problems = flags.select(pl.any_horizontal(pl.all()).sum()).item() or 0
    cells = [_cell_xml(LETTERS[c], pl.col(f.id), f.personal) for f, c in fields]
    rows = data.select(pl.concat_str([pl.lit('<row r="\x00">'), *cells, pl.lit("</row>")]))
    return problems, rows.to_series().to_list()


def _ledgers(path: str) -> list[tuple[Sheet, Any]]:
    reader = fastexcel.read_excel(path)
    names = set(reader.sheet_names)
    return [
        (s, reader.load_sheet(s.name, header_row=None, dtypes="string").to_polars())
        for s in LEDGERS
        if s.name in names
    ]


def fastexcel_read(files: list[str]) -> None:
    for path in files:
        _ledgers(path)


def columnar_per_file(files: list[str]) -> None:
    for path in files:
        for sheet, df in _ledgers(path):
            found = _columns(df, sheet)
            if found is not None:
                _check_and_render(*found)


def columnar_batched(files: list[str]) -> None:
    by_sheet: dict[str, list[Any]] = {s.id: [] for s in LEDGERS}
    for path in files:
        for sheet, df in _ledgers(path):
            found = _columns(df, sheet)
            if found is not None:
                by_sheet[sheet.id].append(found[0])
    for sheet in LEDGERS:
        if by_sheet[sheet.id]:
            data = pl.concat(by_sheet[sheet.id], how="diagonal")
            order = {f.id: c for c, f in enumerate((*sheet.fields, REMARK))}
            fields = [
                (sheet.field(c) if c != REMARK.id else REMARK, order[c]) for c in data.columns
            ]
            _check_and_render(data, fields)


def bare_read(files: list[str]) -> None:
    import python_calamine as pc

    for path in files:
        wb = pc.CalamineWorkbook.from_path(path)
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python(skip_empty_area=False)


def worker_now(files: list[str]) -> None:
    from xlhfjz.batch import Job, process_file
    from xlhfjz.office.fingerprints import hash_salt
    from xlhfjz.office.inputs import OfficeData

    root = str(Path(files[0]).parent)
    job = Job(
        OfficeData(), root, eval_date=dt.date.today(), signals=True, salt=hash_salt(), ahead=0
    )
    for path in files:
        process_file(path, job)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--communities", type=int, default=200)
    ap.add_argument("--files", type=int, default=40, help="files measured (and batched)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    folder = make_folder(args.communities)
    files = sorted(str(p) for p in folder.glob("*.xlsx"))[: args.files]
    runs: list[tuple[str, Callable[[list[str]], None]]] = [
        ("bare read", bare_read),
        ("merge worker now", worker_now),
        ("fastexcel read only", fastexcel_read),
        ("columnar, per file", columnar_per_file),
        ("columnar, batched", columnar_batched),
    ]
    for _, fn in runs:  # warm up: imports, caches, the page cache
        fn(files[:3])
    times: dict[str, list[float]] = {name: [] for name, _ in runs}
    for _ in range(args.repeat):
        for name, fn in runs:
            t = time.process_time()
            fn(files)
            times[name].append((time.process_time() - t) / len(files) * 1000)
    base, best = statistics.median(times["bare read"]), min(times["bare read"])
    threads = os.environ["POLARS_MAX_THREADS"]
    print(f"{len(files)} files of {folder.name}, one process, POLARS_MAX_THREADS={threads}")
    print(
        "CPU ms per file: the median and the range of the rounds; ÷ the bare read's (median, least)"
    )
    print(f"{'what':<22} {'median':>7} {'range':^13} {'÷ bare':>7} {'least ÷':>8}")
    for name, values in times.items():
        med, low = statistics.median(values), min(values)
        print(
            f"{name:<22} {med:>7.1f} {low:>6.1f}–{max(values):<6.1f} {med / base:>7.2f}"
            f" {low / best:>8.2f}"
        )


if __name__ == "__main__":
    main()
