"""`xlhfjz demo`: a realistic street, its office workbook, the merge and the dashboard.

Deterministic per seed. About twelve communities: some 创建成功, some 未达标 with clear shortfalls,
one 一票否决, one full of entry errors, one unreadable file, one on the list that never
submitted, one submitted twice. The office's review (review.md): a 核定 row, an overdue 整改, a
draw for unannounced visits, last year's summary (so that 复核 shows 保持, 警告, 撤销 and
新创建成功) and two communities that copied each other's 宣传活动 text and share a volunteer's
phone (疑点提示).
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlhfjz.sample import default_basic, degrade, generate_community, make_messy, make_veto

STREET = "车站街道"
NAMES = (
    ("华侨城社区", "城市社区"), ("柳泉社区", "城市社区"), ("杏园社区", "城市社区"),
    ("共青团社区", "城市社区"), ("人民西路社区", "城市社区"), ("金晶社区", "城市社区"),
    ("西六路社区", "城市社区"), ("中心路社区", "城市社区"), ("新村社区", "城市社区"),
    ("东风村", "村居"), ("南营村", "村居"), ("北石村", "村居"),
)  # fmt: skip
#: What happens to the k-th community (cycled for larger streets).
PROFILES = (
    "excellent", "pass", "short", "excellent", "veto", "messy",
    "unreadable", "missing", "twice", "weak", "pass", "short",
)  # fmt: skip
START, END, REPORT = dt.date(2020, 6, 1), dt.date(2020, 12, 31), dt.date(2020, 12, 20)
#: 设置's 评估日期: 整改期限 are judged against it (G4).
EVAL_DATE = dt.date(2021, 1, 15)
#: Last year's 创建结果 (and 复核结论) by profile, for the 复核 (review.md's table).
LAST_YEAR = {
    "excellent": ("创建成功（优秀）", 93.0, None),  # still successful → 保持
    "twice": ("创建成功", 84.0, None),  # → 保持
    "veto": ("创建成功", 88.5, None),  # 一票否决 now → 撤销
    "short": ("创建成功", 81.0, None),  # not successful now → 警告
    "missing": ("创建成功", 80.5, None),  # 未提交 now → 警告
    "weak": ("未达标", 62.0, "警告"),  # warned last year, still failing → 撤销
    "pass": ("未达标", 74.0, None),  # successful now → 新创建成功
}
#: The 宣传活动 text two communities copied from each other (疑点提示 跨社区雷同文字).
COPIED_THEME = "组织辖区居民观看防范非法集资警示教育片并现场答疑"


@dataclass
class Planned:
    code: str
    name: str
    kind: str
    profile: str


def plan_street(n: int) -> list[Planned]:
    out = []
    for k in range(n):
        name, kind = NAMES[k % len(NAMES)]
        if k >= len(NAMES):
            name = name.replace("社区", f"{k // len(NAMES) + 1}社区").replace(
                "村", f"{k // len(NAMES) + 1}村"
            )
        out.append(Planned(f"370303009{k + 1:03d}", name, kind, PROFILES[k % len(PROFILES)]))
    return out


def write_street(folder: Path, n: int, seed: int) -> tuple[list[Planned], list[dict[str, Any]]]:
    """Write the communities' files into ``folder``; return the plan and the office inspections."""
    from xlhfjz.xlsx.community import write_community_workbook

    plan = plan_street(n)
    inspections: list[dict[str, Any]] = []
    shared_phone: str | None = None
    for k, c in enumerate(plan):
        households = 600 + (seed * 37 + k * 211) % 1400
        grids = 3 + (k + seed) % 4
        basic = default_basic(c.name, c.code, street=STREET, start=START, end=END, report=REPORT,
                              households=households, grids=grids)  # fmt: skip
        basic["community_type"] = c.kind
        if k % 3 == 2:
            basic["has_involved"] = "无"
        sample = generate_community(seed * 100 + k, basic)
        path = folder / f"{c.code}_{c.name}.xlsx"
        if c.profile == "missing":
            continue
        if c.profile == "unreadable":
            path.write_bytes(b"<html><head><title>\xe5\xaf\xbc\xe5\x87\xba</title></head><body>"
                             b"<table><tr><td>\xe5\xbf\x97\xe6\x84\xbf\xe8\x80\x85</td></tr></table>"
                             b"</body></html>")  # fmt: skip
            continue
        if k in (0, 3):  # 疑点提示: a copied 宣传活动 text and a volunteer in both communities
            sample.set("宣传活动", 1, "theme", COPIED_THEME)
            if k == 0:
                shared_phone = sample.get("志愿者", 2, "mobile")
            elif shared_phone:
                sample.set("志愿者", 5, "mobile", shared_phone)
        if c.profile in ("pass", "short", "weak"):
            degrade(sample, c.profile)
        elif c.profile == "veto":
            make_veto(sample)
        elif c.profile == "messy":
            make_messy(sample)
            degrade(sample, "short")
        elif c.profile == "twice":
            early = generate_community(
                seed * 100 + k + 50, {**basic, "report_date": dt.date(2020, 11, 20)}
            )
            degrade(early, "weak")
            write_community_workbook(folder / f"{c.code}_{c.name}（初稿）.xlsx", basic=early.basic,
                                     data=early.data)  # fmt: skip
        write_community_workbook(path, basic=sample.basic, data=sample.data)
        if c.profile in ("excellent", "pass", "twice", "short"):
            visited = 24 + (k * 7) % 12
            share = {"excellent": 0.95, "pass": 0.9, "twice": 0.85, "short": 0.7}[c.profile]
            inspections.append({
                "community_code": c.code, "inspect_date": dt.date(2020, 12, 10 + k % 8),
                "inspectors": "街道处非专班 王振华、刘敏", "methods": "查阅台账、走访群众",
                "visited": visited, "aware": round(visited * share),
                "findings": "台账基本完整" if c.profile != "short" else "宣传覆盖不足，公开信未发放",
                "fix_due": dt.date(2020, 12, 31) if c.profile == "short" else None, "vetoes": "无",
                # the first 整改 was done in time; a later one is overdue on 评估日期 (G4)
                "fix_done": dt.date(2020, 12, 28) if c.profile == "short" and k < 6 else None,
            })  # fmt: skip
    # the Excel lock file of someone who has the folder open right now
    (folder / f"~${plan[0].code}_{plan[0].name}.xlsx").write_bytes(b"\x00" * 165)
    return plan, inspections


