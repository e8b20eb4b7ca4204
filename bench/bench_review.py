"""Benchmark: the 200-community merge with the office's review (review.md) — 疑点提示 (fingerprints
in the workers, pandas group-bys) and ``--previous`` (复核) — against the same merge without them.

Both run the same script in a fresh process, taking turns (the order alternates round by round)
so that a busy moment of the shared machine hits both; prints medians, peak memory (max RSS of
the process and its workers), the ratio round by round, and the number of 疑点 lines.

    python bench/bench_review.py [--communities 200] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_merge import make_folder
from bench_validate import OUT, run

MERGE = """
import sys
from xlhfjz.batch import merge_folder
from xlhfjz.xlsx.previous import read_previous
from xlhfjz.xlsx.summary import write_summary

folder, out, previous = sys.argv[1:4]
review = previous != "-"
result = merge_folder(folder, previous=read_previous(previous) if review else None, signals=review)
write_summary(out, result)
if review:
    print(len(result.signals or ()), file=sys.stderr)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--communities", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    folder = make_folder(args.communities)
    py = sys.executable
    previous = OUT / f"previous_{args.communities}.xlsx"
    if not previous.exists():  # last year's summary: the plain merge of the same folder
        run([py, "-c", MERGE, str(folder), str(previous), "-"])
    runs = [
        ("merge", [py, "-c", MERGE, str(folder), str(OUT / "plain.xlsx"), "-"]),
        ("merge + 疑点 + --previous", [py, "-c", MERGE, str(folder), str(OUT / "review.xlsx"),
                                       str(previous)]),
    ]  # fmt: skip
    rounds = []
    for k in range(args.repeat):
        order = [0, 1] if k % 2 == 0 else [1, 0]
        got = {i: run(runs[i][1]) for i in order}
        rounds.append([got[0], got[1]])
    seconds = [statistics.median(r[i][0] for r in rounds) for i in range(2)]
    peaks = [max(r[i][1] for r in rounds) for i in range(2)]
    print(f"{'files':>6} {'what':<28} {'median s':>9} {'peak MB':>8} {'÷ merge':>8}")
    for (what, _), s, peak in zip(runs, seconds, peaks, strict=True):
        print(
            f"{args.communities:>6} {what:<28} {s:>9.1f} {peak / 1e6:>8.0f} {s / seconds[0]:>8.3f}"
        )
    per_round = ", ".join(f"{r[1][0] / r[0][0]:.3f}" for r in rounds)
    print(f"review ÷ plain, round by round: {per_round}")
    ratios = sorted(r[1][0] / r[0][0] for r in rounds)
    print(f"median of the per-round ratios: {statistics.median(ratios):.3f}")
    print("targets: ≤ 1.15 × the merge without review, peak < 1 GB")


if __name__ == "__main__":
    main()
