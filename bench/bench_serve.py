"""Benchmark: 【校验台账】 clicked by many community staff at once against ``xlhfjz serve``.

Typical workbooks (18 sheets, 50–300 rows each, a few planted errors; ``xlhfjz/sample.py``) are
turned into the VBA client's request once (tests/vba_client.py). Then:

- **server**: a real ``xlhfjz serve`` on 127.0.0.1 (its default worker count: one per core);
  C clients (threads, one keep-alive connection each) post clicks to ``/xlwings/validate``,
  either back to back (each clicks again as soon as it has its answer: a sustained load) or
  "at once" (each round, all C click at the same moment: a burst); requests per second and
  p50/p95 latency of a click;
- **in-process**: the same clicks with the same number of worker processes calling the button
  function on the same payloads directly (no HTTP, no JSON over the wire): the work itself.

``overhead`` = in-process clicks per second / server clicks per second (1.0 = no overhead); the two
are measured in alternating rounds (medians), because other work on a shared machine moves both.

    python bench/bench_serve.py [--clients 10 20] [--clicks 8] [--rows 50 150 300]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

from bench_button import make_planted  # noqa: E402


def _inproc_click(body: bytes) -> float:
    from xlhfjz.server.work import run_button

    t0 = time.perf_counter()
    status, _ = run_button("validate", body, None)
    assert status == 200
    return time.perf_counter() - t0


def _init() -> None:
    from xlhfjz.server.work import init_worker

    init_worker()


def in_process(bodies: list[bytes], total: int, workers: int) -> tuple[float, list[float]]:
    """(clicks per second, per-click seconds) with ``workers`` processes."""
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init) as pool:
        list(pool.map(_inproc_click, bodies[:workers]))  # warm up
        t0 = time.perf_counter()
        times = list(pool.map(_inproc_click, [bodies[k % len(bodies)] for k in range(total)]))
        wall = time.perf_counter() - t0
    return total / wall, times


def over_http(
    url: str, token: str, bodies: list[bytes], clients: int, clicks: int, together: bool
) -> tuple[float, list[float]]:
    """(clicks per second, latencies) with ``clients`` concurrent clients: back to back, or
    ``together`` (every round, all clients click at the same moment and wait for each other)."""
    import httpx

    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    rounds = threading.Barrier(clients)

    def client(k: int) -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        with httpx.Client(timeout=300) as http:
            http.get(url + "/healthz")
            start.wait()
            for j in range(clicks):
                if together:
                    rounds.wait()
                body = bodies[(k + j) % len(bodies)]
                t0 = time.perf_counter()
                r = http.post(url + "/xlwings/validate", content=body, headers=headers)
                dt = time.perf_counter() - t0
                assert r.status_code == 200, r.text[:200]
                with lock:
                    latencies.append(dt)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return clients * clicks / wall, latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, nargs="+", default=[10, 20])
    ap.add_argument("--clicks", type=int, default=8, help="clicks per client")
    ap.add_argument("--rows", type=int, nargs="+", default=[50, 150, 300])
    ap.add_argument("--issues", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3, help="alternating server/in-process runs")
    args = ap.parse_args()

    from conftest import run_cli
    from live_server import LiveServer
    from vba_client import payload_from_xlsx

    files = [make_planted(rows, args.issues) for rows in args.rows]
    bodies = [json.dumps(payload_from_xlsx(f), ensure_ascii=False).encode() for f in files]
    sizes = ", ".join(
        f"{r} rows {len(b) / 1e6:.1f} MB" for r, b in zip(args.rows, bodies, strict=True)
    )
    workers = os.cpu_count() or 1
    print(f"workbooks: 18 sheets × {args.rows} rows ({sizes}); {workers} cores, {workers} workers")

    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp) / "data", "--rate-limit", "100000").start()
        try:
            token = run_cli("token", str(server.root), "--office").stdout.strip().splitlines()[-1]
            rows = []
            for clients in [1, *args.clients]:
                total = clients * args.clicks
                for together in (False, True) if clients > 1 else (False,):
                    # alternate the two, so that load from elsewhere on the machine hits both
                    http_rps, lat, local_rps, local = [], [], [], []
                    for _ in range(args.rounds):
                        rps, times = over_http(server.url, token, bodies, clients, args.clicks,
                                               together)  # fmt: skip
                        http_rps.append(rps)
                        lat += times
                        rps, times = in_process(bodies, total, min(workers, clients))
                        local_rps.append(rps)
                        local += times
                    mode = "at once" if together else "back to back"
                    rps_http, rps_local = statistics.median(http_rps), statistics.median(local_rps)
                    rows.append((clients, mode, rps_http, pct(lat, 0.5), pct(lat, 0.95),
                                 rps_local, statistics.median(local), rps_local / rps_http))  # fmt: skip
        finally:
            server.stop()

    print()
    print(f"{'clients':>7} {'clicking':<12} {'req/s':>7} {'p50 s':>7} {'p95 s':>7} │ "
          f"{'in-proc/s':>9} {'click s':>8} │ {'overhead':>8}")  # fmt: skip
    for c, mode, rps, p50, p95, local_rps, click, ratio in rows:
        print(f"{c:>7} {mode:<12} {rps:>7.1f} {p50:>7.3f} {p95:>7.3f} │ {local_rps:>9.1f} "
              f"{click:>8.3f} │ {ratio:>7.2f}×")  # fmt: skip
    print("\ntarget: p95 ≤ 1.5 s with 10 clients, overhead ≤ 1.3×")


if __name__ == "__main__":
    main()
