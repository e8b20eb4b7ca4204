"""The street's server (server.md) over real HTTP.

A real ``xlhfjz serve`` process on 127.0.0.1 and a free port (:mod:`live_server`), tokens issued
with the real ``xlhfjz token`` command, requests with httpx. Button clicks are the VBA client's
payloads built from real files (:mod:`vba_client`), and the actions that come back are replayed
onto an openpyxl copy whose cells are checked. Nothing of ours is mocked.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import socket
import sqlite3
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from helpers import run_cli
from live_server import LiveServer
from test_excel import PLANTED, PLANTED_ALERT, community, fills_in, only_allowed, replayed
from vba_client import payload_from_xlsx

from xlhfjz import __version__
from xlhfjz.xlsx.office_book import write_office_workbook

ROSTER = {
    "370303009001": "华侨城社区",
    "370303009002": "柳泉社区",
    "370303009003": "杏园社区",
    "370303009004": "共青团社区",
}
NO_TOKEN = "缺少令牌或令牌无效（可能已被吊销）：请向街道处非办索取令牌"


# ── the street: an office workbook, four communities' files, a server, tokens ───────────────


class Street:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.root = base / "data"
        self.files = base / "files"
        self.files.mkdir()
        self.office = write_office_workbook(
            base / "街道汇总.xlsx",
            settings={"street": "车站街道"},
            roster=[{"community_code": c, "community_name": n, "community_type": "城市社区"}
                    for c, n in ROSTER.items()],
        )  # fmt: skip
        self.planted = community(self.files / "370303009001_华侨城社区_有错.xlsx")
        self.clean = {
            code: community(
                self.files / f"{code}_{name}.xlsx", plant=False, seed=k, name=name, code=code
            )
            for k, (code, name) in enumerate(ROSTER.items(), start=2)
        }
        self.tokens: dict[str, str] = {}
        self.server: LiveServer | None = None

    def token(self, *args: str) -> str:
        done = run_cli("token", str(self.root), *args)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def serve(self, codes: Any) -> Street:
        """Start ``xlhfjz serve`` on the folder and issue the office's and these communities' tokens."""
        self.server = LiveServer(self.root, "--office", str(self.office), "--rate-limit", "6000",
                                 "--workers", "2")  # fmt: skip
        self.server.start()
        for code in codes:
            self.tokens[code] = self.token("--community", code)
        self.tokens["office"] = self.token("--office")
        return self


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory) -> Any:
    s = Street(tmp_path_factory.mktemp("street")).serve(ROSTER)
    yield s
    assert s.server.stop() == 0, s.server.output()
    assert "服务器已停止" in s.server.output()


def post_click(street: Street, kind: str, payload: dict, token: str | None) -> httpx.Response:
    headers = auth(token) if token else {}
    return httpx.post(f"{street.url}/xlwings/{kind}", json=payload, headers=headers, timeout=120)


def upload(street: Street, path: Path, token: str, endpoint: str = "submissions") -> httpx.Response:
    with open(path, "rb") as fh:
        return httpx.post(f"{street.url}/api/{endpoint}", headers=auth(token),
                          files={"file": (path.name, fh)}, timeout=120)  # fmt: skip


# ── anyone ──────────────────────────────────────────────────────────────────────────────────


def test_healthz_needs_no_token(street: Street) -> None:
    r = httpx.get(street.url + "/healthz")
    assert r.status_code == 200
    assert r.json() == {"ok": True, "version": __version__}


def test_data_folder_is_laid_out_on_first_start(street: Street) -> None:
    assert (street.root / "xlhfjz.db").is_file()
    assert (street.root / "台账").is_dir()
    assert (street.root / "报送记录").is_dir()
    assert (street.root / "街道汇总.xlsx").read_bytes() == street.office.read_bytes()
    with sqlite3.connect(street.root / "xlhfjz.db") as con:
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_unknown_path_and_method_answer_chinese_json(street: Street) -> None:
    r = httpx.get(street.url + "/nothing-here")
    assert (r.status_code, r.json()) == (404, {"error": "找不到该地址"})
    r = httpx.get(street.url + "/api/validate", headers=auth(street.tokens["office"]))
    assert (r.status_code, r.json()) == (405, {"error": "不支持该请求方法"})


# ── the remote buttons ──────────────────────────────────────────────────────────────────────


def test_validate_button_over_http_marks_the_planted_cells(street: Street, tmp_path: Path) -> None:
    payload = payload_from_xlsx(street.planted)
    r = post_click(street, "validate", payload, street.tokens["370303009001"])
    assert r.status_code == 200
    actions = r.json()["actions"]
    only_allowed(actions)
    wb, alerts = replayed(street.planted, actions, tmp_path / "after.xlsx")
    assert fills_in(wb) == PLANTED
    assert alerts == [[PLANTED_ALERT, "校验台账", "ok", "info", ""]]
    assert wb.active.title == "校验结果"
    rows = [r for r in wb["校验结果"].iter_rows(values_only=True) if any(r)]
    assert rows[0] == ("工作表", "行", "列", "级别", "说明", "单元格")
    assert len(rows) == 1 + 10


def test_clear_button_over_http_whitens_the_marks(street: Street, tmp_path: Path) -> None:
    token = street.tokens["370303009001"]
    first = post_click(street, "validate", payload_from_xlsx(street.planted), token)
    marked = tmp_path / "marked.xlsx"
    replayed(street.planted, first.json()["actions"], marked)
    r = post_click(street, "clear", payload_from_xlsx(marked), token)
    assert r.status_code == 200
    wb, alerts = replayed(marked, r.json()["actions"], tmp_path / "cleared.xlsx")
    assert fills_in(wb) == dict.fromkeys(PLANTED, "#FFFFFF")
    assert alerts == [["已清除 10 个单元格的校验标记。", "清除标记", "ok", "info", ""]]


def test_score_button_over_http_writes_the_score_sheet(street: Street, tmp_path: Path) -> None:
    clean = street.clean["370303009002"]
    r = post_click(street, "score", payload_from_xlsx(clean), street.tokens["370303009002"])
    assert r.status_code == 200
    wb, alerts = replayed(clean, r.json()["actions"], tmp_path / "scored.xlsx")
    assert wb.active.title == "创建评分"
    labels = [row[0] for row in wb["创建评分"].iter_rows(values_only=True)]
    assert labels[:4] == ["创建评分（本社区自评；群众知晓率需街道督导检查后评分）", "社区",
                          "创建结果", "总分"]  # fmt: skip
    assert [a[1] for a in alerts] == ["计算评分"]
    assert alerts[0][0].startswith("创建结果：")


def test_office_token_may_click_on_any_workbook(street: Street) -> None:
    r = post_click(street, "validate", payload_from_xlsx(street.planted), street.tokens["office"])
    assert r.status_code == 200


@pytest.mark.parametrize("kind", ["validate", "score", "clear", "submit"])
def test_a_click_without_a_valid_token_is_401(street: Street, kind: str) -> None:
    payload = payload_from_xlsx(street.planted)
    for token in (None, "xlhfjz_" + "A" * 43, street.tokens["370303009001"][:-1]):
        r = post_click(street, kind, payload, token)
        assert (r.status_code, r.json()) == (401, {"error": NO_TOKEN})


def test_a_revoked_token_is_401_and_a_new_one_works(street: Street) -> None:
    payload = payload_from_xlsx(street.clean["370303009004"])
    old = street.tokens["370303009004"]
    assert post_click(street, "validate", payload, old).status_code == 200
    done = run_cli("token", str(street.root), "--revoke", "370303009004")
    assert done.returncode == 0
    assert post_click(street, "validate", payload, old).status_code == 401
    new = street.token("--community", "370303009004")
    street.tokens["370303009004"] = new
    assert post_click(street, "validate", payload, new).status_code == 200
    newer = street.token("--community", "370303009004")  # issuing again retires `new`
    street.tokens["370303009004"] = newer
    assert post_click(street, "validate", payload, new).status_code == 401
    assert post_click(street, "validate", payload, newer).status_code == 200


@pytest.mark.parametrize("kind", ["validate", "score", "clear", "submit"])
def test_another_communitys_workbook_is_403(street: Street, kind: str) -> None:
    r = post_click(street, kind, payload_from_xlsx(street.planted), street.tokens["370303009002"])
    assert r.status_code == 403
    assert r.json() == {
        "error": "这是社区代码 370303009001 的工作簿，本令牌只能处理本社区（370303009002）的工作簿"
    }


def test_a_payload_over_the_vba_clients_row_limit_is_refused(street: Street) -> None:
    payload = payload_from_xlsx(street.clean["370303009003"])
    sheet = next(s for s in payload["sheets"] if s["name"] == "志愿者")
    sheet["values"] += [[None] * len(sheet["values"][0])] * (32_768 - len(sheet["values"]))
    r = post_click(street, "validate", payload, street.tokens["370303009003"])
    assert r.status_code == 413
    assert r.json() == {
        "error": "工作表“志愿者”有 32768 行，超过了 Excel 按钮一次能发送的上限 32767 行。"
        "请删除多余的空行，或在网页上传文件校验、报送"
    }


def test_a_body_that_is_not_a_payload_is_422(street: Street) -> None:
    token = street.tokens["370303009001"]
    bodies = (b"not json", b"[1, 2]", b'{"sheets": "x", "book": {}}', b'{"sheets": [], "book": {}}',
              b'{"sheets": [{"name": "a", "values": [[{"x": 1}]]}], "book": {}}')  # fmt: skip
    for body in bodies:
        r = httpx.post(f"{street.url}/xlwings/validate", content=body, headers=auth(token))
        assert r.status_code == 422
        assert "不是 Excel 按钮发送的工作簿数据" in r.json()["error"]


def test_a_declared_huge_body_is_refused_before_it_is_sent(street: Street) -> None:
    with socket.create_connection(("127.0.0.1", street.server.port), timeout=30) as s:  # type: ignore[union-attr]
        s.sendall(
            b"POST /xlwings/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 900000000\r\n\r\n"
        )
        answer = b""
        while not answer.endswith(b"}"):
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body) == {"error": "上传内容过大，超过允许的上限 64 MB"}


def test_submit_button_stores_the_workbook_without_its_token(street: Street) -> None:
    token = street.tokens["370303009003"]
    r = post_click(street, "submit", payload_from_xlsx(street.clean["370303009003"]), token)
    assert r.status_code == 200
    (alert,) = r.json()["actions"]
    assert alert["func"] == "alert"
    text, title = alert["args"][:2]
    assert title == "报送街道"
    assert text.startswith("报送成功\n报送时间：")
    mine = httpx.get(street.url + "/api/submissions", headers=auth(token)).json()["submissions"]
    latest = mine[0]
    assert latest["community_code"] == "370303009003"
    assert f"创建结果：{latest['result']}，总分 {latest['total']:.1f} 分" in text
    assert f"台账校验：错误 {latest['errors']} 个、提醒 {latest['warnings']} 个" in text
    stored = street.root / "台账" / "370303009003_杏园社区.xlsx"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == latest["sha256"]
    wb = openpyxl.load_workbook(stored)
    assert "xlwings.conf" not in wb.sheetnames
    assert wb.sheetnames[:2] == ["使用说明", "基本信息"]
    with zipfile.ZipFile(stored) as z:
        assert not any(token.encode() in z.read(n) for n in z.namelist())
    # what was stored validates as the original does
    cli = json.loads(run_cli("validate", "--json", str(street.clean["370303009003"])).stdout)
    stored_doc = json.loads(run_cli("validate", "--json", str(stored)).stdout)
    assert stored_doc["files"][0]["issues"] == cli["files"][0]["issues"]


def test_the_office_cannot_submit_for_a_community(street: Street) -> None:
    r = post_click(street, "submit", payload_from_xlsx(street.planted), street.tokens["office"])
    assert (r.status_code, r.json()) == (
        403,
        {"error": "报送需使用社区的令牌（街道令牌不能代社区报送）"},
    )
    r = upload(street, street.planted, street.tokens["office"])
    assert r.status_code == 403


# ── files ───────────────────────────────────────────────────────────────────────────────────


def test_api_validate_is_the_validate_json_of_the_cli(street: Street) -> None:
    r = upload(street, street.planted, street.tokens["370303009001"], "validate")
    assert r.status_code == 200
    doc = r.json()
    cli = json.loads(run_cli("validate", "--json", street.planted.name, cwd=street.files).stdout)
    assert doc == cli  # the same builder; the file name is the uploaded one
    assert doc["files"][0]["counts"] == {"error": 9, "warning": 1}


def test_api_score_is_the_score_json_of_the_cli(street: Street) -> None:
    r = upload(street, street.planted, street.tokens["370303009001"], "score")
    assert r.status_code == 200
    cli = run_cli(
        "score", "--json", "--office", str(street.office), street.planted.name, cwd=street.files
    )
    assert r.json() == json.loads(cli.stdout)


def test_api_validate_of_another_communitys_file_is_403(street: Street) -> None:
    r = upload(street, street.planted, street.tokens["370303009002"], "validate")
    assert r.status_code == 403


def test_an_upload_that_is_not_a_workbook(street: Street, tmp_path: Path) -> None:
    token = street.tokens["370303009001"]
    text = tmp_path / "名单.csv"
    text.write_text("a,b\n1,2\n", encoding="utf-8")
    r = upload(street, text, token, "validate")
    assert r.status_code == 415
    assert r.json()["error"].startswith("“名单.csv”不是 Excel 工作簿")
    fake = tmp_path / "台账.xlsx"
    fake.write_text("a,b\n1,2\n", encoding="utf-8")
    r = upload(street, fake, token, "validate")
    assert r.status_code == 422
    assert r.json() == {
        "error": "无法读取该文件：这是文本文件（如 CSV），只是扩展名改成了 .xlsx，"
        "请在 Excel 中打开后“另存为” Excel 工作簿 (.xlsx) 再提交"
    }
    r = httpx.post(f"{street.url}/api/validate", headers=auth(token), data={"x": "1"})
    assert r.status_code == 422


def test_submission_upload_is_stored_with_its_counts(street: Street) -> None:
    token = street.tokens["370303009001"]
    r = upload(street, street.planted, token)
    assert r.status_code == 201
    doc = r.json()
    assert set(doc) == {"id", "community_code", "received_at", "sha256", "errors", "warnings",
                        "total", "result"}  # fmt: skip
    assert doc["community_code"] == "370303009001"
    assert (doc["errors"], doc["warnings"]) == (9, 1)
    assert doc["sha256"] == hashlib.sha256(street.planted.read_bytes()).hexdigest()
    score = json.loads(run_cli("score", "--json", "--office", str(street.office),
                               str(street.planted)).stdout)["files"][0]  # fmt: skip
    assert (doc["result"], doc["total"]) == (score["result"], score["total"])
    stamp = doc["received_at"][:19].replace(":", "-")
    record = (
        street.root / "报送记录" / "370303009001" / f"{doc['id']}_{stamp}_{doc['sha256'][:8]}.xlsx"
    )
    assert record.read_bytes() == street.planted.read_bytes()
    assert (
        street.root / "台账" / "370303009001_华侨城社区.xlsx"
    ).read_bytes() == record.read_bytes()
    mine = httpx.get(street.url + "/api/submissions", headers=auth(token)).json()["submissions"]
    assert mine[0] == doc
    assert {s["community_code"] for s in mine} == {"370303009001"}


def test_twenty_submissions_at_once_are_all_stored(street: Street) -> None:
    office = auth(street.tokens["office"])
    before = httpx.get(street.url + "/api/submissions", headers=office).json()["submissions"]
    jobs = [code for code in ROSTER for _ in range(5)]

    def send(code: str) -> httpx.Response:
        return upload(street, street.clean[code], street.tokens[code])

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, jobs))
    assert [a.status_code for a in answers] == [201] * 20
    ids = [a.json()["id"] for a in answers]
    assert len(set(ids)) == 20
    after = httpx.get(street.url + "/api/submissions", headers=office).json()["submissions"]
    assert len(after) == len(before) + 20
    assert [s["id"] for s in after] == sorted((s["id"] for s in after), reverse=True)
    records = [p for p in (street.root / "报送记录").rglob("*") if p.is_file()]
    assert len(records) == len(after)
    for code, name in ROSTER.items():
        newest = next(s for s in after if s["community_code"] == code)
        ledger = street.root / "台账" / f"{code}_{name}.xlsx"
        assert hashlib.sha256(ledger.read_bytes()).hexdigest() == newest["sha256"]
    assert sorted(p.name for p in (street.root / "台账").iterdir()) == sorted(
        f"{c}_{n}.xlsx" for c, n in ROSTER.items()
    )


def test_the_dashboard_equals_merge_json(street: Street, tmp_path: Path) -> None:
    upload(street, street.clean["370303009002"], street.tokens["370303009002"])
    r = httpx.get(street.url + "/api/dashboard", headers=auth(street.tokens["office"]))
    assert r.status_code == 200
    cli = run_cli("merge", str(street.root / "台账"), "--office", str(street.root / "街道汇总.xlsx"),
                  "-o", str(tmp_path / "汇总.xlsx"), "--json")  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    expected = json.loads(cli.stdout)
    del expected["summary"]
    assert r.json() == expected
    assert r.json()["target"]["n"] == 4


def test_the_summary_workbook_downloads(street: Street, tmp_path: Path) -> None:
    r = httpx.get(street.url + "/api/summary.xlsx", headers=auth(street.tokens["office"]))
    assert r.status_code == 200
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    path = tmp_path / "s.xlsx"
    path.write_bytes(r.content)
    assert "汇总看板" in openpyxl.load_workbook(path, read_only=True).sheetnames
    assert not list((street.root / ".incoming").iterdir())


@pytest.mark.parametrize("path", ["/api/dashboard", "/api/summary.xlsx"])
def test_office_pages_are_the_offices(street: Street, path: str) -> None:
    r = httpx.get(street.url + path, headers=auth(street.tokens["370303009001"]))
    assert (r.status_code, r.json()) == (403, {"error": "只有街道处非办的令牌可以查看"})
    assert httpx.get(street.url + path).status_code == 401


def test_the_hostile_corpus_is_answered_and_the_server_stays_up(
    street: Street, tmp_path: Path
) -> None:
    from corpus import make_corpus

    files = make_corpus.build(tmp_path / "corpus")
    office = street.tokens["office"]
    for name, path in files.items():
        r = upload(street, path, office, "validate")
        assert r.status_code in (200, 413, 415, 422), (name, r.status_code)
        doc = r.json()
        assert ("files" in doc) if r.status_code == 200 else (set(doc) == {"error"}), name
        assert httpx.get(street.url + "/healthz").status_code == 200
    assert not list((street.root / ".incoming").iterdir())


# ── what is kept and logged ─────────────────────────────────────────────────────────────────


def test_only_token_hashes_are_stored_and_nothing_secret_is_logged(street: Street) -> None:
    db = street.root / "xlhfjz.db"
    with sqlite3.connect(db) as con:
        hashes = {h for (h,) in con.execute("SELECT token_hash FROM tokens")}
        audit = con.execute("SELECT actor, action, status, client, detail FROM audit").fetchall()
    blobs = db.read_bytes() + (db.with_name("xlhfjz.db-wal").read_bytes()
                               if db.with_name("xlhfjz.db-wal").exists() else b"")  # fmt: skip
    for token in street.tokens.values():
        assert hashlib.sha256(token.encode()).hexdigest() in hashes
        assert token.encode() not in blobs
        assert token not in street.server.output()  # type: ignore[union-attr]
    assert ("community:370303009001", "POST /api/submissions", 201, "127.0.0.1") in {
        a[:4] for a in audit
    }
    assert ("-", "POST /xlwings/validate", 401, "127.0.0.1") in {a[:4] for a in audit}
    assert ("community:370303009002", "POST /xlwings/validate", 403, "127.0.0.1") in {
        a[:4] for a in audit
    }
    # no cell value of the planted workbook (its phone number) in the audit log
    assert not any("1381234" in str(a) for a in audit)


def test_token_list_shows_holders_not_tokens(street: Street) -> None:
    done = run_cli("token", str(street.root), "--list")
    assert done.returncode == 0
    assert "华侨城社区（370303009001）" in done.stdout
    assert "街道处非办" in done.stdout
    for token in street.tokens.values():
        assert token not in done.stdout


def test_a_token_for_a_code_off_the_roster_is_refused(street: Street) -> None:
    done = run_cli("token", str(street.root), "--community", "370303009099")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "社区代码 370303009099 不在街道汇总工作簿的“社区名单”中，请先在名单中添加"
    )
    assert done.stdout == ""


# ── servers of their own ────────────────────────────────────────────────────────────────────


def _fresh_street(tmp_path: Path, *args: str) -> tuple[LiveServer, str, Path]:
    office = write_office_workbook(
        tmp_path / "街道汇总.xlsx",
        roster=[{"community_code": "370303009001", "community_name": "华侨城社区"}],
    )
    root = tmp_path / "data"
    server = LiveServer(root, "--office", str(office), "--workers", "1", *args)
    server.start()
    done = run_cli("token", str(root), "--community", "370303009001")
    return server, done.stdout.strip().splitlines()[-1], root


def test_too_many_requests_is_429(tmp_path: Path) -> None:
    server, token, _root = _fresh_street(tmp_path, "--rate-limit", "4")
    try:
        codes = [httpx.get(server.url + "/api/submissions", headers=auth(token)).status_code
                 for _ in range(4)]  # fmt: skip
        assert codes == [200, 200, 429, 429]  # burst of 4 // 2
        r = httpx.get(server.url + "/api/submissions", headers=auth(token))
        assert r.json() == {"error": "请求过于频繁，请稍等一分钟再试"}
    finally:
        assert server.stop() == 0


def _consistent(root: Path) -> list[dict[str, Any]]:
    """The store's invariants after any crash and restart; returns the rows."""
    with sqlite3.connect(root / "xlhfjz.db") as con:
        con.row_factory = sqlite3.Row
        rows = [dict(r) for r in con.execute("SELECT * FROM submissions ORDER BY id")]
    records = {p.relative_to(root / "报送记录").as_posix()
               for p in (root / "报送记录").rglob("*") if p.is_file()}  # fmt: skip
    assert records == {r["record_file"] for r in rows}  # no orphan file, no orphan row
    for r in rows:
        data = (root / "报送记录" / r["record_file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == r["sha256"]  # no half file
    ledgers = list((root / "台账").iterdir())
    assert len(ledgers) == len({r["community_code"] for r in rows})
    for ledger in ledgers:
        newest = max((r for r in rows if ledger.name.startswith(r["community_code"])),
                     key=lambda r: r["id"])  # fmt: skip
        assert hashlib.sha256(ledger.read_bytes()).hexdigest() == newest["sha256"]
    assert not list((root / ".incoming").iterdir())
    return rows


def test_sigkill_during_an_upload_leaves_no_half_file_and_no_orphan_row(tmp_path: Path) -> None:
    server, token, root = _fresh_street(tmp_path)
    good = community(tmp_path / "370303009001_华侨城社区.xlsx", plant=False)
    assert upload_to(server, good, token).status_code == 201
    body = good.read_bytes()
    head = (
        "POST /api/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\n"
        "Content-Type: multipart/form-data; boundary=BOUNDARY\r\nContent-Length: {n}\r\n\r\n"
    )
    part = (b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="a.xlsx"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n" + body + b"\r\n--BOUNDARY--\r\n")  # fmt: skip
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(head.format(t=token, n=len(part)).encode() + part[: len(part) // 2])
        time.sleep(1.0)
        server.kill()
    # a crash inside the commit leaves at worst: a file no row names, an unfinished upload
    (root / "报送记录" / "370303009001" / "99_2020-12-20T10-31-05_deadbeef.xlsx").write_bytes(
        body[:1000]
    )
    (root / ".incoming" / "0123456789abcdef.xlsx").write_bytes(body[:500])
    server.start()
    try:
        rows = _consistent(root)
        assert len(rows) == 1
        assert (
            "删除未入库的报送文件：报送记录/370303009001/99_2020-12-20T10-31-05_deadbeef.xlsx"
            in (server.output())
        )
        assert upload_to(server, good, token).status_code == 201
    finally:
        assert server.stop() == 0


def test_sigkill_amid_concurrent_submissions_keeps_the_store_consistent(tmp_path: Path) -> None:
    server, token, root = _fresh_street(tmp_path, "--rate-limit", "6000")
    files = [community(tmp_path / f"370303009001_华侨城社区_{k}.xlsx", plant=False, seed=k)
             for k in range(3)]  # fmt: skip
    answered: list[int] = []

    def send(k: int) -> None:
        try:
            answered.append(upload_to(server, files[k % 3], token).status_code)
        except httpx.HTTPError:
            answered.append(0)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(send, k) for k in range(24)]
        while not answered:
            time.sleep(0.02)
        server.kill()
        concurrent.futures.wait(futures)
    server.start()
    try:
        rows = _consistent(root)
        assert answered.count(201) <= len(rows) <= 24
    finally:
        assert server.stop() == 0


def upload_to(server: LiveServer, path: Path, token: str) -> httpx.Response:
    with open(path, "rb") as fh:
        return httpx.post(f"{server.url}/api/submissions", headers=auth(token),
                          files={"file": (path.name, fh)}, timeout=120)  # fmt: skip


def test_ctrl_c_stops_the_server_and_its_workers(tmp_path: Path) -> None:
    server, _token, _root = _fresh_street(tmp_path)
    pid = server.proc.pid  # type: ignore[union-attr]
    children = _children(pid)
    assert children  # the worker processes
    assert server.stop() == 0
    assert "服务器已停止。" in server.output()
    time.sleep(1.0)
    assert not [c for c in children if _alive(c)]


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_server_answers_https_with_the_given_certificate(tmp_path: Path) -> None:
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)  # fmt: skip
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    server = LiveServer(tmp_path / "data", "--certfile", str(cert), "--keyfile", str(key),
                        "--workers", "1", verify=context)  # fmt: skip
    server.start()
    try:
        assert server.url.startswith("https://")
        r = httpx.get(server.url + "/healthz", verify=context)
        assert r.json() == {"ok": True, "version": __version__}
    finally:
        assert server.stop() == 0


def test_a_remote_workbook_clicks_and_submits_without_leaking_its_token(
    street: Street, tmp_path: Path
) -> None:
    from xlhfjz.sample import default_basic, generate_community
    from xlhfjz.xlsx.buttons import RemoteServer
    from xlhfjz.xlsx.community import write_community_workbook

    token = street.tokens["370303009002"]
    sample = generate_community(5, default_basic("柳泉社区", "370303009002"))
    book = write_community_workbook(
        tmp_path / "370303009002_柳泉社区.xlsm", basic=sample.basic, data=sample.data,
        remote=RemoteServer(street.url, token),
    )  # fmt: skip
    payload = payload_from_xlsx(book)
    conf = next(s for s in payload["sheets"] if s["name"] == "xlwings.conf")
    assert ["AUTH", f"Bearer {token}"] in conf["values"]  # the click sends it (and its header)
    r = post_click(street, "validate", payload, token)
    assert r.status_code == 200
    assert r.json()["actions"][-1]["args"][:2] == ["校验通过", "校验台账"]
    r = post_click(street, "submit", payload, token)
    assert r.status_code == 200
    ledger = street.root / "台账" / "370303009002_柳泉社区.xlsx"
    with zipfile.ZipFile(ledger) as z:
        assert not any(token.encode() in z.read(n) for n in z.namelist())
    for record in (street.root / "报送记录").rglob("*.xls*"):
        with zipfile.ZipFile(record) as z:
            assert not any(token.encode() in z.read(n) for n in z.namelist())


def test_a_taken_port_is_one_chinese_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli("serve", str(tmp_path / "data"), "--port", str(port), "--workers", "1")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"无法在 127.0.0.1:{port} 上启动服务（端口可能已被占用）"
    )
    assert "已启动" not in done.stdout


def test_one_data_folder_serves_one_server(street: Street) -> None:
    done = run_cli("serve", str(street.root), "--port", "1", "--workers", "1")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"数据文件夹“{street.root}”已有一个 xlhfjz 服务器在使用，同一文件夹只能运行一个"
    )
    assert httpx.get(street.url + "/healthz").status_code == 200
