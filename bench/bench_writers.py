"""Benchmark: validate and merge on the same workbooks as three writers write them, each beside
its bare read (issue 15's targets).

The files come from :mod:`writers`: our XlsxWriter template (shared strings), the same files
saved by openpyxl (inline strings) and re-saved by LibreOffice. Every command runs in a fresh
process; the commands take turns, round after round (the machine may be busy: a busy moment
hits all of them), and each row prints the median, the range (min–max) and the ratio of the
medians to its bare read, plus the median of the round-by-round ratios.

- validate: ``xlhfjz validate --json`` on 18 sheets × ``--rows`` rows beside the bare
  python-calamine read of every sheet (target ≤ 2.0×);
- merge: ``xlhfjz merge`` of ``--communities`` typical communities beside the one-process bare
  read of every file (target ≤ 1.5×); the merge's main-process peak memory is printed too. Two
  more rows show how much of that budget reading alone takes on two cores: the bare read in two
  processes, and the safe read in two (the merge's own reading with every check before a part
  is parsed, validating nothing: ``bench_merge.SAFE_READ``). A last line gives the CPU seconds
  two cores can spend within 1.5× the bare read, and how much of them the safe read and the merge
  use.

    python bench/bench_writers.py [--rows 5000] [--communities 200] [--repeat 5]
        [--writers xlsxwriter openpyxl libreoffice] [--only validate|merge]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_merge import BARE_READ as BARE_FOLDER
from bench_merge import SAFE_READ, make_folder
from bench_validate import BARE_READ as BARE_FILE
from bench_validate import OUT, make_workbook
from writers import WRITERS, copies

#: ``xlhfjz`` run in-process, writing the main process's own peak RSS (KiB) to the file named
#: by XLHFJZ_BENCH_PEAK once the command is done (its workers are not counted in it).
MAIN_PEAK = """
import os, resource, sys
from xlhfjz.cli import main
code = main(sys.argv[1:])
with open(os.environ["XLHFJZ_BENCH_PEAK"], "w") as fh:
    fh.write(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} "
             f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
sys.exit(code)
"""


Command = tuple[list[str], dict[str, str]]

#: Where the commands run: not a source tree, since ``-c`` and ``-m`` put the working directory
#: first on ``sys.path`` (it would shadow ``--old``'s PYTHONPATH).
NEUTRAL = tempfile.gettempdir()


def run(cmd: list[str], extra: dict[str, str] | None = None) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds (user + system, the process and the workers it waited for:
    less sensitive to a busy machine than wall time), the main process's own peak RSS and its
    largest worker's (bytes) when the command reports them (else 0)."""
    with tempfile.NamedTemporaryFile(prefix="xlhfjz-peak-", delete=False) as fh:
        peak_file = fh.name
    env = dict(os.environ, XLHFJZ_BENCH_PEAK=peak_file, **(extra or {}))
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=NEUTRAL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 1):
            err.seek(0)
            raise SystemExit(f"{cmd} failed ({proc.returncode}): {err.read().decode()[-2000:]}")
    main, worker = (Path(peak_file).read_text() or "0 0").split()
    os.unlink(peak_file)
    return seconds, usage.ru_utime + usage.ru_stime, int(main) * 1024, int(worker) * 1024


def rounds(commands: list[Command], repeat: int) -> list[list[tuple[float, float, int, int]]]:
    """``repeat`` rounds, each running every command once in turn."""
    return [[run(cmd, env) for cmd, env in commands] for _ in range(repeat)]


def with_old(command: list[str], old: str | None) -> list[Command]:
    """The command as it is, and (``--old SRC``) the same with an older source tree."""
    out: list[Command] = [(command, {})]
    if old:
        out.append((command, {"PYTHONPATH": old}))
    return out


