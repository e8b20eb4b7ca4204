"""The command line as a user runs it: a real process, real files, exit codes and JSON (cli.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli, standard_sheets, write_xlsx

from xlhfjz.sample import generate_community, plant_typical_errors

run = run_cli


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    clean = generate_community(3)
    messy = generate_community(4)
    plant_typical_errors(messy)
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"<html>not a workbook</html>")
    return {
        "clean": write_xlsx(tmp_path / "clean.xlsx", standard_sheets(clean)),
        "messy": write_xlsx(tmp_path / "messy.xlsx", standard_sheets(messy)),
        "bad": bad,
    }


def test_validate_clean_file_exits_0(files) -> None:
    proc = run("validate", str(files["clean"]))
    assert proc.returncode == 0
    assert "校验通过" in proc.stdout


def test_validate_file_with_errors_exits_1_and_groups_by_sheet(files) -> None:
    proc = run("validate", str(files["messy"]))
    assert proc.returncode == 1
    assert "【志愿者】" in proc.stdout
    assert (
        "第4行 手机  错误：手机号码应为11位数字、以1开头，现为“1381234”  [invalid-phone]"
        in proc.stdout
    )
    assert "共 9 个错误、1 个提醒" in proc.stdout


def test_unreadable_file_exits_2(files) -> None:
    proc = run("validate", str(files["clean"]), str(files["bad"]))
    assert proc.returncode == 2
    assert "无法读取" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_validate_json_document(files) -> None:
    proc = run("validate", "--json", str(files["messy"]), str(files["bad"]))
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    messy, bad = doc["files"]
    assert set(messy) == {
        "file", "readable", "community_code", "community_name", "template_version", "counts",
        "rows", "issues",
    }  # fmt: skip
    assert messy["readable"] is True
    assert messy["community_code"] == "370303009001"
    assert messy["template_version"] == "1.0"
    assert messy["counts"] == {"error": 9, "warning": 1}
    assert messy["rows"]["组织机构"] == 5
    phone = next(i for i in messy["issues"] if i["code"] == "invalid-phone")
    assert phone == {
        "code": "invalid-phone",
        "severity": "error",
        "sheet": "志愿者",
        "row": 4,
        "column": "手机",
        "field": "mobile",
        "value": "1381234",
        "message": "手机号码应为11位数字、以1开头，现为“1381234”",
    }
    assert bad["readable"] is False
    assert [i["code"] for i in bad["issues"]] == ["not-a-workbook"]
    assert bad["issues"][0]["row"] is None


def test_usage_errors_exit_2_with_one_chinese_line(tmp_path: Path) -> None:
    proc = run("validate")
    assert proc.returncode == 2
    assert "命令用法有误" in proc.stderr
    proc = run("new", "--name", "华侨城社区", "--code", "12345", "-o", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip() == "社区代码应为12位数字（统计用区划代码），现为“12345”"
    assert list(tmp_path.iterdir()) == []


def test_new_writes_the_prefilled_template(tmp_path: Path) -> None:
    proc = run(
        "new", "--name", "华侨城社区", "--code", "370303009001", "--street", "车站街道",
        "--start", "2020-06-01", "--end", "2020-12-31", "--households", "1200", "--grids", "4",
        "--xlsx", "-o", str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "370303009001_华侨城社区.xlsx"
    assert proc.stdout.strip() == str(path)
    proc = run("validate", "--json", str(path))
    doc = json.loads(proc.stdout)["files"][0]
    assert doc["community_code"] == "370303009001"
    # an empty template: only the 基本信息 the staff still have to fill, and the empty-ledger rules
    missing = sorted(i["column"] for i in doc["issues"] if i["code"] == "required-missing")
    assert missing == sorted(
        ["社区类型", "报送日期", "辖区重点领域", "有无重点人员", "自评无非法集资机构和场所", "负责人",
         "负责人电话", "填报人", "填报人电话"]
    )  # fmt: skip


def test_demo_writes_a_street_merges_it_and_prints_the_dashboard(tmp_path: Path) -> None:
    proc = run("demo", "-o", str(tmp_path / "demo"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "汇总看板" in out
    assert "目标 50%" in out
    for status in ("创建成功", "未达标", "一票否决", "无法读取", "未提交"):
        assert status in out
    assert "最接近达标的社区" in out
    files = sorted(p.name for p in (tmp_path / "demo" / "台账").iterdir())
    assert len(files) == 13  # 12 communities − 1 never submitted + 1 submitted twice + 1 lock file
    assert (tmp_path / "demo" / "汇总.xlsx").is_file()
    assert (tmp_path / "demo" / "街道汇总.xlsx").is_file()
    _demo_review(tmp_path / "demo", out)


def _demo_review(folder: Path, out: str) -> None:
    """The office's review in the demo (review.md): 核定, the overdue 整改, 复核, 疑点, the draw."""
    from openpyxl import load_workbook

    # 华侨城社区's C1 is verified at 9 (the later of two 核定 rows) instead of its 12 自评
    assert "评分项 C1 宣传活动  自评 12.0  核定 9.0  考评方式 实地察看" in out
    # 北石村's 整改期限 2020-12-31 has no 完成日期 on 评估日期 2021-01-15: 15 days overdue
    assert (
        "社区名称 北石村  社区代码 370303009012  检查日期 2020-12-13  整改期限 2020-12-31  逾期天数 15"
        in out
    )
    # 复核 against 上年汇总: excellent ×2 + twice → 保持; short ×2 + missing → 警告;
    # veto + warned weak → 撤销; pass ×2 → 新创建成功
    for line in ("复核结论 保持  社区数 3", "复核结论 警告  社区数 3", "复核结论 撤销  社区数 2",
                 "复核结论 新创建成功  社区数 2"):  # fmt: skip
        assert line in out
    assert "项目 疑点提示  条数 2" in out
    wb = load_workbook(folder / "汇总.xlsx")
    signals = [r for r in wb["疑点提示"].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[1], r[2], r[4]) for r in signals] == [
        ("Y001", "跨社区雷同文字", "370303009001", "宣传活动"),
        ("Y001", "跨社区雷同文字", "370303009004", "宣传活动"),
        ("Y002", "跨社区同一号码", "370303009001", "志愿者"),
        ("Y002", "跨社区同一号码", "370303009004", "志愿者"),
    ]
    # each signal leads to its rows in the merged sheets (社区代码 and 来源行)
    for _, _, code, _, sheet, row, _ in signals:
        ws = wb[sheet]
        header = [c.value for c in ws[1]]
        found = [r for r in ws.iter_rows(min_row=2, values_only=True)
                 if r[header.index("社区代码")] == code and r[header.index("来源行")] == row]  # fmt: skip
        assert len(found) == 1
    pub = wb["宣传活动"]
    header = [c.value for c in pub[1]]
    texts = {r[header.index("活动主题")] for r in pub.iter_rows(min_row=2, values_only=True)
             if (r[header.index("社区代码")], r[header.index("来源行")]) in
             {(s[2], s[5]) for s in signals[:2]}}  # fmt: skip
    assert texts == {"组织辖区居民观看防范非法集资警示教育片并现场答疑"}  # the copied text itself
    drawn = [r for r in load_workbook(folder / "街道汇总.xlsx")["抽查名单"].iter_rows(
        min_row=3, values_only=True) if any(r)]  # fmt: skip
    assert [r[2] for r in drawn] == [2020, 2020, 2020] and [r[5] for r in drawn] == [1, 2, 3]


def test_demo_is_deterministic_per_seed(tmp_path: Path) -> None:
    a = run("demo", "-o", str(tmp_path / "a"), "--seed", "7", "--communities", "4")
    b = run("demo", "-o", str(tmp_path / "b"), "--seed", "7", "--communities", "4")
    strip = lambda text, d: text.replace(str(tmp_path / d), "")  # noqa: E731
    assert strip(a.stdout, "a") == strip(b.stdout, "b")
    for f in (tmp_path / "a" / "台账").iterdir():
        assert f.read_bytes() == (tmp_path / "b" / "台账" / f.name).read_bytes()
