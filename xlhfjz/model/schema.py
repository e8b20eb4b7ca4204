"""The community workbook as data — the one source of truth (spec: ledgers.md).

Every sheet, header label, type, requirement, row rule, sheet rule, cross-sheet reference and
*personal* flag is written here once. The template writer, the validator, the scorer, the merge
and the masking all read these records; adding a column is one edit to a ``fields`` tuple.

Chinese labels and choice values are data (the contract); identifiers are English.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

from xlhfjz.model import rules as r
from xlhfjz.model.issues import E, W
from xlhfjz.model.rubric import ITEMS, VERIFY_METHODS

TEMPLATE_VERSION = "1.0"

#: Cell types of ledgers.md (plus ``code``: the 12-digit 统计用区划代码 of 社区代码).
CellType = Literal[
    "text", "date", "int", "number", "choice", "multi", "mobile", "phone", "uscc", "grid", "month",
    "code", "percent",
]  # fmt: skip

#: How a date column relates to the creation period (ledgers.md "in period", "≤ 创建截止日期", …).
DateRule = Literal["in_period", "by_end", "by_report", "any"]


@dataclass(frozen=True)
class Field:
    """One column of a ledger (or one key of 基本信息)."""

    id: str
    label: str
    type: CellType
    required: bool | r.Condition = True
    max_len: int | None = None
    choices: tuple[str, ...] = ()
    personal: bool = False
    min_value: float | None = None
    """Smallest allowed value of an int/number (``invalid-number`` below it)."""
    min_exclusive: bool = False
    date_rule: DateRule = "by_report"
    """``by_report``: not after 报送日期 (the default for every date); ``any``: may lie in the future."""
    privacy_checked: bool = False
    """Free text searched for mobile numbers and ID numbers (``personal-data-in-text``)."""
    looks_like_name_is_personal: bool = False
    """A value of 2–4 Chinese characters is taken for a person's name (举报人登记编号)."""
    hint: str = ""
    """Shown as the template's input hint and in 使用说明 / 基本信息's 说明 column."""
    width: int | None = None


@dataclass(frozen=True)
class Sheet:
    """One ledger sheet (or the key–value 基本信息)."""

    id: str
    name: str
    title: str
    serves: str
    """Which 十个一 item / standard the sheet serves (shown in 使用说明)."""
    guide: str
    """One line on what a row is, shown in the title row and in 使用说明."""
    fields: tuple[Field, ...]
    row_rules: tuple[r.RowRule, ...] = ()
    sheet_rules: tuple[r.SheetRule, ...] = ()
    keys: tuple[r.UniqueKey, ...] = ()
    restricted: bool = False
    """线索 and 重点人员: never merged row by row (office.md)."""
    key_value: bool = False

    def field(self, field_id: str) -> Field:
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    @property
    def labels(self) -> dict[str, Field]:
        return {f.label: f for f in self.fields}

    def __reduce__(self) -> str | tuple[Any, ...]:
        """Pickled as a reference to the schema's own sheet (merge workers send tables back)."""
        if _REGISTRY.get(self.id) is self:
            return (schema_sheet, (self.id,))
        return super().__reduce__()


# ── choice lists shared by several sheets ──────────────────────────────────────────────────

DOMAINS = (
    "投资理财/投资咨询", "P2P网络借贷", "农民专业合作社", "养老服务", "房地产/租赁", "私募/股权众筹",
    "虚拟货币", "典当/寄卖", "保健品/消费返利", "民办教育/培训", "商务楼宇/临街门店", "其他",
)  # fmt: skip
YES_NO = ("是", "否")
HAS = ("有", "无")
GRID_ROLES = ("网格长", "专职网格员", "兼职网格员")
ORG_TYPES = ("企业", "个体工商户", "农民专业合作社", "养老机构", "社会组织")
FIVE_VENUES = ("进机关", "进工厂", "进学校", "进家庭", "进社区")
MECHANISM_KINDS = ("举报投诉", "日常监管", "区域协作", "应急处置")
CORE_LEDGERS = (
    "volunteers", "grid_staff", "publicity", "contact_cards", "open_letters",
    "responsibility_letters", "trainings", "screenings", "patrols", "monitoring_points",
    "mechanisms",
)  # fmt: skip
SENSITIVE_WORDS = ("金融", "交易所", "交易中心", "理财", "财富管理", "股权众筹")

