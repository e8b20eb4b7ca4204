"""The street office's merge (office.md): real community files in a folder → merge → summary.

One street is written once per module: clean and messy communities, a duplicate submission (by
报送日期 and by file name), a truncated file, an HTML page named .xlsx, a lock file, a .csv, a
hidden workbook, a sub-folder, a community not on the list, and one on the list that never
submitted. The summary is read back with openpyxl (and python-calamine), never with our reader.
Every expected value comes from what was planted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from xlhfjz.batch import Job, merge_folder, process_file
from xlhfjz.model.schema import BY_ID, BY_NAME, LEDGERS
from xlhfjz.office.fileresult import AT_HAND
from xlhfjz.office.inputs import OfficeData, read_office
from xlhfjz.office.resolve import MergeResult
from xlhfjz.sample import CommunitySample, default_basic, generate_community
from xlhfjz.xlsx.community import write_community_workbook
from xlhfjz.xlsx.files import validate_file
from xlhfjz.xlsx.guard import CONTENT_LIMITS
from xlhfjz.xlsx.office_book import write_office_workbook
from xlhfjz.xlsx.reader import read_workbook
from xlhfjz.xlsx.sheetdata import Spool
from xlhfjz.xlsx.summary import write_contacts, write_summary

# ── the street ──────────────────────────────────────────────────────────────────────────────

A, B, C, D, E_, F, G, H = (
    "370303009001",  # 甲社区: messy (planted errors, hostile texts, planted leads)
    "370303009002",  # 乙社区: clean
    "370303009003",  # 丙社区: submitted twice, different 报送日期
    "370303009004",  # 丁社区: submitted twice, same 报送日期
    "370303009005",  # 戊社区: truncated file
    "370303009006",  # 己社区: on the list, never submitted
    "370303009088",  # not on the list (hostile community name)
    "370303009009",  # only in a hidden file: must never be merged
)
ROSTER = {A: "甲社区", B: "乙社区", C: "丙社区", D: "丁社区", E_: "戊社区", F: "己社区"}

FILE_A = f"{A}_甲社区.xlsx"
FILE_B = f"{B}_乙社区.xlsx"
FILE_C_NEW = f"{C}_丙社区_1.xlsx"  # 报送日期 2020-12-20: used (though first by name)
FILE_C_OLD = f"{C}_丙社区_2.xlsx"  # 报送日期 2020-12-10: superseded
FILE_D_A = f"{D}_丁社区_a.xlsx"  # same 报送日期: superseded (earlier name)
FILE_D_B = f"{D}_丁社区_b.xlsx"  # same 报送日期: used (later name)
FILE_E = f"{E_}_戊社区.xlsx"  # truncated zip
FILE_G = "@庚社区.xlsx"
FILE_HTML = "导出台账.xlsx"
FILE_LOCK = f"~${A}_甲社区.xlsx"
FILE_CSV = "社区名单.csv"
FILE_HIDDEN = ".隐藏社区.xlsx"
SUBFOLDER = "旧版"

USED = (FILE_A, FILE_B, FILE_C_NEW, FILE_D_B, FILE_G)
OUTCOMES = {
    FILE_A: "merged",
    FILE_B: "merged",
    FILE_C_NEW: "merged",
    FILE_C_OLD: "superseded",
    FILE_D_A: "superseded",
    FILE_D_B: "merged",
    FILE_E: "unreadable",
    FILE_G: "merged",
    FILE_HTML: "unreadable",
    FILE_LOCK: "skipped",
    FILE_CSV: "skipped",
    FILE_HIDDEN: "skipped",
    SUBFOLDER: "skipped",
}
OUTCOME_ZH = {
    "merged": "已合并",
    "superseded": "已被替代",
    "skipped": "已跳过",
    "unreadable": "无法读取",
}

HOSTILE = (
    '=HYPERLINK("http://x","点我")',
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "+1+1",
    "-2+3",
)
HOSTILE_NAME = '=HYPERLINK("http://e","庚")'
BAD_PHONE = "1390000777"  # 10 digits, in 志愿者.手机 (personal): invalid-phone
LANDLINE = "0533-7654321"  # in 监测点.负责人电话 (personal)
LANDLINE_MASKED = "0533-****321"
LEAD_SUMMARIES = (
    "甲社区线索一：该店以赠送鸡蛋吸引老人听课并推销高价产品",
    "甲社区线索二：门店张贴年化百分之十八的理财广告",
    "举报人留下电话13912340088，反映该公司收取养老床位预付费",
)
LEAD_SUBJECTS = ("淄博甲一号养生馆", "淄博甲二号投资咨询有限公司", "淄博甲三号商贸有限公司")
REPORTER_REF = "BM-2020-777"
LEAD_PHONE = "13912340088"
PERSON_NOTE = "甲社区重点人员诉求：要求返还本金五万元"

MERGED_SHEETS = [s.name for s in LEDGERS if not s.restricted]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _leads() -> list[list[Any]]:
    sheet = BY_ID["leads"]
    rows = [
        dict(lead_id="XS-2020-001", received=dt.date(2020, 7, 1), source="群众来电",
             reporter_type="匿名", subject=LEAD_SUBJECTS[0], domain="保健品/消费返利",
             behaviour="以商品服务养老名义吸收资金", summary=LEAD_SUMMARIES[0],
             reported=dt.date(2020, 7, 1), referred_to="街道处非专班", verification="查实",
             disposal="已取缔关闭", closed=dt.date(2020, 8, 1)),
        dict(lead_id="XS-2020-002", received=dt.date(2020, 8, 3), source="网格员巡查",
             reporter_type="实名", reporter_ref=REPORTER_REF, subject=LEAD_SUBJECTS[1],
             domain="投资理财/投资咨询", behaviour="承诺高额回报", summary=LEAD_SUMMARIES[1],
             reported=dt.date(2020, 8, 4), referred_to="街道处非专班", verification="不属实",
             disposal="无需处置", closed=dt.date(2020, 8, 10)),
        dict(lead_id="XS-2020-003", received=dt.date(2020, 9, 10), source="群众来电",
             reporter_type="匿名", subject=LEAD_SUBJECTS[2], domain="养老服务",
             behaviour="收取大额预付费", summary=LEAD_SUMMARIES[2], reported=dt.date(2020, 9, 14),
             referred_to="区处非办", verification="核查中", disposal="未处置"),
    ]  # fmt: skip
    return [[r.get(f.id) for f in sheet.fields] for r in rows]


def sample_a() -> CommunitySample:
    s = generate_community(11, default_basic("甲社区", A), scale=0.6)
    s.set("志愿者", 1, "mobile", BAD_PHONE)
    s.data["志愿者"].insert(3, [None] * len(BY_NAME["志愿者"].fields))  # a blank row (序号 only)
    for i, text in enumerate(HOSTILE[:4]):
        s.set("宣传活动", i, "theme", text)
    s.set("宣传活动", 0, "evidence", HOSTILE[4])
    s.set("监测点", 0, "keeper_phone", LANDLINE)
    s.data["线索"] = _leads()
    s.set("重点人员", 0, "note", PERSON_NOTE)
    return s


def _sample(seed: int, name: str, code: str, **kw: Any) -> CommunitySample:
    return generate_community(seed, default_basic(name, code, **kw), scale=0.6)


@dataclass
class Street:
    folder: Path
    office_path: Path
    office: OfficeData
    samples: dict[str, CommunitySample]
    """File name (relative to the folder) → what was written into it."""
    before: dict[str, tuple[str, int, int]]
    result: MergeResult
    summary: Path
    wb: Any
    cells: list[tuple[str, Any]] = field(default_factory=list)
    """(sheet name, cell) of every non-empty cell of the summary."""


def _snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            st = p.stat()
            out[str(p.relative_to(folder))] = (_sha(p), st.st_mtime_ns, st.st_size)
    return out


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def write_office(path: Path, roster: dict[str, str] = ROSTER, **kw: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [{"community_code": c, "community_name": n} for c, n in roster.items()]
    return write_office_workbook(path, {"street": "车站街道"}, records, **kw)


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory) -> Street:
    base = tmp_path_factory.mktemp("street")
    folder = base / "台账"
    folder.mkdir()
    samples = {
        FILE_A: sample_a(),
        FILE_B: _sample(12, "乙社区", B),
        FILE_C_NEW: _sample(13, "丙社区", C, report=dt.date(2020, 12, 20)),
        FILE_C_OLD: _sample(14, "丙社区", C, report=dt.date(2020, 12, 10)),
        FILE_D_A: _sample(15, "丁社区", D),
        FILE_D_B: _sample(16, "丁社区", D),
        FILE_G: _sample(17, HOSTILE_NAME, G),
        FILE_HIDDEN: _sample(18, "隐社区", H),
        f"{SUBFOLDER}/{B}_乙社区_旧.xlsx": _sample(19, "乙社区", B),
    }
    (folder / SUBFOLDER).mkdir()
    for name, s in samples.items():
        write_community_workbook(folder / name, basic=s.basic, data=s.data)
    whole = (folder / FILE_B).read_bytes()
    (folder / FILE_E).write_bytes(whole[: len(whole) // 2])
    (folder / FILE_HTML).write_bytes(
        "<html><head><meta charset='utf-8'></head><body><table><tr><td>志愿者</td></tr>"
        "</table></body></html>".encode()
    )
    (folder / FILE_LOCK).write_bytes(b"\x0bwang xiaoyan" + b" " * 40 + b"\x00" * 110)
    (folder / FILE_CSV).write_text("社区代码,社区名称\n370303009001,甲社区\n", encoding="utf-8")
    office_path = write_office(base / "office" / "街道汇总.xlsx")
    office = read_office(read_workbook(office_path))
    before = _snapshot(folder)

    result = merge_folder(folder, office, contacts=True)
    (base / "out").mkdir()
    summary = write_summary(base / "out" / "汇总.xlsx", result)
    wb = load_workbook(summary)
    st = Street(folder, office_path, office, samples, before, result, summary, wb)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    st.cells.append((ws.title, cell))
    return st


# ── helpers ─────────────────────────────────────────────────────────────────────────────────


def _filled(row: list[Any]) -> bool:
    return any(v is not None and v != "" for v in row)


def expected_rows(sample: CommunitySample, sheet: str) -> list[int]:
    """Excel rows of the non-empty data rows written (data start at row 3)."""
    return [3 + i for i, row in enumerate(sample.data.get(sheet, [])) if _filled(row)]


def table(wb: Any, sheet: str) -> list[dict[str, Any]]:
    rows = list(wb[sheet].iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:] if any(v is not None for v in r)]


def community(result: MergeResult, code: str) -> Any:
    return next(c for c in result.communities if c.code == code)


def dashboard_value(wb: Any, label: str) -> Any:
    for row in wb["汇总看板"].iter_rows(values_only=True):
        if row[0] == label:
            return row[1]
    raise KeyError(label)


def expected_mask(ftype: str, value: Any) -> Any:
    if value is None:
        return None
    if ftype in ("mobile", "phone"):
        if value == LANDLINE:
            return LANDLINE_MASKED
        if re.fullmatch(r"1\d{10}", value):
            return f"{value[:3]}****{value[-4:]}"
        landline = re.fullmatch(r"(0\d{2,3})-(\d{7,8})", value)  # office.md: 0533-****567
        if landline:
            return f"{landline[1]}-****{landline[2][-3:]}"
        return "****"
    return f"{value[0]}某某"


def personal_values(samples: dict[str, CommunitySample]) -> set[str]:
    out: set[str] = set()
    for s in samples.values():
        for sheet in LEDGERS:
            for i, f in enumerate(sheet.fields):
                if f.personal:
                    out |= {r[i] for r in s.data.get(sheet.name, []) if isinstance(r[i], str)}
    return out


def public_texts(street: Street) -> list[str]:
    """Every non-personal text of the merged ledgers of the used files (may repeat a name)."""
    out = []
    for name in USED:
        for sheet in LEDGERS:
            if sheet.restricted:
                continue
            for i, f in enumerate(sheet.fields):
                if not f.personal:
                    out += [
                        r[i] for r in street.samples[name].data[sheet.name] if isinstance(r[i], str)
                    ]
    return out


def summary_texts(street: Street) -> list[tuple[str, str]]:
    return [(sheet, c.value) for sheet, c in street.cells if isinstance(c.value, str)]


# ── the log ─────────────────────────────────────────────────────────────────────────────────


def test_every_entry_of_the_folder_is_logged_with_its_outcome(street: Street) -> None:
    logs = {log.file: log for log in street.result.logs}
    assert {k: v.outcome for k, v in logs.items()} == OUTCOMES
    for name, log in logs.items():
        if log.outcome == "merged":
            assert log.reason is None
        else:
            assert log.reason and CJK.search(log.reason), (name, log.reason)
    assert "锁" in logs[FILE_LOCK].reason
    assert "隐藏" in logs[FILE_HIDDEN].reason
    assert "子文件夹" in logs[SUBFOLDER].reason


def test_log_sha256_and_rows_match_the_files(street: Street) -> None:
    for log in street.result.logs:
        path = street.folder / log.file
        if log.outcome == "skipped":
            continue
        assert log.sha256 == _sha(path), log.file
        assert log.size == path.stat().st_size
    a = next(log for log in street.result.logs if log.file == FILE_A)
    s = street.samples[FILE_A]
    assert a.rows == {sh.name: len(expected_rows(s, sh.name)) for sh in LEDGERS}
    assert a.rows["志愿者"] == len(s.data["志愿者"]) - 1  # the blank row is not counted
    assert a.rows["线索"] == 3


def test_summary_log_sheet_lists_every_entry(street: Street) -> None:
    rows = table(street.wb, "合并日志")
    by_file = {r["文件"]: r for r in rows if r["文件"] in OUTCOMES}
    assert set(by_file) == set(OUTCOMES)
    for name, outcome in OUTCOMES.items():
        r = by_file[name]
        assert r["结果"] == OUTCOME_ZH[outcome]
        if outcome == "skipped":
            assert r["SHA-256"] is None
        else:
            assert r["SHA-256"] == _sha(street.folder / name)
    a = by_file[FILE_A]
    s = street.samples[FILE_A]
    for sheet in LEDGERS:
        assert a[f"{sheet.name}行数"] == len(expected_rows(s, sheet.name)), sheet.name
    # a row a file, one blank row, then when, by which version and from where
    labels = [r[0] for r in street.wb["合并日志"].iter_rows(values_only=True)]
    n = len(street.result.logs)
    assert labels[1 : n + 1] == sorted(log.file for log in street.result.logs)
    assert labels[n + 1 :] == [None, "合并时间", "程序版本", "台账文件夹"]
    ws = street.wb["合并日志"]
    assert ws.cell(n + 5, 2).value == street.result.folder
    assert ws.cell(n + 4, 2).value.startswith("xlhfjz ")


# ── row accounting ──────────────────────────────────────────────────────────────────────────


def test_summary_has_the_contract_sheets_and_no_restricted_ledger(street: Street) -> None:
    names = street.wb.sheetnames
    assert names == ["汇总看板", "社区评分", "问题清单", *MERGED_SHEETS, "线索统计", "重点人员统计",
                     "合并日志"]  # fmt: skip
    assert "线索" not in names
    assert "重点人员" not in names


@pytest.mark.parametrize("sheet", MERGED_SHEETS)
def test_every_nonempty_row_of_every_used_file_appears_once(street: Street, sheet: str) -> None:
    code_of = {FILE_A: A, FILE_B: B, FILE_C_NEW: C, FILE_D_B: D, FILE_G: G}
    expected = Counter(
        (code_of[name], name, row)
        for name in USED
        for row in expected_rows(street.samples[name], sheet)
    )
    got = Counter((r["社区代码"], r["来源文件"], r["来源行"]) for r in table(street.wb, sheet))
    assert got == expected
    for r in table(street.wb, sheet):
        assert r["校验状态"] in ("通过", "有误")
        assert r["社区名称"] == (HOSTILE_NAME if r["社区代码"] == G else ROSTER[r["社区代码"]])


def test_row_counts_per_sheet_per_community(street: Street) -> None:
    s = street.samples[FILE_A]
    for sheet in MERGED_SHEETS:
        rows = [r for r in table(street.wb, sheet) if r["社区代码"] == A]
        assert len(rows) == len(expected_rows(s, sheet)), sheet
    vols = [r for r in table(street.wb, "志愿者") if r["社区代码"] == A]
    assert len(vols) == len(s.data["志愿者"]) - 1
    assert 6 not in {r["来源行"] for r in vols}  # the blank row (序号 only) is Excel row 6


def test_invalid_rows_are_kept_and_marked(street: Street) -> None:
    assert community(street.result, B).errors == 0  # precondition: 乙社区 is clean
    vols = {r["来源行"]: r for r in table(street.wb, "志愿者") if r["社区代码"] == A}
    assert vols[4]["校验状态"] == "有误"  # BAD_PHONE, data index 1 → Excel row 4
    assert vols[3]["校验状态"] == "通过"
    for sheet in MERGED_SHEETS:
        for r in table(street.wb, sheet):
            if r["社区代码"] == B:
                assert r["校验状态"] == "通过", (sheet, r["来源行"])


def test_superseded_hidden_and_subfolder_files_are_not_merged(street: Street) -> None:
    for sheet in MERGED_SHEETS:
        rows = table(street.wb, sheet)
        assert {r["来源文件"] for r in rows} <= set(USED), sheet
        assert H not in {r["社区代码"] for r in rows}
    assert H not in {c.code for c in street.result.communities}
    assert not any(H in str(c.value) for _, c in street.cells)


# ── privacy ─────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("sheet", MERGED_SHEETS)
def test_personal_columns_are_masked(street: Street, sheet: str) -> None:
    spec = BY_NAME[sheet]
    personal = [(i, f) for i, f in enumerate(spec.fields) if f.personal]
    got = {(r["来源文件"], r["来源行"]): r for r in table(street.wb, sheet)}
    for name in USED:
        for k, row in enumerate(street.samples[name].data[sheet]):
            if not _filled(row):
                continue
            out = got[(name, 3 + k)]
            for i, f in personal:
                assert out[f.label] == expected_mask(f.type, row[i]), (name, 3 + k, f.label)


def test_masked_forms_look_right(street: Street) -> None:
    vols = {r["来源行"]: r for r in table(street.wb, "志愿者") if r["社区代码"] == A}
    assert vols[4]["手机"] == "****"
    assert all(re.fullmatch(r".某某", r["姓名"]) for r in vols.values())
    assert all(re.fullmatch(r"1\d\d\*{4}\d{4}|\*{4}", r["手机"]) for r in vols.values())
    points = [r for r in table(street.wb, "监测点") if r["来源文件"] == FILE_A]
    assert points[0]["负责人电话"] == LANDLINE_MASKED


def test_no_personal_value_appears_anywhere_in_the_summary(street: Street) -> None:
    public = public_texts(street)
    values = {v for v in personal_values(street.samples) if not any(v in t for t in public)}
    assert BAD_PHONE in values and LANDLINE in values
    assert len(values) > 100
    leaks = [(sheet, v, text) for sheet, text in summary_texts(street) for v in values if v in text]
    assert leaks == []


def test_leads_and_persons_are_never_copied_row_by_row(street: Street) -> None:
    secrets: set[str] = {*LEAD_SUMMARIES, *LEAD_SUBJECTS, REPORTER_REF, LEAD_PHONE, PERSON_NOTE}
    persons = BY_ID["involved_persons"]
    leads = BY_ID["leads"]
    public = public_texts(street)
    for s in street.samples.values():
        for row in s.data["重点人员"]:
            for fid in ("person_code", "name", "note", "owner", "case_name"):
                v = row[[f.id for f in persons.fields].index(fid)]
                if not any(v in t for t in public):
                    secrets.add(v)
        for row in s.data["线索"]:
            for fid in ("summary", "reporter_ref", "subject"):
                v = row[[f.id for f in leads.fields].index(fid)]
                if v:
                    secrets.add(v)
    assert "RY-001" in secrets
    leaks = [(sheet, v) for sheet, text in summary_texts(street) for v in secrets if v in text]
    assert leaks == []


def test_lead_statistics_are_aggregates(street: Street) -> None:
    rows = {r["社区代码"]: r for r in table(street.wb, "线索统计")}
    a = rows[A]
    assert a["线索条数"] == 3
    assert a["来源:群众来电"] == 2
    assert a["来源:网格员巡查"] == 1
    assert a["核查结果:查实"] == 1
    assert a["核查结果:不属实"] == 1
    assert a["核查结果:核查中"] == 1
    assert a["处置状态:已取缔关闭"] == 1
    assert a["处置状态:无需处置"] == 1
    assert a["处置状态:未处置"] == 1
    assert a["重点领域:养老服务"] == 1
    assert a["按时上报率"] == pytest.approx(0.6667)
    assert a["查实线索编号"] == "XS-2020-001"
    header = next(street.wb["线索统计"].iter_rows(values_only=True))
    assert not any(h in ("简要情况", "举报人登记编号", "举报人类型", "被举报对象") for h in header)


def test_person_statistics_are_aggregates(street: Street) -> None:
    rows = {r["社区代码"]: r for r in table(street.wb, "重点人员统计")}
    persons = street.samples[FILE_A].data["重点人员"]
    assert rows[A]["有无重点人员"] == "有"
    assert rows[A]["重点人员人数"] == len({r[0] for r in persons})
    assert rows[A]["跟踪记录条数"] == len(persons)
    header = next(street.wb["重点人员统计"].iter_rows(values_only=True))
    assert "姓名" not in header and "人员编号" not in header


def test_issue_list_never_quotes_a_personal_value(street: Street) -> None:
    issues = table(street.wb, "问题清单")
    assert list(issues[0]) == [
        "社区代码",
        "社区名称",
        "文件",
        "工作表",
        "行",
        "列",
        "级别",
        "代码",
        "说明",
    ]
    phone = [i for i in issues if i["社区代码"] == A and i["工作表"] == "志愿者" and i["行"] == 4]
    assert [(i["列"], i["级别"], i["代码"]) for i in phone] == [("手机", "错误", "invalid-phone")]
    assert BAD_PHONE not in phone[0]["说明"]
    assert CJK.search(phone[0]["说明"])
    lead = [i for i in issues if i["社区代码"] == A and i["工作表"] == "线索"]
    assert [(i["行"], i["列"], i["代码"]) for i in lead] == [
        (5, "简要情况", "personal-data-in-text")
    ]
    assert LEAD_PHONE not in lead[0]["说明"]
    for i in issues:
        assert BAD_PHONE not in str(i["说明"]) and LEAD_PHONE not in str(i["说明"])


# ── safety: no formula from cell text ──────────────────────────────────────────────────────


def test_summary_has_no_formula_cell(street: Street) -> None:
    formulas = [(sheet, c.coordinate, c.value) for sheet, c in street.cells if c.data_type == "f"]
    assert formulas == []


def test_summary_zip_is_sound(street: Street) -> None:
    import zipfile

    with zipfile.ZipFile(street.summary) as z:
        assert z.testzip() is None  # every part inflates and matches its CRC-32
        names = z.namelist()
    assert len(names) == len(set(names))
    assert "[Content_Types].xml" in names


def test_formula_like_texts_stay_verbatim_text(street: Street) -> None:
    rows = {r["来源行"]: r for r in table(street.wb, "宣传活动") if r["来源文件"] == FILE_A}
    assert [rows[3 + i]["活动主题"] for i in range(4)] == list(HOSTILE[:4])
    assert rows[3]["佐证材料"] == HOSTILE[4]
    texts = {c.value for sheet, c in street.cells if c.data_type == "s"}
    assert set(HOSTILE) <= texts
    assert HOSTILE_NAME in texts
    # an independent second reader sees the same strings (a formula would show its result)
    book = CalamineWorkbook.from_path(str(street.summary))
    data = book.get_sheet_by_name("宣传活动").to_python()
    themes = [r[1] for r in data[1:] if r[-3] == FILE_A]
    assert themes[:4] == list(HOSTILE[:4])
    scores = book.get_sheet_by_name("社区评分").to_python()
    assert [r[1] for r in scores if r[0] == G] == [HOSTILE_NAME]
    board = [v for r in book.get_sheet_by_name("汇总看板").to_python() for v in r]
    assert HOSTILE_NAME in board


# ── sources untouched ───────────────────────────────────────────────────────────────────────


def test_sources_are_untouched(street: Street) -> None:
    assert _snapshot(street.folder) == street.before
    assert len(street.before) == 13  # 12 files in the folder + 1 in the sub-folder


# ── duplicates ──────────────────────────────────────────────────────────────────────────────


def test_duplicate_later_report_date_wins(street: Street) -> None:
    c = community(street.result, C)
    assert c.file == FILE_C_NEW
    dup = [i for i in c.issues if i.code == "duplicate-community"]
    assert len(dup) == 2
    assert all(i.severity == "error" for i in dup)
    assert FILE_C_OLD in dup[0].message and FILE_C_NEW in dup[0].message
    log = next(x for x in street.result.logs if x.file == FILE_C_OLD)
    assert log.outcome == "superseded"
    assert FILE_C_NEW in log.reason


def test_duplicate_equal_dates_later_file_name_wins(street: Street) -> None:
    c = community(street.result, D)
    assert c.file == FILE_D_B
    assert sum(i.code == "duplicate-community" for i in c.issues) == 2
    log = next(x for x in street.result.logs if x.file == FILE_D_A)
    assert log.outcome == "superseded"


def test_duplicates_in_the_issue_list(street: Street) -> None:
    rows = [r for r in table(street.wb, "问题清单") if r["代码"] == "duplicate-community"]
    assert sorted((r["社区代码"], r["级别"]) for r in rows) == [(C, "错误")] * 2 + [(D, "错误")] * 2


def test_duplicate_issue_rows_name_each_file(street: Street) -> None:
    rows = [r for r in table(street.wb, "问题清单") if r["代码"] == "duplicate-community"]
    assert {r["文件"] for r in rows if r["社区代码"] == C} == {FILE_C_NEW, FILE_C_OLD}


# ── roster, target, statuses ───────────────────────────────────────────────────────────────


def test_roster_statuses(street: Street) -> None:
    r = street.result
    assert community(r, F).status == "未提交"
    assert community(r, F).file is None
    assert community(r, E_).status == "无法读取"
    for code in (A, B, C, D, G):
        assert community(r, code).status in (
            "无法评分", "一票否决", "不具备验收条件", "创建成功（优秀）", "创建成功", "未达标",
        )  # fmt: skip
    assert {c.code for c in r.communities} == {A, B, C, D, E_, F, G}


def test_unknown_community_is_a_warning(street: Street) -> None:
    g = community(street.result, G)
    unknown = [i for i in g.issues if i.code == "unknown-community"]
    assert [i.severity for i in unknown] == ["warning"]
    for code in ROSTER:
        assert not any(i.code == "unknown-community" for i in community(street.result, code).issues)
    rows = [x for x in table(street.wb, "问题清单") if x["代码"] == "unknown-community"]
    assert [(x["社区代码"], x["级别"]) for x in rows] == [(G, "提醒")]


def test_target_counts_the_list(street: Street) -> None:
    t = street.result.target
    listed = [c for c in street.result.communities if c.code in ROSTER]
    passed = sum(c.status.startswith("创建成功") for c in listed)
    assert (t.n, t.required, t.passed) == (6, math.ceil(0.5 * 6), passed)
    assert dashboard_value(street.wb, "名单社区数") == 6
    assert dashboard_value(street.wb, "目标（至少）") == 3
    assert dashboard_value(street.wb, "创建成功") == passed


def test_score_sheet_has_one_row_per_community(street: Street) -> None:
    rows = {r["社区代码"]: r for r in table(street.wb, "社区评分")}
    assert set(rows) == {A, B, C, D, E_, F, G}
    assert rows[F]["创建结果"] == "未提交"
    assert rows[E_]["创建结果"] == "无法读取"
    assert rows[C]["来源文件"] == FILE_C_NEW
    assert rows[A]["错误数"] == community(street.result, A).errors


def test_dashboard_submitted_counts_only_listed_communities(street: Street) -> None:
    assert community(street.result, G).errors == 0  # precondition: the unlisted file is clean
    listed_clean = [
        c for c in street.result.communities if c.code in ROSTER and c.report and c.errors == 0
    ]
    assert dashboard_value(street.wb, "已提交") in (4, 5)  # 5 listed files (4 readable)
    assert dashboard_value(street.wb, "校验通过（无错误）") == len(listed_clean)


# ── the command line ────────────────────────────────────────────────────────────────────────


run = run_cli


def test_cli_merge_json(street: Street, tmp_path: Path) -> None:
    out = tmp_path / "汇总.xlsx"
    proc = run("merge", str(street.folder), "--office", str(street.office_path), "-o", str(out),
                "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)  # one JSON document, nothing else on stdout
    assert set(doc) == {"summary", "target", "communities", "files"}
    assert doc["summary"] == str(out)
    assert out.is_file()

    comms = {c["community_code"]: c for c in doc["communities"]}
    assert set(comms) == {A, B, C, D, E_, F, G}
    for c in comms.values():
        assert set(c) == {"community_code", "community_name", "status", "total", "file", "errors",
                          "warnings"}  # fmt: skip
    assert comms[F]["status"] == "未提交"
    assert comms[F]["file"] is None and comms[F]["total"] is None
    assert comms[E_]["status"] == "无法读取"
    assert comms[C]["file"] == FILE_C_NEW
    assert comms[D]["file"] == FILE_D_B
    assert comms[G]["community_name"] == HOSTILE_NAME
    assert comms[A]["errors"] == community(street.result, A).errors >= 1
    assert comms[C]["errors"] >= 2  # two duplicate-community issues

    passed = sum(comms[code]["status"].startswith("创建成功") for code in ROSTER)
    assert doc["target"] == {"n": 6, "passed": passed, "required": 3, "rate": round(passed / 6, 4)}

    files = {f["file"]: f for f in doc["files"]}
    assert {k: v["outcome"] for k, v in files.items()} == OUTCOMES
    for name, f in files.items():
        assert set(f) == {"file", "outcome", "reason", "sha256", "rows"}
        if f["outcome"] != "skipped":
            assert f["sha256"] == _sha(street.folder / name)
    s = street.samples[FILE_A]
    assert files[FILE_A]["rows"] == {sh.name: len(expected_rows(s, sh.name)) for sh in LEDGERS}
    assert files[FILE_A]["reason"] is None
    assert CJK.search(files[FILE_E]["reason"])


def test_cli_contacts_only_when_asked(street: Street, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    proc = run("merge", str(street.folder), "-o", str(plain / "汇总.xlsx"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in plain.iterdir()) == ["汇总.xlsx"]

    asked = tmp_path / "asked"
    asked.mkdir()
    contacts = asked / "联络员通讯录.xlsx"
    proc = run("merge", str(street.folder), "-o", str(asked / "汇总.xlsx"), "--contacts",
               str(contacts), "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in asked.iterdir()) == ["汇总.xlsx", "联络员通讯录.xlsx"]
    wb = load_workbook(contacts)
    assert wb.sheetnames == ["联络员", "监测点负责人"]
    texts = {
        str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None
    }
    liaison = BY_ID["liaison"]
    s = street.samples[FILE_A]
    mobile = s.cell("联络员", 0, "mobile")
    name = s.cell("联络员", 0, "name")
    assert liaison.field("mobile").personal
    assert mobile in texts and name in texts  # full phone and name, for the office only
    assert any("7654321" in t for t in texts)  # the planted landline of 监测点负责人
    assert not any(c.data_type == "f" for ws in wb for row in ws.iter_rows() for c in row)
    # …and still never in the summary
    summary = {str(c.value) for ws in load_workbook(asked / "汇总.xlsx") for row in ws.iter_rows()
               for c in row if c.value is not None}  # fmt: skip
    assert not any(mobile in t for t in summary)


def test_write_contacts_full_phones(street: Street, tmp_path: Path) -> None:
    path = write_contacts(tmp_path / "c.xlsx", street.result)
    rows = table(load_workbook(path), "联络员")
    got = {(r["社区代码"], r["手机"]) for r in rows}
    for name in USED:
        s = street.samples[name]
        code = s.basic["community_code"]
        assert (code, s.cell("联络员", 0, "mobile")) in got


# ── atomic write, output errors ────────────────────────────────────────────────────────────


def test_summary_replaces_an_existing_file_and_leaves_no_temp_file(
    street: Street, tmp_path: Path
) -> None:
    out = tmp_path / "汇总.xlsx"
    out.write_bytes(b"an old summary")
    write_summary(out, street.result)
    write_summary(out, street.result)
    assert [p.name for p in tmp_path.iterdir()] == ["汇总.xlsx"]
    assert load_workbook(out).sheetnames[0] == "汇总看板"


def test_cli_merge_twice_into_the_same_path_leaves_one_file(street: Street, tmp_path: Path) -> None:
    out = tmp_path / "汇总.xlsx"
    for _ in range(2):
        proc = run("merge", str(street.folder), "-o", str(out), "--json")
        assert proc.returncode == 0, proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["汇总.xlsx"]


def test_cli_missing_output_folder_exits_2_with_one_line(street: Street, tmp_path: Path) -> None:
    out = tmp_path / "不存在" / "汇总.xlsx"
    proc = run("merge", str(street.folder), "-o", str(out), "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and CJK.search(lines[0])
    assert not (tmp_path / "不存在").exists()


def test_cli_missing_output_folder_message_is_clear(street: Street, tmp_path: Path) -> None:
    out = tmp_path / "不存在" / "汇总.xlsx"
    proc = run("merge", str(street.folder), "-o", str(out))
    message = proc.stderr.strip()
    assert "不存在" in message  # names the folder the user gave
    assert ".tmp" not in message
    assert "Error" not in message and "Errno" not in message


def test_cli_missing_source_folder_exits_2(tmp_path: Path) -> None:
    proc = run("merge", str(tmp_path / "没有"), "-o", str(tmp_path / "汇总.xlsx"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"找不到文件夹“{tmp_path / '没有'}”"
    assert list(tmp_path.iterdir()) == []


# ── a folder alone (no office workbook) ────────────────────────────────────────────────────


def test_merge_without_office_counts_the_submitted_files(tmp_path: Path) -> None:
    s1 = _sample(21, "甲社区", A)
    s2 = _sample(22, "乙社区", B)
    write_community_workbook(tmp_path / FILE_A, basic=s1.basic, data=s1.data)
    write_community_workbook(tmp_path / FILE_B, basic=s2.basic, data=s2.data)
    result = merge_folder(tmp_path, workers=1)
    assert [c.code for c in result.communities] == [A, B]
    assert result.target.n == 2
    assert result.target.required == 1
    assert all(not any(i.code == "unknown-community" for i in c.issues) for c in result.communities)


def test_wrong_template_file_is_logged_with_a_reason(tmp_path: Path) -> None:
    import xlsxwriter

    s = _sample(23, "甲社区", A)
    write_community_workbook(tmp_path / FILE_A, basic=s.basic, data=s.data)
    wb = xlsxwriter.Workbook(str(tmp_path / "统计表.xlsx"))
    wb.add_worksheet("Sheet1").write_string(0, 0, "各社区宣传次数")
    wb.close()
    result = merge_folder(tmp_path, workers=1)
    log = next(x for x in result.logs if x.file == "统计表.xlsx")
    assert any(c.file == "统计表.xlsx" for c in result.communities)  # in the status board
    assert log.reason and CJK.search(log.reason)


def test_a_summary_left_in_the_folder_is_skipped_not_merged(street: Street, tmp_path: Path) -> None:
    # our reader reads the summary's data rows as calamine does, and the merge recognises the
    # file as a summary
    book = read_workbook(street.summary)
    calamine = CalamineWorkbook.from_path(str(street.summary))
    for name in calamine.sheet_names:
        assert book.sheets[name].rows == calamine.get_sheet_by_name(name).to_python(
            skip_empty_area=False
        ), name
    s = _sample(24, "甲社区", A)
    write_community_workbook(tmp_path / FILE_A, basic=s.basic, data=s.data)
    (tmp_path / "汇总.xlsx").write_bytes(street.summary.read_bytes())
    result = merge_folder(tmp_path, workers=1)
    log = next(x for x in result.logs if x.file == "汇总.xlsx")
    assert (log.outcome, log.reason) == ("skipped", "这是合并生成的汇总文件，不是社区台账")
    assert [c.code for c in result.communities] == [A]


def test_a_summary_over_the_limits_is_still_skipped_not_unreadable(
    street: Street, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a city's summary breaks max_cells; lowered here so that this street's summary does and the
    # ledger does not: the summary is recognised by its sheets before the limits apply
    s = _sample(24, "甲社区", A)
    write_community_workbook(tmp_path / FILE_A, basic=s.basic, data=s.data)
    (tmp_path / "汇总.xlsx").write_bytes(street.summary.read_bytes())

    def cells(path: Path) -> int:
        book = CalamineWorkbook.from_path(str(path))
        names = [n for n in book.sheet_names if n in BY_NAME]
        grids = [book.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in names]
        return sum(len(g) * max(map(len, g), default=0) for g in grids)

    ledger, summary = cells(tmp_path / FILE_A), cells(street.summary)
    assert ledger < summary
    monkeypatch.setitem(CONTENT_LIMITS, "max_cells", ledger)
    refused = validate_file(tmp_path / "汇总.xlsx")  # read as a ledger: over the limit
    assert not refused.readable and "max_cells" in refused.issues[0].message
    result = merge_folder(tmp_path, workers=1)
    log = next(x for x in result.logs if x.file == "汇总.xlsx")
    assert (log.outcome, log.reason) == ("skipped", "这是合并生成的汇总文件，不是社区台账")
    assert [(c.code, c.file) for c in result.communities] == [(A, FILE_A)]


@pytest.mark.parametrize("workers", [2, 3])
def test_merged_rows_are_the_same_with_one_worker_and_more(
    street: Street, tmp_path: Path, workers: int
) -> None:
    one = write_summary(
        tmp_path / "one.xlsx", merge_folder(street.folder, street.office, workers=1)
    )
    two = write_summary(
        tmp_path / "two.xlsx", merge_folder(street.folder, street.office, workers=workers)
    )
    a, b = CalamineWorkbook.from_path(str(one)), CalamineWorkbook.from_path(str(two))
    for sheet in (s for s in LEDGERS if not s.restricted):
        rows = a.get_sheet_by_name(sheet.name).to_python()
        assert rows == b.get_sheet_by_name(sheet.name).to_python(), sheet.name


def test_contacts_need_the_merge_to_keep_them(street: Street, tmp_path: Path) -> None:
    result = merge_folder(street.folder, street.office, workers=1)  # contacts not asked for
    with pytest.raises(ValueError, match="contacts=True"):
        write_contacts(tmp_path / "c.xlsx", result)
    assert not (tmp_path / "c.xlsx").exists()


def test_schema_sheets_travel_from_workers_by_reference() -> None:
    import pickle

    from xlhfjz.model.schema import OFFICE_SHEETS

    for sheet in (*LEDGERS, *OFFICE_SHEETS):
        data = pickle.dumps(sheet)
        assert len(data) < 100, sheet.id
        assert pickle.loads(data) is sheet


@pytest.mark.parametrize("sheet", ["社区评分", "问题清单", "线索统计", "重点人员统计"])
def test_tables_by_community_show_the_whole_code(street: Street, sheet: str) -> None:
    """A 12-digit 社区代码 needs a column about 13 characters wide, or it shows cut off."""
    ws = street.wb[sheet]
    assert ws["A1"].value == "社区代码"
    assert ws.column_dimensions["A"].width >= 13
    assert ws.column_dimensions["B"].width >= 12


def test_the_merge_log_shows_the_whole_code(street: Street) -> None:
    ws = street.wb["合并日志"]
    assert ws["F1"].value == "社区代码"
    assert ws.column_dimensions["F"].width >= 13


def test_stowed_reports_and_cards_read_back_and_are_let_go(tmp_path: Path) -> None:
    """The merge keeps every file's report and score card on disk (its memory must not grow with
    the street): each reads back as it was, and only the last ``AT_HAND`` stay loaded."""
    s = generate_community(3)
    write_community_workbook(tmp_path / FILE_A, basic=s.basic, data=s.data)
    job = Job(OfficeData(), str(tmp_path), eval_date=dt.date(2021, 1, 1))
    first = process_file(str(tmp_path / FILE_A), job)
    assert first.card is not None and first.card.total > 0
    spool = Spool()
    results = []
    for k in range(3 * AT_HAND):
        res = dataclasses.replace(first, report=dataclasses.replace(first.report, path=f"第{k}份"))
        res.stow(spool.put)
        assert "report" not in vars(res) and "card" not in vars(res)
        results.append(res)
    for _ in range(2):
        for k, res in enumerate(results):
            assert res.report.path == f"第{k}份"
            assert res.report.issues == first.report.issues
            assert res.card == first.card
    assert sum("_loaded" in vars(res) for res in results) == AT_HAND
    with pytest.raises(AttributeError):
        results[0].no_such_thing  # noqa: B018


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_the_merge_takes_a_worker_per_core_it_may_use() -> None:
    # in a child process: the test's own affinity stays as it is
    script = (
        "import os\n"
        "from xlhfjz.batch import default_workers\n"
        "cpu = min(os.sched_getaffinity(0))\n"
        "os.sched_setaffinity(0, {cpu})\n"
        "print(default_workers())\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1"]
    out = subprocess.run(
        [sys.executable, "-c", "from xlhfjz.batch import default_workers; print(default_workers())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert int(out.stdout) == min(len(os.sched_getaffinity(0)), 8)
