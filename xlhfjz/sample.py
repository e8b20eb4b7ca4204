"""Realistic sample ledgers, deterministic per seed (for the demo, the tests and the benchmark).

A sample is plain data — 基本信息 values by field id and, per ledger sheet name, rows of cell
values in the schema's field order — so any writer can put it into a workbook.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from xlhfjz.checks.cells import uscc_check_char
from xlhfjz.model.schema import BY_ID, DOMAINS, LEDGERS, Sheet
from xlhfjz.scoring import month_list

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽阳"
ROADS = (
    "人民路",
    "共青团路",
    "华光路",
    "杏园路",
    "张店路",
    "柳泉路",
    "西六路",
    "金晶大道",
    "中心路",
    "新村路",
)
SHOP_WORDS = (
    "鑫源",
    "华信",
    "福寿康",
    "金桥",
    "聚宝",
    "嘉和",
    "恒泰",
    "安康",
    "富民",
    "瑞丰",
    "天成",
    "盛世",
)
SHOP_KINDS = (
    ("商贸有限公司", "企业"), ("养老服务中心", "养老机构"), ("保健品店", "个体工商户"),
    ("投资咨询有限公司", "企业"), ("农民专业合作社", "农民专业合作社"), ("财富管理有限公司", "企业"),
    ("文化传媒工作室", "个体工商户"), ("便民超市", "个体工商户"), ("老年活动协会", "社会组织"),
    ("房屋中介", "个体工商户"),
)  # fmt: skip
THEMES = (
    "守住钱袋子·护好幸福家", "防范非法集资宣传月", "远离非法集资 拒绝高利诱惑", "养老诈骗防范讲座",
    "防范非法集资进校园", "金融知识进万家", "识别非法集资“套路”", "《防范和处置非法集资条例》宣讲",
)  # fmt: skip
FORMS = ("发放传单", "张贴海报", "悬挂横幅", "展板咨询台", "典型案例宣讲", "入户走访", "线上推送")


@dataclass
class CommunitySample:
    """One community's data: 基本信息 by field id, ledger rows by sheet name."""

    basic: dict[str, Any]
    data: dict[str, list[list[Any]]] = field(default_factory=dict)

    def cell(self, sheet: str, row_index: int, field_id: str) -> Any:
        return self.data[sheet][row_index][_index(sheet, field_id)]

    def get(self, sheet: str, row_index: int, field_id: str) -> Any:
        """One cell (row_index 0 = the first data row, Excel row 3)."""
        return self.data[sheet][row_index][_index(sheet, field_id)]

    def set(self, sheet: str, row_index: int, field_id: str, value: Any) -> None:
        """Change one cell (row_index 0 = the first data row, Excel row 3)."""
        self.data[sheet][row_index][_index(sheet, field_id)] = value


def _index(sheet_name: str, field_id: str) -> int:
    sheet = next(s for s in LEDGERS if s.name == sheet_name)
    return [f.id for f in sheet.fields].index(field_id)


def _row(sheet: Sheet, **values: Any) -> list[Any]:
    return [values.get(f.id) for f in sheet.fields]


def valid_uscc(rng: random.Random) -> str:
    """A random 统一社会信用代码 with a correct check character."""
    body = "9137030" + "".join(rng.choice("0123456789") for _ in range(3))
    body += "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(7))
    return body + uscc_check_char(body)


