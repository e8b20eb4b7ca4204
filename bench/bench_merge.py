"""Benchmark: `xlhfjz merge` of N generated typical communities (18 sheets, 50–300 rows each).

Compares, in the same run and each in a fresh process, the bare read of every file with the Rust
reader (python-calamine, all sheets to Python values; sequential and with two processes) and the
full merge (read, validate, score, write the summary). The three commands take turns, ``repeat``
rounds, so that a busy moment of the machine hits all of them; prints median seconds, peak
memory (max RSS of the process and its workers) and the ratios to the bare reads.

    python bench/bench_merge.py [--communities 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_validate import OUT, run, unique_copy

BARE_READ = """
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import python_calamine as pc

def read(path):
    wb = pc.CalamineWorkbook.from_path(path)
    return sum(len(r) for n in wb.sheet_names for r in wb.get_sheet_by_name(n).to_python(skip_empty_area=False))

files = sorted(str(p) for p in Path(sys.argv[1]).glob("*.xlsx"))
workers = int(sys.argv[2])
if workers == 1:
    print(sum(map(read, files)))
else:
    with ProcessPoolExecutor(workers) as pool:
        print(sum(pool.map(read, files, chunksize=2)))
"""


def make_folder(n: int) -> Path:
    """``n`` clean communities, each ledger with a random 50–300 rows (cached in bench/out)."""
    from xlhfjz.sample import default_basic, generate_community
    from xlhfjz.xlsx.community import write_community_workbook

    folder = OUT / f"street_{n}"
    if folder.is_dir() and len(list(folder.glob("*.xlsx"))) == n:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    for k in range(n):
        rng = random.Random(k)
        code = f"370303{k + 1:06d}"
        basic = default_basic(
            f"社区{k + 1}", code, households=rng.randint(500, 2500), grids=rng.randint(3, 8)
        )
        sample = generate_community(k, basic, scale=6)
        for name, rows in sample.data.items():
            if rows:
                target = rng.randint(50, 300)
                sample.data[name] = [street_copy(name, rows, i, k, basic) for i in range(target)]
        write_community_workbook(
            folder / f"{code}_社区{k + 1}.xlsx", basic=sample.basic, data=sample.data
        )
    print(f"(generated {n} communities in {time.perf_counter() - t:.0f} s)", file=sys.stderr)
    return folder


def street_copy(sheet_name: str, rows: list[list], i: int, community: int, basic: dict) -> list:
    """:func:`unique_copy`, as a real street's communities would differ: a copy's mobile numbers
    are its community's own and its dates move a day per copy (within the period), so that the
    street is clean for the 疑点提示 too — no number shared and no day crowded by accident
    (the texts still repeat: the generator draws them from one small list)."""
    from xlhfjz.model.schema import BY_NAME

    row = unique_copy(sheet_name, rows, i)
    copy = i // len(rows)
    if not copy:
        return row
    fields = BY_NAME[sheet_name].fields
    for k, f in enumerate(fields):
        if f.type == "mobile" and row[k]:
            row[k] = f"1{3 + community % 7}{community % 10000:04d}{i:05d}"
    days = [k for k, f in enumerate(fields) if f.type == "date" and row[k]]
    low = basic["period_start"]
    high = min(basic["period_end"], basic["report_date"])
    for step in (copy, -copy):
        moved = [row[k] + dt.timedelta(days=step) for k in days]
        if all(low <= d <= high for d in moved):
            for k, d in zip(days, moved, strict=True):
                row[k] = d
            break
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--communities", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    folder = make_folder(args.communities)
    size = sum(p.stat().st_size for p in folder.glob("*.xlsx")) / 1e6
    py = sys.executable
    summary = OUT / "summary.xlsx"
    runs = [
        ("bare read, 1 process", [py, "-c", BARE_READ, str(folder), "1"]),
        ("bare read, 2 processes", [py, "-c", BARE_READ, str(folder), "2"]),
        ("xlhfjz merge", [py, "-m", "xlhfjz", "merge", str(folder), "-o", str(summary)]),
    ]
    rounds = [[run(cmd) for _, cmd in runs] for _ in range(args.repeat)]
    seconds = [statistics.median(r[k][0] for r in rounds) for k in range(len(runs))]
    peaks = [max(r[k][1] for r in rounds) for k in range(len(runs))]
    one, two = seconds[0], seconds[1]
    print(
        f"{'files':>6} {'MB':>6} {'what':<24} {'seconds':>8} {'peak MB':>8} {'÷ 1 proc':>9} {'÷ 2 proc':>9}"
    )
    for (what, _), s, peak in zip(runs, seconds, peaks, strict=True):
        print(
            f"{args.communities:>6} {size:>6.0f} {what:<24} {s:>8.1f} {peak / 1e6:>8.0f}"
            f" {s / one:>9.2f} {s / two:>9.2f}"
        )
    per_round = ", ".join(f"{r[2][0] / r[0][0]:.2f}" for r in rounds)
    print(f"merge ÷ 1-process read, round by round: {per_round}")
    print(f"summary: {summary.stat().st_size / 1e6:.0f} MB")
    print("targets: merge < 60 s, peak < 1 GB, ≤ 2× the bare read")


if __name__ == "__main__":
    main()