#: Columns every ledger accepts besides its fields: a leading 序号 (ignored) and a trailing 备注.
SERIAL_LABEL = "序号"
REMARK = Field("remark", "备注", "text", required=False, max_len=200, privacy_checked=True,
               hint="自由填写，勿写他人手机号、身份证号", width=24)  # fmt: skip


def _text(fid: str, label: str, n: int | None, **kw: Any) -> Field:
    return Field(fid, label, "text", max_len=n, **kw)


def _choice(fid: str, label: str, choices: tuple[str, ...], **kw: Any) -> Field:
    return Field(fid, label, "choice", choices=choices, **kw)


def _multi(fid: str, label: str, choices: tuple[str, ...], **kw: Any) -> Field:
    return Field(fid, label, "multi", choices=choices, **kw)


def _date(fid: str, label: str, rule: DateRule = "by_report", **kw: Any) -> Field:
    return Field(fid, label, "date", date_rule=rule, **kw)


def _int(fid: str, label: str, **kw: Any) -> Field:
    return Field(fid, label, "int", **kw)


def _lead_ref(required: r.Condition, when: str) -> Field:
    """关联线索编号: a reference to 线索.线索编号 (see REFERENCES)."""
    return _text(
        "lead_ref", "关联线索编号", None, required=required,
        hint=f"{when}时必填，须为“线索”表中的线索编号",
    )  # fmt: skip


# ── 基本信息 ────────────────────────────────────────────────────────────────────────────────

BASIC_INFO = Sheet(
    "basic_info",
    "基本信息",
    "社区基本信息",
    "全部评分的基础（创建期间、户数、网格数）",
    "每项一行：在“值”列填写，项目名称不要改动",
    (
        _text("community_name", "社区名称", 30, hint="如：华侨城社区"),
        Field("community_code", "社区代码", "code", hint="12位统计用区划代码，如 370303009001"),
        _choice("community_type", "社区类型", ("城市社区", "村居")),
        _text("street", "所属街道", 30, hint="如：车站街道"),
        _date("period_start", "创建开始日期", "any", hint="创建工作开始的日期"),
        _date("period_end", "创建截止日期", "any", hint="创建工作截止的日期"),
        _date("report_date", "报送日期", "any", hint="本次报送（提交街道）的日期"),
        _int("households", "辖区户数", min_value=1, hint="辖区内的户数，整数"),
        _int("population", "常住人口", required=False, hint="常住人口数，整数（选填）"),
        _int("grid_count", "网格数", min_value=1, hint="本社区划分的网格个数"),
        _multi(
            "key_domains",
            "辖区重点领域",
            (*DOMAINS, "无"),
            hint="辖区内存在的风险领域，可多选，用顿号（、）分隔；没有填“无”",
        ),
        _choice("has_involved", "有无重点人员", HAS, hint="有涉非重点人员时，须填写“重点人员”表"),
        _choice(
            "self_declared_clean",
            "自评无非法集资机构和场所",
            YES_NO,
            hint="自评辖区内无非法集资机构和场所填“是”",
        ),
        _text("leader_name", "负责人", 20),
        Field("leader_phone", "负责人电话", "phone", hint="手机或带区号的固话"),
        _text("filled_by", "填报人", 20),
        Field("filler_phone", "填报人电话", "phone", hint="手机或带区号的固话"),
    ),
    row_rules=(
        r.Order("period_end", "period_start", strict=True),
        r.Order("report_date", "period_start"),
        r.Compare("population", ">=", "households", W, "常住人口应不少于辖区户数"),
        r.Exclusive("key_domains", "无", E),
    ),
    sheet_rules=(r.InvolvedPersonsListed(),),
    key_value=True,
)

# ── ledgers ─────────────────────────────────────────────────────────────────────────────────

ORG_MEMBERS = Sheet(
    "org_members",
    "组织机构",
    "打击非法集资工作组织机构台账",
    "十个一之一：建立一个打击非法集资组织",
    "每名成员一行；须有在任组长",
    (
        _text("org_name", "组织名称", 40, hint="如：华侨城社区防范和处置非法集资工作领导小组"),
        _date("established", "成立日期", "by_end"),
        _text("establish_doc", "成立文件", 60, required=False, hint="成立文件文号或会议纪要编号"),
        _text("name", "姓名", 20, personal=True),
        _choice("role", "小组职务", ("组长", "副组长", "成员")),
        _choice(
            "position",
            "本职岗位",
            ("社区书记/主任", "两委成员", "网格员", "社区民警", "物业", "金融机构", "其他"),
        ),
        Field("phone", "联系电话", "phone", personal=True, hint="手机或带区号的固话"),
        _choice("status", "状态", ("在任", "已调整")),
    ),
    sheet_rules=(r.NeedsRow({"role": "组长", "status": "在任"}, E, "组织机构中没有在任组长"),),
)

