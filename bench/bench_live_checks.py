"""Benchmark: what the template's conditional formats (``xlhfjz.xlsx.live_checks``) cost when
LibreOffice opens a big community workbook.

Writes the same clean community (18 sheets × N rows) twice, with and without the rules, then —
in one LibreOffice started for the purpose, over UNO with Debian's ``/usr/bin/python3`` — opens
each file (load), recalculates it (``calculateAll``) and exports the first page of 志愿者 to PDF
(the rules are evaluated when cells are drawn). Prints a table of medians.

    python bench/bench_live_checks.py [--rows 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

UNO = r"""
import json, sys, time, uno
from com.sun.star.beans import PropertyValue

def prop(n, v):
    p = PropertyValue(); p.Name = n; p.Value = v; return p

port, files = int(sys.argv[1]), sys.argv[2:]
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
deadline = time.monotonic() + 60
while True:
    try:
        ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
        break
    except Exception:
        if time.monotonic() > deadline: raise
        time.sleep(0.25)
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
out = []
for f in files:
    t0 = time.perf_counter()
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(f), "_blank", 0, (prop("Hidden", True),))
    t1 = time.perf_counter()
    doc.calculateAll()
    t2 = time.perf_counter()
    sheet = doc.Sheets.getByName("志愿者")
    doc.CurrentController.setActiveSheet(sheet) if doc.CurrentController else None
    pdf = f + ".pdf"
    filt = (prop("FilterName", "calc_pdf_Export"),
            prop("FilterData", uno.Any("[]com.sun.star.beans.PropertyValue",
                 (prop("Selection", sheet.getCellRangeByName("A1:J60")),))))
    doc.storeToURL(uno.systemPathToFileUrl(pdf), filt)
    t3 = time.perf_counter()
    doc.close(True)
    out.append({"file": f, "load": t1 - t0, "recalc": t2 - t1, "page": t3 - t2})
print(json.dumps(out))
"""


def make(rows: int, live: bool) -> Path:
    from bench_validate import make_workbook

    return make_workbook(rows, live_checks=live, tag="_rules" if live else "_plain")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    files = {"无条件格式": make(args.rows, False), "有条件格式": make(args.rows, True)}
    port = free_port()
    profile = Path(tempfile.mkdtemp(prefix="lo-bench-"))
    office = subprocess.Popen(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         f"--accept=socket,host=127.0.0.1,port={port};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in files}
    try:
        for _ in range(args.repeat):
            for label, path in files.items():  # alternate, so drift hits both alike
                done = subprocess.run(
                    ["/usr/bin/python3", "-c", UNO, str(port), str(path)],
                    capture_output=True, text=True, check=True, timeout=900,
                )  # fmt: skip
                runs[label].append(json.loads(done.stdout)[0])
    finally:
        office.terminate()
        office.wait(30)
    print(f"\n{args.rows} 行 × 17 张台账（中位数，{args.repeat} 次）\n")
    print("| 工作簿 | 大小 | 打开 | 重算 | 渲染一页 | 合计 |")
    print("|---|---|---|---|---|---|")
    for label, path in files.items():
        med = {k: statistics.median(r[k] for r in runs[label]) for k in ("load", "recalc", "page")}
        size = os.path.getsize(path) / 1e6
        total = sum(med.values())
        print(f"| {label} | {size:.1f} MB | {med['load']:.2f} s | {med['recalc']:.2f} s "
              f"| {med['page']:.2f} s | {total:.2f} s |")  # fmt: skip


if __name__ == "__main__":
    main()
