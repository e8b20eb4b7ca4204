"""Benchmark: the 【校验台账】 button on a community workbook of 18 sheets × N rows, through
xlwings' remote engine (the code a click runs, without Excel).

For each workbook: the request is built once from the file as xlwings' VBA client builds it
(tests/vba_client.py; timed separately, it stands for Excel's own work before the request); then
the click is timed (median of --repeat): ``xw.Book(json=…)`` on the request, ``validate_button()``
and serialising the actions — everything the server does per click. Printed with the number of
actions by kind: it grows with the number of issues, not with the number of cells.

    python bench/bench_button.py [--rows 200 1000] [--issues 0 10 100 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

from bench_validate import OUT, make_workbook, unique_copy  # noqa: E402

BAD_TYPES = ("date", "month", "int", "mobile", "grid")


def make_planted(rows: int, issues: int) -> Path:
    """The workbook of :func:`bench_validate.make_workbook` with ``issues`` cells made invalid,
    spread over the 17 ledgers and their rows (each bad cell gives at least one issue)."""
    if issues == 0:
        return make_workbook(rows)
    from xlhfjz.model.schema import BY_NAME
    from xlhfjz.sample import generate_community
    from xlhfjz.xlsx.community import write_community_workbook

    path = OUT / f"community_18x{rows}_bad{issues}.xlsx"
    if path.exists():
        return path
    sample = generate_community(7, scale=rows / 8)
    for name, data in sample.data.items():
        if data:
            sample.data[name] = [unique_copy(name, data, i) for i in range(rows)]
    names = [n for n, data in sample.data.items() if data]
    for k in range(issues):
        name = names[k % len(names)]
        fields = BY_NAME[name].fields
        col = next(i for i, f in enumerate(fields) if f.type in BAD_TYPES)
        row = (k // len(names) * 7 + k % 5) % rows
        sample.data[name][row][col] = "待补"
    write_community_workbook(path, basic=sample.basic, data=sample.data)
    return path


def click(payload: dict) -> tuple[float, list[dict], int]:
    """One click on a fresh copy of the request: seconds, actions, response bytes."""
    import xlwings as xw
    from xlwings.pro import _xlremote

    from xlhfjz.excel import validate_button

    request = copy.deepcopy(payload)  # the engine mutates it; not part of the timing
    t = time.perf_counter()
    book = xw.Book(json=request)
    book.set_mock_caller()
    try:
        validate_button()
        response = json.dumps(book.json(), ensure_ascii=False)
    finally:
        del xw.Book._mock_caller
        book.close()
        _xlremote.get_range_api.cache_clear()
    seconds = time.perf_counter() - t
    return seconds, json.loads(response)["actions"], len(response.encode())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[200, 1000])
    ap.add_argument("--issues", type=int, nargs="+", default=[0, 10, 100, 1000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from vba_client import payload_from_xlsx

    print(
        f"{'rows/sheet':>10} {'cells':>8} {'planted':>7} {'issues':>6} {'request MB':>10} "
        f"{'build s':>7} {'click s':>7} {'actions':>7}  by kind"
    )
    for rows in args.rows:
        for n in args.issues if rows == max(args.rows) else [0]:
            path = make_planted(rows, n)
            t = time.perf_counter()
            payload = payload_from_xlsx(path)
            build = time.perf_counter() - t
            size = len(json.dumps(payload, ensure_ascii=False).encode()) / 1e6
            cells = sum(len(r) for s in payload["sheets"] for r in s["values"])
            runs = [click(payload) for _ in range(args.repeat)]
            seconds = statistics.median(s for s, _, _ in runs)
            actions = runs[0][1]
            kinds = Counter(a["func"] for a in actions)
            issues = len(next(a for a in actions if a["func"] == "setValues"
                              and a["values"][0][:2] == ["工作表", "行"])["values"]) - 1  # fmt: skip
            by_kind = " ".join(f"{k}={v}" for k, v in sorted(kinds.items(), key=lambda x: -x[1]))
            print(
                f"{rows:>10} {cells:>8} {n:>7} {issues:>6} {size:>10.1f} "
                f"{build:>7.2f} {seconds:>7.2f} {len(actions):>7}  {by_kind}"
            )
    print(
        "target: click < 2 s at 1,000 rows/sheet. actions = 6 + about two per issue (a fill per\n"
        "run of marked cells, a link per issue), whatever the number of cells. (planted 0 still\n"
        "has the 2 sheet-rule warnings bench_validate.py's grown workbook has by construction.)"
    )


if __name__ == "__main__":
    main()