LIAISON = Sheet(
    "liaison",
    "联络员",
    "联络员登记台账",
    "十个一之三：确定一名联络员",
    "每名联络员一行；在任联络员只能有一名，更换时原联络员改为“已更换”并填更换日期",
    (
        _text("name", "姓名", 20, personal=True),
        _text("position", "职务", 20),
        Field("mobile", "手机", "mobile", personal=True, hint="11位手机号"),
        Field(
            "office_phone",
            "办公电话",
            "phone",
            required=False,
            personal=True,
            hint="带区号的固话，如 0533-1234567",
        ),
        _date("appointed", "确定日期", "by_end"),
        _choice("status", "状态", ("在任", "已更换")),
        _date(
            "replaced", "更换日期", required=r.Eq("status", "已更换"), hint="状态为“已更换”时必填"
        ),
    ),
    row_rules=(r.Order("replaced", "appointed"),),
    sheet_rules=(r.ExactlyOne({"status": "在任"}, "在任联络员"),),
)

VOLUNTEERS = Sheet(
    "volunteers",
    "志愿者",
    "防范非法集资志愿者登记台账",
    "十个一之四：选聘一批志愿者",
    "每名志愿者一行（不登记出生日期和身份证号）",
    (
        _text("name", "姓名", 20, personal=True),
        _choice("gender", "性别", ("男", "女"), required=False),
        _choice("age_band", "年龄段", ("35岁以下", "36-59岁", "60岁以上"), required=False),
        Field("mobile", "手机", "mobile", personal=True, hint="11位手机号"),
        Field("grid_no", "所属网格", "grid", hint="网格编号，1 到 网格数"),
        _choice(
            "category",
            "类别",
            (
                "党员志愿者",
                "楼长/单元长",
                "居民志愿者",
                "物业/商户人员",
                "金融机构人员",
                "退休干部",
                "其他",
            ),
        ),
        _date("recruited", "选聘日期", "by_end"),
        _choice("status", "状态", ("在册", "退出")),
    ),
    keys=(r.UniqueKey(("mobile",), W),),
)

GRID_STAFF = Sheet(
    "grid_staff",
    "网格力量",
    "网格化管理及巡防力量台账",
    "标准一（网格化管理）、标准三（三级巡防队）",
    "每名网格员、巡防队员一行；每个网格至少一名在岗网格员",
    (
        _text("name", "姓名", 20, personal=True),
        Field("mobile", "手机", "mobile", personal=True, hint="11位手机号"),
        Field("grid_no", "网格编号", "grid", hint="1 到 网格数"),
        _choice("role", "角色", (*GRID_ROLES, "巡防队员", "社区民警", "其他")),
        _choice("patrol_tier", "巡防层级", ("一级", "二级", "三级", "无")),
        _choice("status", "状态", ("在岗", "离岗")),
    ),
    sheet_rules=(r.GridsCovered(),),
)

PUBLICITY = Sheet(
    "publicity",
    "宣传活动",
    "宣传教育活动台账",
    "十个一之二：开展一系列宣传教育；标准二",
    "每场活动一行；宣传形式可多选，用顿号（、）分隔",
    (
        _date("activity_date", "活动日期", "in_period"),
        _text("theme", "活动主题", 60),
        _text("location", "活动地点", 60),
        _choice("venue", "五进类别", (*FIVE_VENUES, "其他场所")),
        _multi(
            "forms",
            "宣传形式",
            (
                "发放传单",
                "张贴海报",
                "悬挂横幅",
                "展板咨询台",
                "典型案例宣讲",
                "入户走访",
                "线上推送",
                "广播/LED",
                "其他",
            ),
        ),
        _choice("typical_case", "剖析典型案例", YES_NO),
        _int("staff_count", "工作人员数", min_value=1),
        _int("audience", "受众人数"),
        _int("materials", "发放资料份数", required=False),
        _int("banners", "横幅条数", required=False),
        _int("consultations", "咨询人次", required=False),
        _text("evidence", "佐证材料", 60, hint="照片、签到表等佐证材料的编号或存放位置"),
    ),
    row_rules=(
        r.IfHas(
            "forms",
            "发放传单",
            r.Compare("materials", ">", 0, W, "宣传形式含“发放传单”，发放资料份数应大于0"),
        ),
        r.IfHas(
            "forms",
            "悬挂横幅",
            r.Compare("banners", ">=", 1, W, "宣传形式含“悬挂横幅”，横幅条数应至少为1"),
        ),
        r.Compare("consultations", "<=", "audience", W, "咨询人次不应超过受众人数"),
    ),
    keys=(r.UniqueKey(("activity_date", "location", "theme"), W),),
)

