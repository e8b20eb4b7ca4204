"""Benchmark: `xlhfjz merge` of N generated typical communities (18 sheets, 50–300 rows each).

Compares, in the same run and each in a fresh process, the bare read of every file with the Rust
reader (python-calamine, all sheets to Python values; sequential and with two processes), the
safe read (the merge's own reading, with every check the spec asks for before a file is parsed,
in two processes, validating nothing) and the full merge (read, validate, score, write the
summary). The commands take turns, ``repeat`` rounds, so that a busy moment of the machine hits
all of them; prints median seconds, peak memory (max RSS of the process and its workers) and the
ratios to the bare reads. Then one more merge, phase by phase: what it spends besides reading.

    python bench/bench_merge.py [--communities 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_validate import OUT, run

#: The end of a read script: ``read(path)`` over every .xlsx of ``argv[1]`` in ``argv[2]``
#: processes (1: this one), printing the rows read.
_OVER_FOLDER = """
files = sorted(str(p) for p in Path(sys.argv[1]).glob("*.xlsx"))
workers = int(sys.argv[2])
if workers == 1:
    print(sum(map(read, files)))
else:
    with ProcessPoolExecutor(workers) as pool:
        print(sum(pool.map(read, files, chunksize=2)))
"""

BARE_READ = (
    """
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import python_calamine as pc

def read(path):
    wb = pc.CalamineWorkbook.from_path(path)
    return sum(len(r) for n in wb.sheet_names for r in wb.get_sheet_by_name(n).to_python(skip_empty_area=False))
"""
    + _OVER_FOLDER
)


#: The part of a merge no faster code can leave out: every file read as the merge's workers read
#: it (sniffed, its zip directory, styles and shared strings checked, each ledger sheet scanned
#: against the limits and for formula and error cells, then parsed by calamine into Python
#: values, no sheet parsed ahead), validating nothing. Same arguments as :data:`BARE_READ`.
SAFE_READ = (
    """
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from xlhfjz.model.schema import SHEETS
from xlhfjz.xlsx.reader import open_workbook

WANTED = [s.name for s in SHEETS] + ["_meta"]

def read(path):
    with open_workbook(path, sheets=WANTED, ahead=0) as book:
        return sum(len(book.sheets[name].rows) for name in book.sheets)
"""
    + _OVER_FOLDER
)


#: One ``xlhfjz merge FOLDER -o SUMMARY`` in this process, printing the wall seconds of its
#: phases as JSON: the first pass (the workers read, validate, score and render every file),
#: resolve, the second pass (row numbers, and the 疑点 beside them) and the summary's writing.
#: The phases are timed by wrapping the merge's own functions; nothing else is changed.
PHASES = """
import json, sys, time
import xlhfjz.batch as batch
import xlhfjz.xlsx.summary as summary

seconds = {}

def timed(module, name, phase):
    fn = getattr(module, name)
    def inner(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[phase] = seconds.get(phase, 0.0) + time.perf_counter() - t
    setattr(module, name, inner)

timed(batch, "_run", "first pass")
timed(batch, "resolve", "resolve")
timed(batch, "_number_rows", "second pass")
timed(summary, "write_summary", "summary")
start = time.perf_counter()
from xlhfjz.cli import main
code = main(["merge", sys.argv[1], "-o", sys.argv[2]])
seconds["total"] = time.perf_counter() - start
print(json.dumps(seconds))
sys.exit(code)
"""


def make_folder(n: int) -> Path:
    """``n`` clean communities as the sample generator makes them, each with its own seed, size
    (辖区户数, 网格数) and scale (about 1,000–2,700 rows in all, most ledgers 20–300 rows): their
    names, numbers, dates and texts differ as a real street's do — copying rows to fill the
    ledgers made thousands of accidental 疑点 (cached in bench/out)."""
    folder = OUT / f"street_{n}"
    files = (
        [f for f in folder.glob("*.xlsx") if not f.name.startswith(".")] if folder.is_dir() else []
    )
    if len(files) == n:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    done = {f.name for f in files}
    todo = [k for k in range(n) if _name(k) not in done]  # a run cut short goes on
    others = [d for d in OUT.glob("street_*") if d.name[7:].isdigit() and d != folder]
    for k in list(todo):  # community k is the same in every folder: link it where it exists
        made = next((d / _name(k) for d in others if (d / _name(k)).exists()), None)
        if made is not None:
            os.link(made, folder / _name(k))
            todo.remove(k)
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_community, todo, [folder] * len(todo), chunksize=8))
    print(
        f"(generated {len(todo)} communities in {time.perf_counter() - t:.0f} s)", file=sys.stderr
    )
    return folder


def _name(k: int) -> str:
    return f"370303{k + 1:06d}_社区{k + 1}.xlsx"


def _community(k: int, folder: Path) -> None:
    from xlhfjz.sample import default_basic, generate_community
    from xlhfjz.xlsx.community import write_community_workbook

    rng = random.Random(k)
    code = f"370303{k + 1:06d}"
    basic = default_basic(
        f"社区{k + 1}", code, households=rng.randint(500, 2500), grids=rng.randint(3, 8)
    )
    sample = generate_community(k, basic, scale=rng.uniform(6, 16))
    tmp = folder / f".{_name(k)}.tmp.xlsx"
    write_community_workbook(tmp, basic=sample.basic, data=sample.data)
    tmp.replace(folder / _name(k))


def merge_phases(py: str, folder: Path, summary: Path) -> dict[str, float]:
    """Wall seconds of one merge's phases (:data:`PHASES`, a fresh process)."""
    out = subprocess.run(
        [py, "-c", PHASES, str(folder), str(summary)], capture_output=True, text=True, check=False
    )
    if out.returncode not in (0, 1):
        raise SystemExit(f"merge failed with {out.returncode}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_phases(py: str, folder: Path, summary: Path, bare: float) -> None:
    """One merge's phases, each also as a share of the 1-process bare read ``bare``."""
    phases = merge_phases(py, folder, summary)
    total = phases.pop("total")
    phases["start-up, imports, the rest"] = total - sum(phases.values())
    phases["total"] = total
    print("one merge, phase by phase (wall seconds; ÷ the 1-process bare read):")
    for name, value in phases.items():
        print(f"  {name:<28} {value:>6.2f} s {value / bare:>6.2f}")


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
        ("safe read, 2 processes", [py, "-c", SAFE_READ, str(folder), "2"]),
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
    per_round = ", ".join(f"{r[-1][0] / r[0][0]:.2f}" for r in rounds)
    print(f"merge ÷ 1-process read, round by round: {per_round}")
    print(f"summary: {summary.stat().st_size / 1e6:.0f} MB")
    print_phases(py, folder, summary, one)
    print("targets: merge < 60 s, peak < 1 GB, ≤ 2× the bare read")


if __name__ == "__main__":
    main()