class _Gen:
    def __init__(self, seed: int, basic: dict[str, Any]) -> None:
        self.rng = random.Random(seed)
        self.basic = basic
        self.start: dt.date = basic["period_start"]
        self.as_of: dt.date = min(basic["period_end"], basic["report_date"])
        self.grids: int = basic["grid_count"]
        self.used_mobiles: set[str] = set()

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(
            self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2)))
        )

    def mobile(self) -> str:
        while True:
            m = self.rng.choice("3578") + "".join(self.rng.choice("0123456789") for _ in range(9))
            m = "1" + m
            if m not in self.used_mobiles:
                self.used_mobiles.add(m)
                return m

    def day(self, lo: dt.date | None = None, hi: dt.date | None = None) -> dt.date:
        lo, hi = lo or self.start, hi or self.as_of
        return lo + dt.timedelta(days=self.rng.randint(0, max(0, (hi - lo).days)))

    def spread(self, i: int, n: int) -> dt.date:
        """The i-th of n dates spread evenly over the period, with a little jitter."""
        span = (self.as_of - self.start).days
        base = self.start + dt.timedelta(days=span * (i + 0.5) / max(n, 1))
        jitter = dt.timedelta(days=self.rng.randint(-2, 2))
        return min(max(base + jitter, self.start), self.as_of)

    def grid(self, i: int) -> int:
        return i % self.grids + 1


def default_basic(
    name: str = "华侨城社区",
    code: str = "370303009001",
    *,
    street: str = "车站街道",
    start: dt.date = dt.date(2020, 6, 1),
    end: dt.date = dt.date(2020, 12, 31),
    report: dt.date = dt.date(2020, 12, 20),
    households: int = 1200,
    grids: int = 4,
) -> dict[str, Any]:
    """A complete, valid 基本信息."""
    return {
        "community_name": name,
        "community_code": code,
        "community_type": "城市社区",
        "street": street,
        "period_start": start,
        "period_end": end,
        "report_date": report,
        "households": households,
        "population": households * 3 - 17,
        "grid_count": grids,
        "key_domains": "投资理财/投资咨询、养老服务、保健品/消费返利",
        "has_involved": "有",
        "self_declared_clean": "是",
        "leader_name": "李建国",
        "leader_phone": "0533-2281001",
        "filled_by": "王晓燕",
        "filler_phone": "13853300001",
    }