CONTACT_CARDS = Sheet(
    "contact_cards",
    "联系卡",
    "联系卡发放台账",
    "十个一之五：派发一张联系卡",
    "每批发放一行（不登记领卡人姓名）；卡片内容可多选",
    (
        _date("issue_date", "发放日期", "in_period"),
        _text("scope", "发放范围", 60, hint="楼栋、小区或村民小组"),
        Field("grid_no", "网格编号", "grid", hint="1 到 网格数"),
        _int("households_reached", "覆盖户数"),
        _int("cards", "发放张数"),
        _multi(
            "content",
            "卡片内容",
            ("联络员电话", "网格员电话", "举报电话", "处非专班电话", "识别要点"),
        ),
        _text("distributor", "发放人", 20, personal=True),
    ),
    row_rules=(r.Compare("cards", ">=", "households_reached", W, "发放张数应不少于覆盖户数"),),
    sheet_rules=(r.HouseholdsCap("households_reached"),),
)

OPEN_LETTERS = Sheet(
    "open_letters",
    "公开信",
    "公开信发放台账",
    "十个一之六：发放一封公开信",
    "每批发放一行",
    (
        _date("issue_date", "发放日期", "in_period"),
        _text("title", "公开信标题", 60),
        _text("issuer", "落款单位", 40),
        _choice("channel", "发放方式", ("入户发放", "张贴公示", "微信推送", "随活动发放", "其他")),
        _int("households_reached", "覆盖户数"),
        _int("copies", "份数"),
        _choice("has_hotline", "载明举报电话", YES_NO),
    ),
    sheet_rules=(r.HouseholdsCap("households_reached"),),
)

RESPONSIBILITY_LETTERS = Sheet(
    "responsibility_letters",
    "责任书",
    "责任书（承诺书）签订台账",
    "十个一之七：签订一批责任书",
    "每份责任书或承诺书一行；对象名称与风险排查中的排查对象写法一致",
    (
        _date("sign_date", "签订日期"),
        _choice("doc_type", "文书类型", ("责任书", "承诺书")),
        _choice(
            "party_type",
            "对象类型",
            (
                "网格员",
                "楼长/单元长",
                "物业企业",
                "企业",
                "个体工商户",
                "出租房屋业主",
                "养老机构",
                "农民专业合作社",
                "金融网点",
                "居民户",
                "其他",
            ),
        ),
        _text("party_name", "对象名称", 60, hint="单位名称须与“风险排查”表的排查对象一致"),
        Field("uscc", "统一社会信用代码", "uscc", required=False, hint="18位，单位填写"),
        _text("signer", "签字人", 20, personal=True),
        _date("valid_until", "有效期至", "any", required=False),
    ),
    row_rules=(r.Order("valid_until", "sign_date"),),
)

TRAININGS = Sheet(
    "trainings",
    "培训",
    "网格员等业务培训台账",
    "标准一（培训网格员）",
    "每次培训一行",
    (
        _date("training_date", "培训日期", "in_period"),
        _text("topic", "培训主题", 60),
        _choice(
            "audience_type",
            "培训对象",
            ("网格员", "志愿者", "社区工作人员", "楼长", "巡防队员", "混合"),
        ),
        _text("trainer", "授课人", 40),
        _choice("mode", "形式", ("集中授课", "视频会议", "以会代训", "现场演练")),
        _int("expected", "应训人数", min_value=1),
        _int("attended", "实训人数"),
        Field("hours", "时长", "number", min_value=0, min_exclusive=True, hint="小时，如 1.5"),
        _text("evidence", "佐证材料", 60, hint="签到表、照片等的编号或存放位置"),
    ),
    row_rules=(
        r.Compare("attended", "<=", "expected", E, "实训人数不能超过应训人数"),
        r.Compare("hours", "<=", 8, W, "单次培训时长超过8小时，请核实"),
    ),
)

