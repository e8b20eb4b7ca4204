"""The rubric of scoring.md as data: results, parameters (the bold numbers), items, gates, vetoes.

The computation is :mod:`xlhfjz.scoring`; each item of :data:`ITEMS` has exactly one scoring
function registered there under its id.
"""

from __future__ import annotations

from dataclasses import dataclass

RESULTS = ("无法评分", "一票否决", "不具备验收条件", "创建成功（优秀）", "创建成功", "未达标")


@dataclass(frozen=True)
class Parameter:
    """One bold number of scoring.md: its id, its label on 评分参数, default, and the item using it."""

    id: str
    label: str
    default: float
    item: str


#: The bold numbers of scoring.md: the rubric's parameters, with the label of the 评分参数 sheet.
PARAMETERS: tuple[Parameter, ...] = (
    Parameter("org_min_members", "组织机构在任成员最少人数", 3, "A1"),
    Parameter("quality_full", "台账错误行比例（得3分）不超过", 0.05, "A3"),
    Parameter("quality_good", "台账错误行比例（得2分）不超过", 0.15, "A3"),
    Parameter("quality_fair", "台账错误行比例（得1分）不超过", 0.30, "A3"),
    Parameter("training_full", "网格员培训覆盖率（得4分）不低于", 0.8, "B3"),
    Parameter("training_half", "网格员培训覆盖率（得2分）不低于", 0.5, "B3"),
    Parameter("follow_gap_days", "重点人员两次跟踪最长间隔（天）", 30, "B4"),
    Parameter("follow_recent_days", "重点人员最近一次跟踪距评估日（天）", 30, "B4"),
    Parameter("lead_report_days", "线索接报后上报街道时限（天）", 1, "B5"),
    Parameter("publicity_events", "宣传活动满分场次", 4, "C1"),
    Parameter("publicity_venues", "宣传“五进”满分类数", 3, "C1"),
    Parameter("publicity_forms", "宣传形式满分种数", 3, "C1"),
    Parameter("coverage_full", "联系卡/公开信覆盖率（得4分）不低于", 0.9, "C2"),
    Parameter("coverage_part", "联系卡/公开信覆盖率（得2分）不低于", 0.6, "C2"),
    Parameter("awareness_min_visits", "知晓率评分最少走访户数", 20, "C4"),
    Parameter("volunteers_full", "志愿者满分人数", 10, "D1"),
    Parameter("volunteers_part", "志愿者得3分人数", 5, "D1"),
    Parameter("excellent_line", "优秀分数线", 90, "结果"),
    Parameter("pass_line", "达标分数线", 80, "结果"),
    Parameter("target_ratio", "街道创建成功比例目标", 0.5, "目标"),
    Parameter("bulk_entry_rows", "集中补录行数", 10, "疑点"),
)
DEFAULTS: dict[str, float] = {p.id: p.default for p in PARAMETERS}

#: Item id, title, max points (scoring.md "Items"), in the order of every score sheet.
ITEMS: tuple[tuple[str, str, int], ...] = (
    ("A1", "打击非法集资组织", 5), ("A2", "联络员", 4), ("A3", "登记台账", 6),
    ("B1", "监测点", 5), ("B2", "网格化覆盖", 4), ("B3", "网格员培训", 4),
    ("B4", "重点人员跟踪", 3), ("B5", "线索早发现早报告", 4),
    ("C1", "宣传活动", 12), ("C2", "联系卡", 4), ("C3", "公开信", 4), ("C4", "群众知晓率", 5),
    ("D1", "志愿者", 5), ("D2", "责任书", 6), ("D3", "定期排查", 8), ("D4", "巡防", 6),
    ("E1", "四项机制", 8), ("E2", "定期报送", 4), ("E3", "线索闭环", 3),
)  # fmt: skip
GATES = {
    "G1": "有在任组长",
    "G2": "有在任联络员",
    "G3": "自评无非法集资机构和场所",
    "G4": "整改按期完成",
}
#: 评分核定's 考评方式 (review.md).
VERIFY_METHODS = ("材料审核", "实地察看", "随机调查", "电话抽查")
VETOES = {
    "V1": "存在非法集资机构或场所",
    "V2": "发生涉非群体性事件",
    "V3": "泄露举报人信息",
    "V4": "台账弄虚作假",
}
