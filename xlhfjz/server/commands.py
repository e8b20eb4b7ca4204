"""``xlhfjz serve DIR`` and ``xlhfjz token DIR`` (server.md, "Starting it")."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from xlhfjz.server.auth import issue_token, list_tokens, revoke_token
from xlhfjz.server.store import DataFolder

__all__ = ["serve", "token"]


class CommandError(Exception):
    """A Chinese message for stderr; exit code 2."""


def serve(
    root: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8750,
    office: str | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
    rate_per_minute: int = 120,
    workers: int | None = None,
) -> int:
    """Lay out (first start) and serve the data folder until Ctrl+C; returns the exit code."""
    if bool(certfile) != bool(keyfile):
        raise CommandError("启用 HTTPS 需要同时给出 --certfile 和 --keyfile")
    for path in (certfile, keyfile, office):
        if path and not Path(path).is_file():
            raise CommandError(f"找不到文件“{path}”")
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # xlwings' remote engine
    import uvicorn

    from xlhfjz.server.app import create_app

    folder = DataFolder(root)
    first = not folder.exists()
    folder.layout()
    held = folder.lock()
    if held is None:
        raise CommandError(
            f"数据文件夹“{folder.root}”已有一个 xlhfjz 服务器在使用，同一文件夹只能运行一个"
        )
    if first:
        print(f"已建立数据文件夹：{folder.root}（台账/、报送记录/、xlhfjz.db）")
    if office:
        print(f"已导入街道汇总工作簿：{folder.import_office(office)}")
    for line in folder.recover():
        print(line)
    if folder.office_path() is None:
        print("提示：数据文件夹中还没有街道汇总工作簿（社区名单），"
              "请用 --office 街道汇总.xlsx 导入，再为各社区生成令牌。", file=sys.stderr)  # fmt: skip
    app = create_app(folder, rate_per_minute=rate_per_minute, workers=workers)
    config = uvicorn.Config(
        app, host=host, port=port, ssl_certfile=certfile, ssl_keyfile=keyfile,
        log_level="warning", access_log=False, server_header=False, lifespan="on",
        timeout_graceful_shutdown=10,
    )  # fmt: skip
    scheme = "https" if certfile else "http"
    shown = f"[{host}]" if ":" in host else host

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:  # listening: say so (not before, the port may be taken)
                print(
                    f"xlhfjz 街道服务器已启动：{scheme}://{shown}:{port}/  数据文件夹：{folder.root}"
                )
                print("按 Ctrl+C 停止。", flush=True)

    server = Server(config)
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C after its clean shutdown
        pass
    except SystemExit:
        raise CommandError(f"无法在 {host}:{port} 上启动服务（端口可能已被占用）") from None
    if not server.started:
        raise CommandError(f"无法在 {host}:{port} 上启动服务（端口可能已被占用）")
    held.close()
    print("服务器已停止。", flush=True)
    return 0


def token(
    root: str,
    *,
    community: str | None = None,
    office: bool = False,
    revoke: str | None = None,
    show: bool = False,
) -> int:
    """Issue, revoke or list tokens; a new token is the last line of stdout."""
    folder = DataFolder(root)
    if not folder.root.is_dir():
        raise CommandError(
            f"找不到数据文件夹“{root}”，请先运行 xlhfjz serve {root} --office 街道汇总.xlsx"
        )
    folder.layout()
    if show:
        rows = list_tokens(folder)
        if not rows:
            print("还没有发放任何令牌。")
        roster = _roster(folder, required=False)
        for r in rows:
            who = "街道处非办" if r["role"] == "office" else (
                f"{roster.get(r['community_code'], '')}（{r['community_code']}）")  # fmt: skip
            print(f"{who}  令牌发放于 {r['created_at']}")
        return 0
    if revoke is not None:
        code = None if revoke == "office" else revoke.strip()
        n = revoke_token(folder, code)
        who = "街道处非办" if code is None else f"社区 {code}"
        print(f"已吊销{who}的令牌。" if n else f"{who}没有有效的令牌，无需吊销。")
        return 0
    if office:
        value = issue_token(folder, None)
        print("已生成街道处非办令牌（原有的街道令牌已失效），请妥善保管：")
        print(value)
        return 0
    if community is None:
        raise CommandError("请用 --community 社区代码、--office、--revoke 社区代码 或 --list 之一")
    code = community.strip()
    if not re.fullmatch(r"\d{12}", code):
        raise CommandError(f"社区代码应为12位数字，现为“{community}”")
    roster = _roster(folder, required=True)
    if code not in roster:
        raise CommandError(f"社区代码 {code} 不在街道汇总工作簿的“社区名单”中，请先在名单中添加")
    value = issue_token(folder, code)
    print(f"已为 {roster[code]}（{code}）生成新令牌（该社区原有的令牌已失效），请妥善转交：")
    print(value)
    return 0


def _roster(folder: DataFolder, *, required: bool) -> dict[str, str]:
    from xlhfjz.model.rawbook import UnreadableWorkbook
    from xlhfjz.office.inputs import read_office
    from xlhfjz.xlsx.reader import read_workbook

    path = folder.office_path()
    if path is None:
        if required:
            raise CommandError(
                "数据文件夹中没有街道汇总工作簿（社区名单），"
                f"请先运行 xlhfjz serve {folder.root} --office 街道汇总.xlsx 导入"
            )
        return {}
    try:
        return read_office(read_workbook(path)).roster_codes
    except UnreadableWorkbook as exc:
        raise CommandError(f"街道汇总工作簿“{path}”无法读取：{exc.reason}") from None
