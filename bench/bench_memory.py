"""Benchmark: does the merge stay linear in time and flat in memory as the street grows?

Merges folders of N typical communities (default 200 and 800) in turn, ``--repeat`` rounds,
and prints the median seconds, seconds per community, the peak RSS of the merge's main
process (target ≤ 150 MB at 800 and not growing with N) and that of its largest worker.

Folders beyond the 200 generated ones (:func:`bench_merge.make_folder`) are clones of them
with new 社区代码: the same typical files, N communities, made in seconds instead of hours. A
clone repeats its source's every row, phone and text, so the 疑点提示 (which compare communities
with each other) find every row of it: past 200 this also measures a street where everyone
copied, and the 疑点 table stops at its 100,000 lines.

    python bench/bench_memory.py [--communities 200 800] [--repeat 3] [--old SRC] [--distinct]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_merge import make_folder
from bench_validate import OUT
from bench_writers import MAIN_PEAK, run

_CODE = re.compile(r"^(370303)(\d{6})_")


def street(n: int, base: int = 200) -> Path:
    """A folder of ``n`` communities: the ``base`` generated ones, then clones of them with new
    社区代码 (the code's strings replaced in every XML part and the file name) — generating
    costs about half a second a community, cloning a few milliseconds."""
    if n <= base:
        return make_folder(n)
    source = make_folder(base)
    folder = OUT / f"street_{n}_cloned"
    if folder.is_dir() and len(list(folder.glob("*.xlsx"))) == n:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    files = sorted(source.glob("*.xlsx"))
    for k in range(n):
        src = files[k % base]
        m = _CODE.match(src.name)
        if m is None:
            raise SystemExit(f"unexpected name {src.name}")
        old = m.group(1) + m.group(2)
        new = f"{370303 + k // base}{m.group(2)}"  # 370303…, 370304…, …
        target = folder / src.name.replace(old, new)
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zo:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename.endswith(".xml"):
                    data = data.replace(old.encode(), new.encode())
                zo.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--communities", type=int, nargs="+", default=[200, 800])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--old", metavar="SRC", help="also run xlhfjz from this older source tree")
    ap.add_argument(
        "--distinct",
        action="store_true",
        help="N generated communities, no clones (about 0.3 s a community to make, once)",
    )
    args = ap.parse_args()
    py = sys.executable
    summary = str(OUT / "summary_memory.xlsx")
    commands = []
    for n in args.communities:
        folder = make_folder(n) if args.distinct else street(n)
        cmd = [py, "-c", MAIN_PEAK, "merge", str(folder), "-o", summary]
        commands.append((f"{n} communities", n, cmd, {}))
        if args.old:
            commands.append((f"{n} communities (old)", n, cmd, {"PYTHONPATH": args.old}))
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    results = [[run(cmd, env) for _, _, cmd, env in commands] for _ in range(args.repeat)]
    print(
        f"{'merge of':<26} {'median s':>9} {'range (s)':^15} {'ms/community':>13} {'main MB':>8}"
        f" {'worker MB':>10}"
    )
    for k, (label, n, _, _) in enumerate(commands):
        secs = [r[k][0] for r in results]
        med = statistics.median(secs)
        peak = max(r[k][2] for r in results) / 1e6
        worker = max(r[k][3] for r in results) / 1e6
        print(
            f"{label:<26} {med:>9.1f} {min(secs):>7.1f}–{max(secs):<7.1f}"
            f" {med / n * 1000:>13.0f} {peak:>8.0f} {worker:>10.0f}"
        )
    print(
        "main MB: the merge's main-process peak RSS; worker MB: its largest worker's (the one"
        " that finds the 疑点, in parts of 8 MB of facts)"
    )
    print("targets: time linear in the count; main-process peak ≤ 150 MB at 800, flat in N")


if __name__ == "__main__":
    main()
