"""The street's web pages in a real browser (server.md, "The pages").

Debian's Chromium, headless, driven by Playwright's Python package (``executable_path``; nothing
downloaded), against a real ``xlhfjz serve`` on 127.0.0.1 (:mod:`live_server`). The expected rows
are literals: the ten planted issues of :mod:`test_excel`. Screenshots (1366×768) are saved in
each test's temp folder. Skipped only when Chromium is missing and ``CI`` is unset.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from helpers import run_cli
from test_excel import PLANTED, community, fills_in
from test_server import ROSTER, Street, auth

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
)
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Chromium is not installed (apt install chromium)", allow_module_level=True)

if not os.environ.get("CI"):
    pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

CODE = "370303009001"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
VIEW = {"width": 1366, "height": 768}

#: The planted issues as the page lists them: code, 工作表, 行, 列, 级别 (file order, then row).
PLANTED_ROWS = [
    ("required-missing", "组织机构", "第5行", "联系电话", "错误"),
    ("invalid-phone", "志愿者", "第4行", "手机", "错误"),
    ("date-in-future", "志愿者", "第6行", "选聘日期", "错误"),
    ("invalid-number", "宣传活动", "第3行", "受众人数", "错误"),
    ("invalid-date", "宣传活动", "第5行", "活动日期", "错误"),
    ("invalid-grid", "联系卡", "第3行", "网格编号", "错误"),
    ("inconsistent", "培训", "第3行", "实训人数", "错误"),
    ("unknown-reference", "风险排查", "第3行", "关联线索编号", "错误"),
    ("invalid-choice", "巡查", "第4行", "巡防层级", "错误"),
    ("personal-data-in-text", "线索", "第3行", "简要情况", "提醒"),
]


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory) -> Any:
    s = Street(tmp_path_factory.mktemp("pages")).serve(ROSTER)
    yield s
    assert s.server.stop() == 0, s.server.output()


@pytest.fixture(scope="module")
def browser() -> Any:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, street: Street) -> Any:
    context = browser.new_context(viewport=VIEW, accept_downloads=True, locale="zh-CN")
    outside: list[str] = []
    context.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(street.url) or r.url.startswith(("blob:", "data:"))
            else outside.append(r.url)
        ),
    )
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert outside == []  # no file or font from outside the server
    assert errors == []


def sign_in(page: Page, street: Street, path: str, token: str) -> None:
    page.goto(street.url + path)
    expect(page.locator("#login")).to_be_visible()
    page.fill("#token", token)
    page.click("#login button[type=submit]")
    expect(page.locator("#app")).to_be_visible()


def issue_rows(page: Page) -> list[tuple[str, ...]]:
    return page.eval_on_selector_all(
        "#issues tbody tr",
        "rows => rows.map(r => [r.dataset.code, ...Array.from(r.cells).map(c => c.textContent)])",
    )


def test_the_community_page_checks_marks_and_submits(
    page: Page, street: Street, tmp_path: Path
) -> None:
    sign_in(page, street, "/", street.tokens[CODE])
    expect(page.locator("#who")).to_have_text("华侨城社区（370303009001）")
    cookie = next(c for c in page.context.cookies() if c["name"] == "xlhfjz_token")
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    assert page.evaluate("document.cookie") == ""  # not readable by scripts

    page.set_input_files("#file", str(street.planted))
    expect(page.locator("#issues tbody tr")).to_have_count(10, timeout=60_000)
    rows = issue_rows(page)
    assert [tuple(r[:5]) for r in rows] == PLANTED_ROWS
    assert all(r[5] for r in rows)  # a message on each
    expect(page.locator("#count-errors")).to_have_text("9")
    expect(page.locator("#count-warnings")).to_have_text("1")
    assert page.locator("#score tbody tr[data-item]").count() == 20  # 19 items + 合计
    expected = json.loads(run_cli("score", str(street.planted), "--json").stdout)["files"][0]
    assert page.locator("#score-result").text_content() == expected["result"]
    assert page.locator("#score-total").text_content() == f"{expected['total']:.1f}"
    for item, got in expected["items"].items():
        cells = page.locator(f'#score tr[data-item="{item}"] td').all_text_contents()
        assert cells[2:4] == [f"{got['score']:.1f}", str(got["max"])], item
    page.screenshot(path=str(tmp_path / "community-checked.png"), full_page=False)

    with page.expect_download() as d:
        page.click("#download")
    download = d.value
    assert download.suggested_filename == "370303009001_华侨城社区_有错_已标注.xlsx"
    download.save_as(tmp_path / "marked.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "marked.xlsx")
    assert fills_in(wb) == PLANTED
    assert wb["志愿者"]["E4"].comment.text.startswith("【错误】")
    assert wb["线索"]["J3"].comment.text.startswith("【提醒】")

    page.click("#submit")
    expect(page.locator("#action-message")).to_contain_text("提交成功", timeout=60_000)
    expect(page.locator("#submissions tbody tr")).to_have_count(1)
    r = httpx.get(street.url + "/api/submissions", headers=auth(street.tokens[CODE]))
    assert [s["errors"] for s in r.json()["submissions"]] == [9]
    page.screenshot(path=str(tmp_path / "community-submitted.png"), full_page=True)


def test_a_script_in_a_cell_stays_text(page: Page, street: Street, tmp_path: Path) -> None:
    name = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    path = community(tmp_path / "xss.xlsx", seed=9, name=name, code="370303009002")
    sign_in(page, street, "/", street.tokens["370303009002"])
    page.set_input_files("#file", str(path))
    expect(page.locator("#status")).to_contain_text("已校验", timeout=60_000)
    assert page.locator("#status").text_content().count(name) == 1
    assert page.evaluate("window.pwned") is None
    assert page.locator("#status img, #status script, #issues script").count() == 0


def test_a_wrong_token_and_a_wrong_file_are_said_in_a_sentence(
    page: Page, street: Street, tmp_path: Path
) -> None:
    page.goto(street.url + "/")
    page.fill("#token", "xlhfjz_not-a-token")
    page.click("#login button[type=submit]")
    expect(page.locator("#login-message")).to_have_text(
        "令牌不正确或已被吊销，请核对后重新输入（向街道处非办索取）"
    )
    sign_in(page, street, "/", street.tokens["370303009003"])
    page.set_input_files("#file", str(street.planted))  # 华侨城社区's, not 杏园社区's
    expect(page.locator("#status")).to_have_text(
        "这是社区代码 370303009001 的工作簿，本令牌只能处理本社区（370303009003）的工作簿",
        timeout=60_000,
    )
    bad = tmp_path / "台账.xls"
    bad.write_bytes(b"old")
    page.set_input_files("#file", str(bad))
    expect(page.locator("#status")).to_contain_text("不是 Excel 工作簿")


def test_the_office_page_equals_merge_json_and_follows_submissions(
    page: Page, street: Street, tmp_path: Path
) -> None:
    httpx.post(f"{street.url}/api/submissions", headers=auth(street.tokens["370303009004"]),
               files={"file": ("a.xlsx", street.clean["370303009004"].read_bytes())},
               timeout=120).raise_for_status()  # fmt: skip
    sign_in(page, street, "/office", street.tokens["office"])
    expect(page.locator("#communities tbody tr")).to_have_count(4, timeout=60_000)
    check_against_merge(page, street, tmp_path)
    page.screenshot(path=str(tmp_path / "office.png"), full_page=False)
    page.screenshot(path=str(tmp_path / "office-full.png"), full_page=True)

    # a submission arrives: the page shows it without a reload
    before = page.locator('#communities tr[data-code="370303009003"] td').nth(2).text_content()
    assert before == "未提交"
    httpx.post(f"{street.url}/api/submissions", headers=auth(street.tokens["370303009003"]),
               files={"file": ("b.xlsx", street.clean["370303009003"].read_bytes())},
               timeout=120).raise_for_status()  # fmt: skip
    expect(page.locator('#communities tr[data-code="370303009003"] td').nth(2)).not_to_have_text(
        "未提交", timeout=30_000
    )
    check_against_merge(page, street, tmp_path)

    with page.expect_download() as d:
        page.click("#summary")
    d.value.save_as(tmp_path / "summary.xlsx")
    assert (
        "汇总看板" in openpyxl.load_workbook(tmp_path / "summary.xlsx", read_only=True).sheetnames
    )


def check_against_merge(page: Page, street: Street, tmp_path: Path) -> None:
    done = run_cli("merge", str(street.root / "台账"), "--office", str(street.root / "街道汇总.xlsx"),
                   "-o", str(tmp_path / "汇总.xlsx"), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    merged = json.loads(done.stdout)
    t = merged["target"]
    assert page.locator("#kpi-n").text_content() == str(t["n"])
    assert page.locator("#kpi-passed").text_content() == str(t["passed"])
    assert page.locator("#kpi-required").text_content() == str(t["required"])
    assert page.locator("#kpi-rate").text_content() == f"{t['rate'] * 100:.1f}%"
    assert page.locator("#kpi-gap").text_content() == str(max(0, t["required"] - t["passed"]))
    submitted = sum(c["status"] != "未提交" for c in merged["communities"])
    assert page.locator("#kpi-submitted").text_content() == str(submitted)
    rows = page.eval_on_selector_all(
        "#communities tbody tr",
        "rows => rows.map(r => [r.dataset.code, ...Array.from(r.cells).map(c => c.textContent)])",
    )
    expected = [
        [c["community_code"], c["community_code"], c["community_name"], c["status"],
         "—" if c["total"] is None else f"{c['total']:.1f}",
         "—" if c["file"] is None else str(c["errors"]),  # no file read: no counts
         "—" if c["file"] is None else str(c["warnings"])]
        for c in merged["communities"]
    ]  # fmt: skip
    assert [r[:7] for r in rows] == expected
    last = {s["community_code"]: s["received_at"] for s in reversed(
        httpx.get(street.url + "/api/submissions", headers=auth(street.tokens["office"])).json()["submissions"])}  # fmt: skip
    for r in rows:
        assert r[7] == (last[r[0]].replace("T", " ")[:19] if r[0] in last else "—")


def test_the_pages_load_nothing_from_outside_and_echarts_is_the_packages(street: Street) -> None:
    for path in ("/", "/office"):
        r = httpx.get(street.url + path)
        assert r.status_code == 200
        assert "http://" not in r.text and "https://" not in r.text
        assert r.headers["content-security-policy"].startswith("default-src 'self'")
    js = httpx.get(street.url + "/static/echarts.min.js")
    assert js.status_code == 200 and len(js.content) > 500_000
    assert "Apache License" in httpx.get(street.url + "/static/echarts-LICENSE.txt").text
    assert httpx.get(street.url + "/static/..%2Fapp.py").status_code == 404