def verifications_for(plan: list[Planned]) -> list[dict[str, Any]]:
    """The office's 核定 of the first community's 宣传活动 (and an earlier one it replaces)."""
    code = plan[0].code
    row = {"community_code": code, "item": "C1", "method": "实地察看", "verifier": "王振华"}
    return [
        {**row, "verified": 10, "verified_on": dt.date(2021, 1, 5), "reason": "初核：照片待补"},
        {**row, "verified": 9, "verified_on": dt.date(2021, 1, 8),
         "reason": "实地察看：2 场活动现场照片与签到表不符，按实际开展的场次核定"},
    ]  # fmt: skip


def write_last_year(path: Path, plan: list[Planned]) -> Path:
    """Last year's summary as the office kept it (汇总看板 and 社区评分) for the 复核."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("汇总看板").write_string(0, 0, f"{STREET}上年度汇总看板")
    ws = wb.add_worksheet("社区评分")
    ws.write_row(0, 0, ["社区代码", "社区名称", "创建结果", "总分", "复核结论"])
    r = 0
    for c in plan:
        if c.profile not in LAST_YEAR:
            continue
        result, total, conclusion = LAST_YEAR[c.profile]
        r += 1
        ws.write_row(r, 0, [c.code, c.name, result, total])
        if conclusion:
            ws.write_string(r, 4, conclusion)
    wb.close()
    return path


def run_demo(output: Path, n: int = 12, seed: int = 2020) -> int:
    """Write the street and the office workbook, merge, print the dashboard."""
    from xlhfjz.batch import merge_folder
    from xlhfjz.cli.render import format_dashboard
    from xlhfjz.office.inputs import read_office
    from xlhfjz.xlsx.draw import draw_into
    from xlhfjz.xlsx.office_book import write_office_workbook
    from xlhfjz.xlsx.previous import read_previous
    from xlhfjz.xlsx.reader import read_workbook
    from xlhfjz.xlsx.summary import write_summary

    folder = output / "台账"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    print(f"生成 {STREET} {n} 个社区的示例台账（种子 {seed}）……", file=sys.stderr)
    plan, inspections = write_street(folder, n, seed)
    roster = [
        {"community_code": c.code, "community_name": c.name, "community_type": c.kind} for c in plan
    ]
    office_path = write_office_workbook(
        output / "街道汇总.xlsx",
        settings={
            "street": STREET,
            "period_start": START,
            "period_end": END,
            "eval_date": EVAL_DATE,
            "folder": str(folder),
        },
        roster=roster,
        inspections=inspections,
        verifications=verifications_for(plan),
    )
    draw_seed, drawn = draw_into(office_path, min(3, len(plan)), seed)
    last_year = write_last_year(output / "上年汇总.xlsx", plan)
    office = read_office(read_workbook(office_path))
    print("合并汇总中……", file=sys.stderr)
    result = merge_folder(folder, office, previous=read_previous(last_year), signals=True)
    summary = write_summary(output / "汇总.xlsx", result)
    print(format_dashboard(result))
    print()
    picked = "、".join(f"{d.name}（{d.code}）" for d in drawn)
    print(f"暗访抽查（随机种子 {draw_seed}）：{picked}")
    print(f"社区台账：{folder}")
    print(f"街道汇总工作簿（名单、督导检查、评分核定、抽查名单、评分参数）：{office_path}")
    print(f"上年汇总（复核用）：{last_year}")
    print(f"汇总结果：{summary}")
    return 0
