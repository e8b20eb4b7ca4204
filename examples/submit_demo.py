"""演示：把示例街道的各社区台账通过 HTTP 报送到街道服务器，再读汇总看板。

    python examples/submit_demo.py [输出文件夹]     # 默认 xlhfjz-demo-serve/

它依次：生成示例街道（``xlhfjz demo``）；在 127.0.0.1 的空闲端口上启动 ``xlhfjz serve``（导入演示的
街道汇总工作簿）；为名单上每个社区发放令牌（``xlhfjz token``）；用各社区自己的令牌上传台账
（``POST /api/submissions``，只用 Python 标准库）；用街道令牌读 ``/api/dashboard``；最后按 Ctrl+C 的方式停止服务器。
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path


def xlhfjz(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "xlhfjz", *args], capture_output=True,
                          text=True, encoding="utf-8", check=True)  # fmt: skip
    return done.stdout


def request(url: str, token: str, file: Path | None = None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if file is not None:
        boundary = uuid.uuid4().hex
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n')  # fmt: skip
        data = head.encode() + file.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "xlhfjz-demo-serve").resolve()
    xlhfjz("demo", "-o", str(out / "demo"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    data = out / "data"
    server = subprocess.Popen([sys.executable, "-m", "xlhfjz", "serve", str(data), "--port",
                               str(port), "--office", str(out / "demo" / "街道汇总.xlsx")])  # fmt: skip
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        office = xlhfjz("token", str(data), "--office").strip().splitlines()[-1]
        for file in sorted((out / "demo" / "台账").glob("[0-9]*.xlsx")):
            code = re.match(r"\d{12}", file.name)
            token = xlhfjz("token", str(data), "--community", code[0]).strip().splitlines()[-1]
            status, doc = request(url + "/api/submissions", token, file)
            if status == 201:
                print(f"{file.name}：报送成功 #{doc['id']}，{doc['result']}，总分 {doc['total']:.1f}，"
                      f"错误 {doc['errors']} 个、提醒 {doc['warnings']} 个")  # fmt: skip
            else:
                print(f"{file.name}：未报送（{status}）{doc['error']}")
        status, board = request(url + "/api/dashboard", office)
        t = board["target"]
        print(f"\n汇总看板：{t['n']} 个社区，创建成功 {t['passed']} 个（需 {t['required']} 个），"
              f"完成率 {t['rate']:.0%}")  # fmt: skip
        print(f"数据文件夹：{data}（台账/ 是最新报送，报送记录/ 是全部版本）")
    finally:
        server.send_signal(signal.SIGINT if os.name != "nt" else signal.CTRL_C_EVENT)
        server.wait(60)


if __name__ == "__main__":
    main()