SCREENINGS = Sheet(
    "screenings",
    "风险排查",
    "重点领域风险排查台账",
    "标准三（定期排查重点领域）",
    "每个排查对象每次排查一行；发现情况可多选",
    (
        _date("screen_date", "排查日期", "in_period"),
        _text("screener", "排查人", 20, personal=True),
        _choice(
            "method",
            "排查方式",
            ("入户走访", "扫楼扫街", "门店检查", "网络广告巡查", "联合检查", "电话核查"),
        ),
        Field("grid_no", "网格编号", "grid", hint="1 到 网格数"),
        _text("target_name", "排查对象", 60, hint="企业、门店或场所名称（不是个人）"),
        _choice(
            "target_type",
            "对象类型",
            (
                "企业",
                "个体工商户",
                "农民专业合作社",
                "养老机构",
                "社会组织",
                "出租房屋",
                "广告宣传品",
                "其他",
            ),
        ),
        _choice("domain", "重点领域", DOMAINS),
        Field("uscc", "统一社会信用代码", "uscc", required=False, hint="18位"),
        _text("address", "经营地址", 80),
        _choice(
            "sensitive_name",
            "名称含敏感字样",
            YES_NO,
            hint="名称含金融、交易所、交易中心、理财、财富管理、股权众筹等字样填“是”",
        ),
        _choice("licensed", "营业执照", ("有", "无", "不适用")),
        _multi(
            "findings",
            "发现情况",
            (
                "未发现异常",
                "承诺高额回报",
                "公开宣传吸收资金",
                "以商品服务养老名义吸收资金",
                "收取大额预付费",
                "充值返利",
                "推介会免费旅游引流",
                "散发涉嫌广告",
                "其他",
            ),
        ),
        _choice("risk_level", "风险等级", ("无", "低", "中", "高")),
        _choice(
            "action",
            "处置措施",
            ("无需处置", "宣传提醒", "约谈警示", "上报街道处非专班", "移交有关部门", "已取缔关闭"),
        ),
        _date(
            "reported",
            "上报日期",
            required=r.In("risk_level", ("中", "高")),
            hint="风险等级为中、高时必填",
        ),
        _date("recheck", "复查日期", required=False),
        _lead_ref(r.Eq("action", "上报街道处非专班"), "处置措施为“上报街道处非专班”"),
    ),
    row_rules=(
        r.SensitiveName("target_name", "sensitive_name", SENSITIVE_WORDS),
        r.Exclusive("findings", "未发现异常", E),
        r.CalmButRisky("findings", "未发现异常", "risk_level", ("中", "高")),
        r.Order("reported", "screen_date"),
        r.ReportedLate("reported", "screen_date", days=1),
        r.Order("recheck", "screen_date"),
    ),
    keys=(),
)

PATROLS = Sheet(
    "patrols",
    "巡查",
    "网格巡查（三级巡防）台账",
    "标准三（网格员和三级巡防队巡查）",
    "每次巡查一行；巡查重点可多选",
    (
        _date("patrol_date", "巡查日期", "in_period"),
        _choice("tier", "巡防层级", ("一级", "二级", "三级")),
        Field("grid_no", "网格编号", "grid", hint="1 到 网格数"),
        _text("leader", "带队人", 20, personal=True),
        _int("members", "参加人数", min_value=1),
        _multi(
            "focus",
            "巡查重点",
            (
                "商务楼宇",
                "临街门店",
                "集市广场",
                "老年人活动场所",
                "出租房屋",
                "小广告宣传品",
                "其他",
            ),
        ),
        _int("ads_removed", "清理涉嫌广告数", required=False),
        _choice("anomaly", "发现异常", YES_NO),
        _lead_ref(r.Eq("anomaly", "是"), "发现异常"),
    ),
)