def report(label: str, names: list[str], results: list[list[tuple[float, float, int]]]) -> None:
    base = [r[0][0] for r in results]
    for k, name in enumerate(names[: len(results[0])]):
        secs = [r[k][0] for r in results]
        med = statistics.median(secs)
        ratio = med / statistics.median(base)
        per_round = statistics.median(s / b for s, b in zip(secs, base, strict=True))
        main_peak = max(r[k][2] for r in results)
        peak = f"{main_peak / 1e6:>9.0f}" if main_peak else f"{'':>9}"
        cpu = [r[k][1] for r in results]
        cpu_ratio = statistics.median(cpu) / statistics.median(r[0][1] for r in results)
        print(
            f"{label:<34} {name:<22} {med:>7.2f} {min(secs):>6.2f}–{max(secs):<6.2f}"
            f" {ratio:>6.2f} {per_round:>6.2f} {statistics.median(cpu):>7.2f} {cpu_ratio:>6.2f}"
            f" {peak}"
        )


def budget(results: list[list[tuple[float, float, int, int]]]) -> None:
    """What 1.5× allows on two cores, in CPU seconds, and how much of it the safe read (the
    reading the spec requires, validating nothing) and the merge use."""
    allowed = 2 * 1.5 * statistics.median(r[0][0] for r in results)
    safe, merge = (statistics.median(r[k][1] for r in results) for k in (2, 3))
    print(
        f"{'':<34} {'CPU budget at 1.5×':<22} {allowed:>7.2f} CPU s on 2 cores;"
        f" safe read {safe:.2f} ({safe / allowed:.0%}), merge {merge:.2f} ({merge / allowed:.0%}),"
        f" left after the safe read {allowed - safe:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--communities", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--writers", nargs="+", default=list(WRITERS), choices=WRITERS)
    ap.add_argument("--only", choices=("validate", "merge"))
    ap.add_argument("--old", metavar="SRC", help="also run xlhfjz from this older source tree")
    args = ap.parse_args()
    py = sys.executable
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    print(
        f"{'files':<34} {'command':<22} {'median':>7} {'range (s)':^13} {'ratio':>6}"
        f" {'rounds':>6} {'CPU s':>7} {'ratio':>6} {'main MB':>9}"
    )
    if args.only != "merge":
        book = copies(make_workbook(args.rows))
        for writer in args.writers:
            path = str(book[writer])
            validate = [py, "-m", "xlhfjz", "validate", "--json", path]
            results = rounds(
                [([py, "-c", BARE_FILE, path], {}), *with_old(validate, args.old)], args.repeat
            )
            size = Path(path).stat().st_size / 1e6
            label = f"{writer} 18×{args.rows:,} ({size:.0f} MB)"
            report(label, ["bare read (calamine)", "xlhfjz validate", "(old) validate"], results)
    if args.only != "validate":
        street = copies(make_folder(args.communities))
        summary = OUT / "summary_writers.xlsx"
        for writer in args.writers:
            folder = str(street[writer])
            merge = [py, "-c", MAIN_PEAK, "merge", folder, "-o", str(summary)]
            floor = [
                ([py, "-c", BARE_FOLDER, folder, "1"], {}),
                ([py, "-c", BARE_FOLDER, folder, "2"], {}),
                ([py, "-c", SAFE_READ, folder, "2"], {}),
            ]
            results = rounds([*floor, *with_old(merge, args.old)], args.repeat)
            size = sum(p.stat().st_size for p in Path(folder).glob("*.xlsx")) / 1e6
            label = f"{writer} {args.communities} communities ({size:.0f} MB)"
            names = ["bare read, 1 process", "bare read, 2 proc.", "safe read, 2 proc."]
            report(label, [*names, "xlhfjz merge", "(old) merge"], results)
            budget(results)
    print(
        "ratio: median ÷ the bare read's median; rounds: median of the round-by-round ratios;"
        " CPU s: median user+system seconds (workers included) and its ratio;"
        " main MB: the merge's main-process peak RSS (its workers not counted)"
    )
    print("targets: validate ≤ 2.0×, merge ≤ 1.5× the bare read (same run, every writer)")


if __name__ == "__main__":
    main()
