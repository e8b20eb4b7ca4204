"""The street's server (server.md): ``xlhfjz serve DIR`` and ``xlhfjz token DIR``.

- :mod:`xlhfjz.server.store`: the data folder, its SQLite database (WAL), atomic submissions;
- :mod:`xlhfjz.server.auth`: tokens (random, stored as hashes, compared in constant time) and
  the per-token rate limit;
- :mod:`xlhfjz.server.work`: the CPU work (buttons on xlwings' remote engine, validating and
  scoring uploads) run in worker processes;
- :mod:`xlhfjz.server.app`: the ASGI app (FastAPI) and its endpoints;
- :mod:`xlhfjz.server.commands`: the two subcommands.

FastAPI, uvicorn and python-multipart (the ``server`` extra) are imported only here.
"""