LEADS = Sheet(
    "leads",
    "线索",
    "涉嫌非法集资线索登记台账（内部，严格保密）",
    "标准一（早发现早报告）、标准四（处置闭环）",
    "每条线索一行；不得填写举报人姓名、电话、身份证号",
    (
        _text("lead_id", "线索编号", 20, hint="如 XS-2020-001，表内不得重复"),
        _date("received", "接报日期", "in_period"),
        _choice(
            "source",
            "来源",
            (
                "群众来电",
                "群众来访",
                "来信网络",
                "网格员巡查",
                "风险排查",
                "监测点发现",
                "上级交办",
                "其他",
            ),
        ),
        _choice("reporter_type", "举报人类型", ("实名", "匿名", "内部发现")),
        _text(
            "reporter_ref",
            "举报人登记编号",
            30,
            required=r.Eq("reporter_type", "实名"),
            privacy_checked=True,
            looks_like_name_is_personal=True,
            hint="实名举报时填写保密登记簿中的编号，不得填写姓名、电话、身份证号",
        ),
        _text("subject", "被举报对象", 60),
        _choice("domain", "重点领域", DOMAINS),
        _multi(
            "behaviour",
            "涉嫌行为",
            (
                "承诺高额回报",
                "公开宣传吸收资金",
                "以商品服务养老名义吸收资金",
                "收取大额预付费",
                "充值返利",
                "群众聚集",
                "其他",
            ),
        ),
        _text("summary", "简要情况", 200, privacy_checked=True, hint="简要情况，勿写举报人信息"),
        _date("reported", "上报街道日期"),
        _choice(
            "referred_to",
            "移交去向",
            ("街道处非专班", "区处非办", "公安机关", "市场监管部门", "其他", "未移交"),
        ),
        _choice("verification", "核查结果", ("核查中", "查实", "不属实", "无法核实")),
        _choice("disposal", "处置状态", ("未处置", "处置中", "已取缔关闭", "已化解", "无需处置")),
        _date("closed", "办结日期", required=False),
    ),
    row_rules=(
        r.Order("reported", "received"),
        r.Forbidden(
            {"verification": "查实", "disposal": "无需处置"},
            E,
            "核查结果为“查实”的线索，处置状态不能为“无需处置”",
        ),
        r.Order("closed", "received"),
    ),
    keys=(r.UniqueKey(("lead_id",), E),),
    restricted=True,
)

INVOLVED_PERSONS = Sheet(
    "involved_persons",
    "重点人员",
    "涉非重点人员跟踪台账（内部，严格保密）",
    "标准一（跟踪涉非重点人员）",
    "每次跟踪一行；同一人始终使用同一人员编号",
    (
        _text("person_code", "人员编号", 20, hint="化名编号，如 RY-001"),
        _text("name", "姓名", 20, personal=True),
        Field("grid_no", "所属网格", "grid", hint="1 到 网格数"),
        _text("case_name", "涉及案件", 60),
        _choice("category", "人员类别", ("集资参与人", "涉稳重点人员", "其他")),
        _date("follow_date", "跟踪日期", "in_period"),
        _choice("method", "跟踪方式", ("上门走访", "电话", "座谈")),
        _text("note", "动态诉求", 200, privacy_checked=True),
        _text("owner", "稳控责任人", 20),
    ),
    restricted=True,
)

MONITORING_POINTS = Sheet(
    "monitoring_points",
    "监测点",
    "非法集资监测点台账",
    "十个一之九：设立一个监测点",
    "每个监测点一行；名称不得重复",
    (
        _text("point_name", "监测点名称", 40),
        _text("location", "设立位置", 60),
        _date("set_up", "设立日期", "by_end"),
        _text("keeper", "负责人", 20, personal=True),
        Field("keeper_phone", "负责人电话", "phone", personal=True, hint="手机或带区号的固话"),
        _choice("hotline_posted", "公示举报电话", YES_NO),
        _choice("has_box", "设举报箱", YES_NO, required=False),
    ),
    keys=(r.UniqueKey(("point_name",), E),),
)

MONITORING_LOGS = Sheet(
    "monitoring_logs",
    "监测记录",
    "监测点监测记录（月报）",
    "十个一之九：监测点按月报告（可零报告）",
    "每个监测点每月一行；无异常也要填写（零报告）",
    (
        _text("point_name", "监测点名称", 40, hint="须与“监测点”表中的名称一致"),
        Field("month", "报告月份", "month", hint="如 2020-07"),
        _choice("result", "监测情况", ("无异常", "发现异常")),
        _text(
            "note",
            "情况说明",
            200,
            required=r.Eq("result", "发现异常"),
            privacy_checked=True,
            hint="发现异常时必填",
        ),
        _lead_ref(r.Eq("result", "发现异常"), "发现异常"),
    ),
)

