"""The community page with a large workbook: 18 sheets × N rows, every 志愿者 phone made wrong (so
the issue table gets N rows), uploaded in headless Chromium against a real ``xlhfjz serve``.

Prints, per size: seconds until the counts show, until every issue row is in the table, for the
marked download, and the longest main-thread stall seen meanwhile (a ``setInterval`` probe):
the page must stay responsive while it fills the table.

    python bench/bench_pages.py --rows 1000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PROBE = """() => { window.__stall = 0; let last = performance.now();
  setInterval(() => { const now = performance.now();
    window.__stall = Math.max(window.__stall, now - last - 50); last = now; }, 50); }"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[1000])
    args = ap.parse_args()
    import openpyxl
    from bench_validate import make_workbook
    from helpers import run_cli
    from live_server import LiveServer
    from playwright.sync_api import expect, sync_playwright

    from xlhfjz.xlsx.office_book import write_office_workbook

    base = Path(tempfile.mkdtemp(prefix="bench_pages_"))
    print(
        f"{'rows':>6} {'issues':>7} {'counts s':>9} {'table s':>8} {'marked s':>9} {'stall ms':>9}"
    )
    for rows in args.rows:
        wb = openpyxl.load_workbook(make_workbook(rows))
        ws = wb["志愿者"]
        bad = 0
        for r in range(3, ws.max_row + 1):
            if ws.cell(r, 5).value:
                ws.cell(r, 5).value = "1381234"
                bad += 1
        code = str(wb["基本信息"]["B3"].value)
        path = base / f"big_{rows}.xlsx"
        wb.save(path)
        office = write_office_workbook(base / f"office_{rows}.xlsx", roster=[
            {"community_code": code, "community_name": "测试社区", "community_type": "城市社区"}])  # fmt: skip
        root = base / f"data_{rows}"
        with LiveServer(root, "--office", str(office), "--workers", "2") as server:
            done = run_cli("token", str(root), "--community", code)
            token = done.stdout.strip().splitlines()[-1]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--no-first-run", "--disable-sync"])  # fmt: skip
                page = browser.new_page(viewport={"width": 1366, "height": 768},
                                        accept_downloads=True)  # fmt: skip
                page.goto(server.url + "/")
                page.fill("#token", token)
                page.click("#login button[type=submit]")
                expect(page.locator("#app")).to_be_visible()
                page.evaluate(PROBE)
                t = time.perf_counter()
                page.set_input_files("#file", str(path))
                expect(page.locator("#result")).to_be_visible(timeout=600_000)
                counts = time.perf_counter() - t
                n = int(page.locator("#count-errors").text_content() or 0) + int(
                    page.locator("#count-warnings").text_content() or 0
                )
                expect(page.locator("#issues tbody tr")).to_have_count(n, timeout=600_000)
                table = time.perf_counter() - t
                t = time.perf_counter()
                with page.expect_download(timeout=600_000) as d:
                    page.click("#download")
                d.value.path()
                marked = time.perf_counter() - t
                stall = page.evaluate("window.__stall")
                page.screenshot(path=str(base / f"big_{rows}.png"))
                browser.close()
        print(f"{rows:>6} {n:>7} {counts:>9.1f} {table:>8.1f} {marked:>9.1f} {stall:>9.0f}")
    print(f"(files and screenshots in {base})", file=sys.stderr)


if __name__ == "__main__":
    main()
