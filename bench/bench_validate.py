"""Benchmark: `xlhfjz validate` on a community workbook of 18 sheets × N rows.

Compares, in the same run and each in a fresh process, the bare read of the file with the Rust
reader (python-calamine, every sheet to Python values) and the full `xlhfjz validate`.
Prints a table: size, seconds (median of --repeat), peak memory (max RSS), ratio to the bare read.

    python bench/bench_validate.py [--rows 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

BARE_READ = """
import sys, python_calamine as pc
wb = pc.CalamineWorkbook.from_path(sys.argv[1])
cells = 0
for name in wb.sheet_names:
    rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    cells += sum(len(r) for r in rows)
print(cells)
"""


def make_workbook(rows: int, live_checks: bool = True, tag: str = "") -> Path:
    """A clean generated community with exactly ``rows`` data rows in each of the 17 ledgers
    (``live_checks=False``: without the template's conditional formats)."""
    from xlhfjz.sample import generate_community
    from xlhfjz.xlsx.community import write_community_workbook

    path = OUT / f"community_18x{rows}{tag}.xlsx"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    sample = generate_community(7, scale=rows / 8)
    for name, data in sample.data.items():
        if data:
            sample.data[name] = [unique_copy(name, data, i) for i in range(rows)]
    t = time.perf_counter()
    write_community_workbook(path, basic=sample.basic, data=sample.data, live_checks=live_checks)
    print(f"(generated {path.name} in {time.perf_counter() - t:.1f} s)", file=sys.stderr)
    return path


def unique_copy(sheet_name: str, rows: list[list], i: int) -> list:
    """Row ``i`` of a sheet grown by repeating ``rows``; copies get distinct key values, so the
    workbook stays clean (no duplicate-row issues) however large it grows."""
    from xlhfjz.model.schema import BY_NAME

    row = list(rows[i % len(rows)])
    copy = i // len(rows)
    if copy:
        sheet = BY_NAME[sheet_name]
        ids = [f.id for f in sheet.fields]
        for key in sheet.keys:
            k = ids.index(key.fields[-1])
            if sheet.fields[k].type == "mobile":
                row[k] = f"139{i:08d}"
            elif isinstance(row[k], str):
                row[k] = f"{row[k]}-{copy}"
    return row


def run(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed with {proc.returncode}")
    return seconds, usage.ru_maxrss * 1024


def measure(cmd: list[str], repeat: int) -> tuple[float, int]:
    runs = [run(cmd) for _ in range(repeat)]
    return statistics.median(s for s, _ in runs), max(m for _, m in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    py = sys.executable
    print(
        f"{'rows/sheet':>10} {'file MB':>8} {'what':<22} {'seconds':>8} {'peak MB':>8} {'ratio':>6}"
    )
    for rows in args.rows:
        path = make_workbook(rows)
        size = path.stat().st_size / 1e6
        base_s, base_m = measure([py, "-c", BARE_READ, str(path)], args.repeat)
        val_s, val_m = measure([py, "-m", "xlhfjz", "validate", "--json", str(path)], args.repeat)
        for what, s, m in (
            ("bare read (calamine)", base_s, base_m),
            ("xlhfjz validate", val_s, val_m),
        ):
            print(
                f"{rows:>10} {size:>8.1f} {what:<22} {s:>8.2f} {m / 1e6:>8.0f} {s / base_s:>6.2f}"
            )
    print(
        "targets: validate ≤ 3× the bare read and < 5 s at 5,000 rows (both processes include startup)"
    )


if __name__ == "__main__":
    main()
