"""Benchmark: does the merge stay linear in time and flat in memory as the street grows?

Merges folders of N typical communities (default 200 and 800) in turn, ``--repeat`` rounds,
and prints the median seconds, seconds per community and the peak RSS of the merge's main
process (its workers not counted; target ≤ 150 MB at 800 and not growing with N).

Every folder holds N distinct generated communities (:func:`bench_merge.make_folder`): clones of
a few hundred would share every row, phone and text, and the 疑点提示 (which compare communities
with each other) would measure that instead of a street.

    python bench/bench_memory.py [--communities 200 800] [--repeat 3] [--old SRC]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_merge import make_folder
from bench_validate import OUT
from bench_writers import MAIN_PEAK, run


def street(n: int) -> Path:
    """A folder of ``n`` generated communities (:func:`bench_merge.make_folder`, two processes:
    about 4 minutes per 1,000 on this machine, then cached)."""
    return make_folder(n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--communities", type=int, nargs="+", default=[200, 800])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--old", metavar="SRC", help="also run xlhfjz from this older source tree")
    args = ap.parse_args()
    py = sys.executable
    summary = str(OUT / "summary_memory.xlsx")
    commands = []
    for n in args.communities:
        cmd = [py, "-c", MAIN_PEAK, "merge", str(street(n)), "-o", summary]
        commands.append((f"{n} communities", n, cmd, {}))
        if args.old:
            commands.append((f"{n} communities (old)", n, cmd, {"PYTHONPATH": args.old}))
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    results = [[run(cmd, env) for _, _, cmd, env in commands] for _ in range(args.repeat)]
    print(f"{'merge of':<26} {'median s':>9} {'range (s)':^15} {'ms/community':>13} {'main MB':>8}")
    for k, (label, n, _, _) in enumerate(commands):
        secs = [r[k][0] for r in results]
        med = statistics.median(secs)
        peak = max(r[k][2] for r in results) / 1e6
        print(
            f"{label:<26} {med:>9.1f} {min(secs):>7.1f}–{max(secs):<7.1f}"
            f" {med / n * 1000:>13.0f} {peak:>8.0f}"
        )
    print("targets: time linear in the count; main-process peak ≤ 150 MB at 800, flat in N")


if __name__ == "__main__":
    main()