MECHANISMS = Sheet(
    "mechanisms",
    "防控机制",
    "防控工作机制台账",
    "十个一之十：形成一套防控机制；标准四",
    "每项制度一行；举报投诉、日常监管、区域协作、应急处置四类都要有",
    (
        _choice("category", "制度类别", (*MECHANISM_KINDS, "其他")),
        _text("title", "制度名称", 60),
        _date("established", "建立日期", "by_end"),
        _choice("form", "形式", ("正式文件", "会议纪要", "上墙制度", "协作协议")),
        _text(
            "partners",
            "协作单位",
            60,
            required=r.Eq("category", "区域协作"),
            hint="制度类别为“区域协作”时必填",
        ),
        _date("last_exercised", "最近执行日期", required=False),
    ),
    row_rules=(r.Order("last_exercised", "established"),),
    sheet_rules=(r.KindsPresent("category", MECHANISM_KINDS),),
)

PROGRESS_REPORTS = Sheet(
    "progress_reports",
    "进度报送",
    "创建工作进度报送台账",
    "工作要求：定期向街道处非办报送进度",
    "每期一行；报送后填写实报日期",
    (
        _text("period_label", "期次", 20, hint="如 第1期 或 2020年7月"),
        _date("due", "应报日期", "any"),
        _date("submitted", "实报日期", required=False),
        _text(
            "progress",
            "主要进展",
            300,
            required=r.Present("submitted"),
            privacy_checked=True,
            hint="已报送时必填",
        ),
        _text("problems", "存在问题", 300, required=False, privacy_checked=True),
        _text(
            "submitter",
            "报送人",
            20,
            required=r.Present("submitted"),
            personal=True,
            hint="已报送时必填",
        ),
    ),
)

#: The ledgers in spec order (the template's sheet order after 基本信息).
LEDGERS: tuple[Sheet, ...] = (
    ORG_MEMBERS, LIAISON, VOLUNTEERS, GRID_STAFF, PUBLICITY, CONTACT_CARDS, OPEN_LETTERS,
    RESPONSIBILITY_LETTERS, TRAININGS, SCREENINGS, PATROLS, LEADS, INVOLVED_PERSONS,
    MONITORING_POINTS, MONITORING_LOGS, MECHANISMS, PROGRESS_REPORTS,
)  # fmt: skip

#: All 18 sheets of the contract, in order.
SHEETS: tuple[Sheet, ...] = (BASIC_INFO, *LEDGERS)
BY_ID: dict[str, Sheet] = {s.id: s for s in SHEETS}
BY_NAME: dict[str, Sheet] = {s.name: s for s in SHEETS}

#: Cross-sheet references: (sheet id, field id) → (target sheet id, target field id).
REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("screenings", "lead_ref"): ("leads", "lead_id"),
    ("patrols", "lead_ref"): ("leads", "lead_id"),
    ("monitoring_logs", "lead_ref"): ("leads", "lead_id"),
    ("monitoring_logs", "point_name"): ("monitoring_points", "point_name"),
}

META_SHEET = "_meta"
#: Hidden sheet where the Excel buttons keep the addresses of the marks they made.
MARKS_SHEET = "_marks"
MARKS_HEADER = ("工作表", "地址")
GUIDE_SHEET = "使用说明"


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {"kind": type(obj).__name__, **{k: _jsonable(v) for k, v in asdict(obj).items()}}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    return obj


def schema_hash() -> str:
    """A short hash of the schema (written to ``_meta`` of every generated template)."""
    doc = json.dumps(
        [_jsonable(s) for s in SHEETS], ensure_ascii=False, sort_keys=True, default=str
    )
    return hashlib.sha256(doc.encode()).hexdigest()[:16]


# ── the office workbook (office.md) ─────────────────────────────────────────────────────────

VETO_CHOICES = (
    "无",
    "存在非法集资机构或场所",
    "发生涉非群体性事件",
    "泄露举报人信息",
    "台账弄虚作假",
)