def generate_community(
    seed: int = 1, basic: dict[str, Any] | None = None, scale: float = 1.0
) -> CommunitySample:
    """A clean community: every ledger filled plausibly over the period (``scale`` multiplies rows)."""
    basic = dict(basic or default_basic())
    g = _Gen(seed, basic)
    rng = g.rng
    months = month_list(g.start, g.as_of)
    weeks = max(1, (g.as_of - g.start).days // 7 + 1)

    def n(base: int) -> int:
        return max(1, round(base * scale))

    data: dict[str, list[list[Any]]] = {}
    short = basic["community_name"].removesuffix("社区").removesuffix("村")

    org = BY_ID["org_members"]
    roles = ["组长", "副组长"] + ["成员"] * (n(5) - 2)
    positions = ["社区书记/主任", "两委成员", "社区民警", "网格员", "物业", "金融机构", "两委成员"]
    founded = g.start + dt.timedelta(days=3)
    data[org.name] = [
        _row(
            org,
            org_name=f"{basic['community_name']}防范和处置非法集资工作领导小组",
            established=founded,
            establish_doc=f"{short}社字〔{founded.year}〕{seed % 40 + 3}号",
            name=g.name(),
            role=role,
            position=positions[i % len(positions)],
            phone=g.mobile(),
            status="在任",
        )
        for i, role in enumerate(roles)
    ]

    liaison = BY_ID["liaison"]
    data[liaison.name] = [
        _row(
            liaison,
            name=g.name(),
            position="社区两委委员",
            mobile=g.mobile(),
            office_phone="0533-22810" + str(10 + seed % 89),
            appointed=founded,
            status="在任",
        )
    ]

    vol = BY_ID["volunteers"]
    categories = vol.field("category").choices[:-1]  # all but 其他
    data[vol.name] = [
        _row(
            vol,
            name=g.name(),
            gender=rng.choice("男女"),
            age_band=rng.choice(("35岁以下", "36-59岁", "60岁以上")),
            mobile=g.mobile(),
            grid_no=g.grid(i),
            category=categories[i % len(categories)],
            recruited=g.day(g.start, g.start + dt.timedelta(days=40)),
            status="在册",
        )
        for i in range(n(14))
    ]

    staff = BY_ID["grid_staff"]
    rows = []
    for grid in range(1, g.grids + 1):
        rows.append(_row(staff, name=g.name(), mobile=g.mobile(), grid_no=grid,
                         role="网格长" if grid == 1 else "专职网格员", patrol_tier="一级", status="在岗"))  # fmt: skip
    for i in range(n(2 * g.grids)):
        rows.append(_row(staff, name=g.name(), mobile=g.mobile(), grid_no=g.grid(i),
                         role=("兼职网格员", "巡防队员")[i % 2],
                         patrol_tier=("二级", "三级")[i % 2], status="在岗"))  # fmt: skip
    data[staff.name] = rows

    pub = BY_ID["publicity"]
    venues = ("进社区", "进家庭", "进学校", "进机关", "进工厂", "其他场所")
    rows = []
    for i in range(n(7)):
        forms = rng.sample(FORMS, rng.randint(2, 4))
        audience = rng.randint(40, 320)
        rows.append(_row(pub, activity_date=g.spread(i, n(7)), theme=THEMES[i % len(THEMES)] + (f"（第{i // len(THEMES) + 1}轮）" if i >= len(THEMES) else ""),
                         location=f"{short}{('社区广场', '党群服务中心', '第一小学', '老年活动中心', '企业车间')[i % 5]}",
                         venue=venues[i % len(venues)], forms="、".join(forms),
                         typical_case="是" if i % 2 == 0 else "否", staff_count=rng.randint(3, 9),
                         audience=audience,
                         materials=rng.randint(80, 400) if "发放传单" in forms else None,
                         banners=rng.randint(1, 3) if "悬挂横幅" in forms else None,
                         consultations=rng.randint(5, audience // 3),
                         evidence=f"{short}照片及签到表（档案盒A-{i + 1:02d}）"))  # fmt: skip
    data[pub.name] = rows

    hh = basic["households"]
    cards = BY_ID["contact_cards"]
    batches = n(g.grids * 2)
    per = int(hh * 0.95) // batches
    data[cards.name] = [
        _row(
            cards,
            issue_date=g.spread(i, batches * 3),
            scope=f"{short}小区{i + 1}号楼至{i + 3}号楼",
            grid_no=g.grid(i),
            households_reached=per,
            cards=per + rng.randint(0, 20),
            content="联络员电话、网格员电话、举报电话",
            distributor=g.name(),
        )
        for i in range(batches)
    ]

    letters = BY_ID["open_letters"]
    channels = ("入户发放", "张贴公示", "微信推送", "随活动发放")
    nl = n(3)
    data[letters.name] = [
        _row(
            letters,
            issue_date=g.spread(i, nl * 2),
            title="致辖区居民防范非法集资的一封信",
            issuer=f"{basic['street']}办事处",
            channel=channels[i % 4],
            households_reached=int(hh * 0.93) // nl,
            copies=int(hh * 0.93) // nl + 30,
            has_hotline="是",
        )
        for i in range(nl)
    ]

    screen = BY_ID["screenings"]
    domains = [d for d in DOMAINS if d in basic["key_domains"]] or list(DOMAINS[:3])
    targets = []
    for i in range(n(8)):
        word, (kind, ttype) = (
            SHOP_WORDS[(seed + i) % len(SHOP_WORDS)],
            SHOP_KINDS[i % len(SHOP_KINDS)],
        )
        targets.append((f"淄博{word}{kind}", ttype, rng.choice(ROADS) + f"{rng.randint(1, 300)}号"))
    rows = []
    for i in range(n(len(months) * 3)):
        tname, ttype, addr = targets[i % len(targets)]
        month = months[i % len(months)]
        day = dt.date(month[0], month[1], rng.randint(2, 27))
        day = min(max(day, g.start), g.as_of)
        sensitive = "是" if any(w in tname for w in ("金融", "理财", "财富管理", "交易")) else "否"
        rows.append(_row(screen, screen_date=day, screener=g.name(),
                         method=("门店检查", "扫楼扫街", "入户走访", "网络广告巡查")[i % 4],
                         grid_no=g.grid(i), target_name=tname, target_type=ttype,
                         domain=domains[i % len(domains)], uscc=valid_uscc(rng) if ttype == "企业" else None,
                         address=addr, sensitive_name=sensitive,
                         licensed="有" if ttype != "社会组织" else "不适用", findings="未发现异常",
                         risk_level=("无", "低")[i % 2], action=("无需处置", "宣传提醒")[i % 2]))  # fmt: skip
    data[screen.name] = rows

    letters_r = BY_ID["responsibility_letters"]
    orgs = [
        t
        for t in targets
        if t[1] in ("企业", "个体工商户", "农民专业合作社", "养老机构", "社会组织")
    ]
    rows = [
        _row(
            letters_r,
            sign_date=g.day(g.start, g.start + dt.timedelta(days=60)),
            doc_type="承诺书",
            party_type=ttype if ttype != "社会组织" else "其他",
            party_name=tname,
            signer=g.name(),
            valid_until=basic["period_end"] + dt.timedelta(days=365),
        )
        for tname, ttype, _ in orgs
    ]
    rows += [
        _row(
            letters_r,
            sign_date=g.day(g.start, g.start + dt.timedelta(days=30)),
            doc_type="责任书",
            party_type="网格员",
            party_name=f"第{grid}网格",
            signer=g.name(),
        )
        for grid in range(1, g.grids + 1)
    ]
    data[letters_r.name] = rows

    train = BY_ID["trainings"]
    staff_n = len(data[staff.name])
    nt = n(4)
    data[train.name] = [
        _row(
            train,
            training_date=g.spread(i, nt),
            topic=("防范非法集资业务培训", "网格排查要点培训")[i % 2],
            audience_type=("网格员", "混合", "志愿者", "网格员")[i % 4],
            trainer=f"{basic['street']}处非专班",
            mode=("集中授课", "以会代训", "视频会议", "现场演练")[i % 4],
            expected=staff_n,
            attended=staff_n - rng.randint(0, 2),
            hours=rng.choice((1.5, 2, 3)),
            evidence=f"{short}签到表及照片（档案盒B-{i + 1:02d}）",
        )
        for i in range(nt)
    ]

    patrol = BY_ID["patrols"]
    np_ = n(weeks)
    data[patrol.name] = [
        _row(
            patrol,
            patrol_date=g.spread(i, np_),
            tier=("一级", "二级", "三级")[i % 3],
            grid_no=g.grid(i),
            leader=g.name(),
            members=rng.randint(2, 6),
            focus="、".join(
                rng.sample(("商务楼宇", "临街门店", "集市广场", "老年人活动场所", "出租房屋"), 2)
            ),
            ads_removed=rng.choice((0, 0, 1, 2, 5)),
            anomaly="否",
        )
        for i in range(np_)
    ]

    leads = BY_ID["leads"]
    nlead = n(2)
    rows = []
    for i in range(nlead):
        got = g.spread(i, nlead)
        rows.append(_row(leads, lead_id=f"XS-{got.year}-{i + 1:03d}", received=got,
                         source=("群众来电", "网格员巡查", "风险排查")[i % 3],
                         reporter_type=("匿名", "实名", "内部发现")[i % 3],
                         reporter_ref=f"BM-{got.year}-{i + 1:03d}" if i % 3 == 1 else None,
                         subject=f"{rng.choice(SHOP_WORDS)}养生馆", domain="保健品/消费返利",
                         behaviour="以商品服务养老名义吸收资金", summary="有老年人反映该店以赠送礼品吸引参加讲座并推销高价保健品",
                         reported=min(got + dt.timedelta(days=i % 2), g.as_of), referred_to="街道处非专班",
                         verification="不属实", disposal="无需处置",
                         closed=min(got + dt.timedelta(days=10), g.as_of)))  # fmt: skip
    data[leads.name] = rows

    persons = BY_ID["involved_persons"]
    rows = []
    if basic.get("has_involved") == "有":
        for p in range(max(1, round(2 * scale))):
            name = g.name()
            day = g.start + dt.timedelta(days=rng.randint(0, 10))
            while day <= g.as_of:
                rows.append(_row(persons, person_code=f"RY-{p + 1:03d}", name=name, grid_no=g.grid(p),
                                 case_name="某养老服务公司非法吸收公众存款案", category="集资参与人",
                                 follow_date=day, method=("上门走访", "电话")[len(rows) % 2],
                                 note="情绪稳定，关注退赔进度", owner=g.name()))  # fmt: skip
                day += dt.timedelta(days=rng.randint(20, 28))
    data[persons.name] = rows

    points = BY_ID["monitoring_points"]
    npt = n(2)
    point_names = [
        f"{short}{('便民服务站', '老年活动中心', '物业服务中心', '菜市场')[i % 4]}监测点"
        + (f"{i // 4 + 1}" if i >= 4 else "")
        for i in range(npt)
    ]
    data[points.name] = [
        _row(
            points,
            point_name=pn,
            location=pn.removesuffix("监测点"),
            set_up=founded + dt.timedelta(days=7),
            keeper=g.name(),
            keeper_phone=g.mobile(),
            hotline_posted="是",
            has_box="是",
        )
        for pn in point_names
    ]

    logs = BY_ID["monitoring_logs"]
    rows = []
    for pn in point_names:
        for y, m in months:
            rows.append(_row(logs, point_name=pn, month=f"{y}-{m:02d}", result="无异常"))
    data[logs.name] = rows[: max(len(point_names), round(len(rows) * scale))]

    mech = BY_ID["mechanisms"]
    kinds = ("举报投诉", "日常监管", "区域协作", "应急处置")
    titles = {"举报投诉": "举报投诉受理制度", "日常监管": "重点领域日常巡查制度",
              "区域协作": "社区与派出所、市场监管所协作机制", "应急处置": "涉非突发事件应急处置预案"}  # fmt: skip
    data[mech.name] = [
        _row(
            mech,
            category=kinds[i % 4],
            title=f"{basic['community_name']}{titles[kinds[i % 4]]}"
            + ("" if i < 4 else f"（修订{i // 4}）"),
            established=founded + dt.timedelta(days=i % 60),
            form=("正式文件", "上墙制度", "协作协议", "正式文件")[i % 4],
            partners="车站派出所、市场监管所" if kinds[i % 4] == "区域协作" else None,
            last_exercised=g.day(founded + dt.timedelta(days=60)),
        )
        for i in range(n(4))
    ]

    prog = BY_ID["progress_reports"]
    rows = []
    for i, (y, m) in enumerate(months[: n(len(months))]):
        due = dt.date(y + (m == 12), m % 12 + 1, 5)
        if due > g.as_of:
            continue
        rows.append(_row(prog, period_label=f"第{i + 1}期", due=due, submitted=due - dt.timedelta(days=rng.randint(0, 3)),
                         progress=f"{short}完成{('宣传', '排查', '巡查', '培训')[i % 4]}工作，台账已更新",
                         submitter=basic["filled_by"]))  # fmt: skip
    data[prog.name] = rows

    return CommunitySample(basic, data)


#: The typical entry errors of a real office, planted by :func:`plant_typical_errors`:
#: (sheet, data-row index, field id, bad value, expected issue code).
TYPICAL_ERRORS: tuple[tuple[str, int, str, Any, str], ...] = (
    ("志愿者", 1, "mobile", "1381234", "invalid-phone"),
    ("宣传活动", 0, "audience", "约200人", "invalid-number"),
    ("宣传活动", 2, "activity_date", "2020.13.05", "invalid-date"),
    ("巡查", 1, "tier", "第一级", "invalid-choice"),
    ("联系卡", 0, "grid_no", 9, "invalid-grid"),
    ("组织机构", 2, "phone", None, "required-missing"),
    (
        "线索",
        0,
        "summary",
        "举报人王某（电话13912345678）反映该店高息揽储",
        "personal-data-in-text",
    ),
    ("培训", 0, "attended", 999, "inconsistent"),
    ("风险排查", 0, "lead_ref", "XS-2020-099", "unknown-reference"),
    ("志愿者", 3, "recruited", "2021年3月1日", "date-in-future"),
)


def plant_typical_errors(sample: CommunitySample) -> None:
    """Put :data:`TYPICAL_ERRORS` into a sample (the 风险排查 row is also made 上报街道处非专班)."""
    for sheet, i, fid, value, _code in TYPICAL_ERRORS:
        sample.set(sheet, i, fid, value)
    sample.set("风险排查", 0, "action", "上报街道处非专班")


# ── profiles of a realistic street ──────────────────────────────────────────────────────────


def _keep(sample: CommunitySample, sheet: str, fraction: float) -> None:
    rows = sample.data[sheet]
    sample.data[sheet] = rows[: max(0, round(len(rows) * fraction))]


def degrade(sample: CommunitySample, level: str) -> None:
    """Make a clean sample fall short: ``pass`` (≈ 80–89), ``short`` (未达标), ``weak`` (far off)."""
    if level == "pass":
        _keep(sample, "志愿者", 0.5)  # D1 → 3
        _keep(sample, "监测记录", 0.5)  # B1: months missing
        _keep(sample, "巡查", 0.6)  # D4: weeks missing
        _keep(sample, "联系卡", 0.6)  # C2: coverage ≈ 57 %
        _keep(sample, "公开信", 0.5)  # C3: coverage ≈ 46 %
        _keep(sample, "责任书", 0.5)  # D2: fewer units signed
        _keep(sample, "风险排查", 0.7)  # D3: months missing
        for row in sample.data["宣传活动"]:
            row[_index("宣传活动", "typical_case")] = "否"  # C1: no 典型案例
        return
    if level in ("short", "weak"):
        sample.data["公开信"] = []
        _keep(sample, "联系卡", 0.5)
        _keep(sample, "志愿者", 0.3)
        _keep(sample, "宣传活动", 0.3)
        _keep(sample, "风险排查", 0.4)
        _keep(sample, "巡查", 0.4)
        for row in sample.data["进度报送"][::2]:
            row[2] = row[1] + dt.timedelta(days=6)  # 实报日期 after 应报日期: late
    if level == "weak":
        sample.data["监测记录"] = []
        sample.data["培训"] = []
        sample.data["防控机制"] = sample.data["防控机制"][:1]
        sample.data["责任书"] = []


def make_veto(sample: CommunitySample) -> None:
    """A verified lead that is still being dealt with: V1 一票否决."""
    sample.set("线索", 0, "verification", "查实")
    sample.set("线索", 0, "disposal", "处置中")
    sample.set("线索", 0, "closed", None)


def make_messy(sample: CommunitySample) -> None:
    """Typical errors, plus a 志愿者 sheet typed carelessly (a third of the phones too short)."""
    plant_typical_errors(sample)
    for i, row in enumerate(sample.data["志愿者"]):
        if i % 3 == 2:
            row[_index("志愿者", "mobile")] = str(row[_index("志愿者", "mobile")])[:8]
    for row in sample.data["巡查"][::4]:
        row[_index("巡查", "members")] = "3人"