OFFICE_SETTINGS = Sheet(
    "settings",
    "设置",
    "街道汇总设置",
    "合并汇总的基本设置",
    "每项一行：在“值”列填写",
    (
        _text("street", "街道名称", 30, required=False, hint="如：车站街道"),
        _date("period_start", "创建开始日期", "any", required=False),
        _date("period_end", "创建截止日期", "any", required=False),
        Field(
            "target_ratio",
            "目标比例",
            "percent",
            required=False,
            hint="创建成功社区占比目标，如 50% 或 0.5（默认 50%）",
        ),
        Field("pass_line", "达标分数线", "number", required=False, hint="默认 80"),
        Field("excellent_line", "优秀分数线", "number", required=False, hint="默认 90"),
        _date(
            "eval_date",
            "评估日期",
            "any",
            required=False,
            hint="判断整改是否逾期的日期（默认为合并当天）",
        ),
        _text(
            "folder",
            "台账文件夹",
            None,
            required=False,
            hint="存放各社区台账的文件夹路径（【合并汇总】按钮读取）",
        ),
    ),
    key_value=True,
)

ROSTER = Sheet(
    "roster",
    "社区名单",
    "应报送社区名单",
    "确定应报送的社区（计算目标）",
    "每个社区一行",
    (
        Field("community_code", "社区代码", "code", hint="12位统计用区划代码"),
        _text("community_name", "社区名称", 30),
        _choice("community_type", "社区类型", ("城市社区", "村居"), required=False),
    ),
    keys=(r.UniqueKey(("community_code",), E),),
)

INSPECTIONS = Sheet(
    "inspections",
    "督导检查",
    "街道处非专班督导检查记录",
    "群众知晓率（C4）与一票否决事项",
    "每次检查一行（仅街道填写）",
    (
        Field("community_code", "社区代码", "code", hint="须在社区名单中"),
        _date("inspect_date", "检查日期", "any"),
        _text("inspectors", "检查人", 40),
        _multi("methods", "检查方式", ("查阅台账", "实地察看", "走访群众", "电话抽查", "听取汇报")),
        _int("visited", "走访户数", required=False),
        _int("aware", "知晓户数", required=False),
        _text("findings", "发现问题", 300, required=False),
        _date("fix_due", "整改期限", "any", required=False),
        _date("fix_done", "整改完成日期", "any", required=False),
        _multi("vetoes", "否决事项", VETO_CHOICES, hint="没有填“无”"),
    ),
    row_rules=(
        r.Compare("aware", "<=", "visited", E, "知晓户数不能超过走访户数"),
        r.Exclusive("vetoes", "无", E),
    ),
)

#: The rubric's item ids (A1 … E3), the choices of 评分核定's 评分项.
ITEM_IDS = tuple(iid for iid, _, _ in ITEMS)

VERIFICATIONS = Sheet(
    "verifications",
    "评分核定",
    "街道处非专班评分核定",
    "核定各评分项的得分（替代社区自评）",
    "每次核定一行（仅街道填写）；同一社区同一评分项以核定日期最晚的一行为准",
    (
        Field("community_code", "社区代码", "code", hint="须在社区名单中"),
        _choice("item", "评分项", ITEM_IDS, hint="A1 … E3"),
        Field("verified", "核定分", "number", min_value=0, hint="0 至该项满分"),
        _choice("method", "考评方式", VERIFY_METHODS),
        _text("verifier", "核定人", 20),
        _date("verified_on", "核定日期", "any"),
        _text("reason", "理由", 300),
    ),
)

DRAWS = Sheet(
    "draws",
    "抽查名单",
    "随机抽查名单",
    "暗访抽查的社区（由 xlhfjz office draw 追加，请勿改动）",
    "每次抽取追加若干行",
    (
        _date("drawn_on", "抽取日期", "any"),
        _int("seed", "随机种子"),
        Field("community_code", "社区代码", "code"),
        _text("community_name", "社区名称", 30),
        _int("order", "顺序"),
    ),
)

OFFICE_SHEETS: tuple[Sheet, ...] = (OFFICE_SETTINGS, ROSTER, INSPECTIONS, VERIFICATIONS, DRAWS)


def schema_sheet(sheet_id: str) -> Sheet:
    """The schema's sheet (community or office) with this id."""
    return _REGISTRY[sheet_id]


#: Every sheet of the schema by id (what a pickled :class:`Sheet` refers to).
_REGISTRY: dict[str, Sheet] = {sh.id: sh for sh in (*SHEETS, *OFFICE_SHEETS)}
assert len(_REGISTRY) == len(SHEETS) + len(OFFICE_SHEETS), "sheet ids must be unique"
PARAMETERS_SHEET = "评分参数"
