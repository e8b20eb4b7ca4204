"""Cell normalisers against the "Cell types" table of ledgers.md.

Every expectation below is worked out by hand from the spec, not copied from program output.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from xlhfjz.checks.cells import (
    Bad,
    parse_choice,
    parse_code,
    parse_date,
    parse_grid,
    parse_int,
    parse_mobile,
    parse_month,
    parse_multi,
    parse_number,
    parse_phone,
    parse_text,
    parse_uscc,
    parser_for,
)
from xlhfjz.model import schema
from xlhfjz.model.issues import ISSUE_TYPES, E, W
from xlhfjz.model.rules import INVALID
from xlhfjz.model.schema import Field

D = dt.date

# Fields taken from the schema (each one's type as given in ledgers.md).
NAME = schema.BY_NAME["志愿者"].field("name")  # text(20)
LEAD_REF = schema.BY_NAME["风险排查"].field("lead_ref")  # text (no limit)
ACTIVITY_DATE = schema.BY_NAME["宣传活动"].field("activity_date")  # date
AUDIENCE = schema.BY_NAME["宣传活动"].field("audience")  # int, no lower bound beyond ≥ 0
STAFF_COUNT = schema.BY_NAME["宣传活动"].field("staff_count")  # int ≥ 1
HOUSEHOLDS = schema.BY_NAME["基本信息"].field("households")  # int ≥ 1
HOURS = schema.BY_NAME["培训"].field("hours")  # number > 0
GENDER = schema.BY_NAME["志愿者"].field("gender")  # choice(男, 女)
AGE_BAND = schema.BY_NAME["志愿者"].field("age_band")  # choice(35岁以下, 36-59岁, 60岁以上)
DOMAIN = schema.BY_NAME["风险排查"].field("domain")  # choice(重点领域 values)
FORMS = schema.BY_NAME["宣传活动"].field("forms")  # multi(发放传单, 张贴海报, …)
MOBILE = schema.BY_NAME["志愿者"].field("mobile")  # mobile
PHONE = schema.BY_NAME["组织机构"].field("phone")  # phone
USCC = schema.BY_NAME["风险排查"].field("uscc")  # uscc
CODE = schema.BY_NAME["基本信息"].field("community_code")  # 12 digits
GRID = schema.BY_NAME["志愿者"].field("grid_no")  # grid
MONTH = schema.BY_NAME["监测记录"].field("month")  # month


def assert_bad(result: Any, code: str) -> None:
    assert type(result) is Bad, f"expected {code}, got {result!r}"
    assert result.code == code


def test_field_types_are_the_ones_the_spec_names() -> None:
    assert (NAME.type, NAME.max_len) == ("text", 20)
    assert ACTIVITY_DATE.type == "date"
    assert (AUDIENCE.type, AUDIENCE.min_value) == ("int", None)
    assert (STAFF_COUNT.type, STAFF_COUNT.min_value) == ("int", 1)
    assert (HOURS.type, HOURS.min_value, HOURS.min_exclusive) == ("number", 0, True)
    assert FORMS.type == "multi"
    assert (MOBILE.type, PHONE.type, USCC.type, GRID.type, MONTH.type) == (
        "mobile",
        "phone",
        "uscc",
        "grid",
        "month",
    )


# ── text(n) ─────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张三", "张三"),
        ("  张三  ", "张三"),
        ("\u3000张三\u3000", "张三"),  # full-width (ideographic) spaces trimmed too
        ("\t张三\n", "张三"),
        ("张 三", "张 三"),  # inner space kept
        (13812345678.0, "13812345678"),  # a number typed into a text cell loses its .0
        (13812345678, "13812345678"),
        (12, "12"),
        (1.5, "1.5"),
        ("甲" * 20, "甲" * 20),  # exactly n characters is fine
        ("\u3000" + "甲" * 20 + " ", "甲" * 20),  # length counted after trimming
    ],
)
def test_text_is_trimmed(raw: Any, expected: str) -> None:
    assert parse_text(raw, NAME) == expected


def test_text_without_limit_is_never_too_long() -> None:
    assert parse_text("X" * 500, LEAD_REF) == "X" * 500


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("甲" * 21, "甲" * 21),
        ("  " + "甲" * 25 + "\u3000", "甲" * 25),
    ],
)
def test_text_over_n_chars_is_too_long_but_kept(raw: str, kept: str) -> None:
    result = parse_text(raw, NAME)
    assert_bad(result, "too-long")
    assert result.value == kept
    assert ISSUE_TYPES["too-long"].severity == W


# ── date ────────────────────────────────────────────────────────────────────────────────────

# Excel serial 43997 in the 1900 system: 2020-01-01 is serial 43831; Jan 31 + Feb 29 (2020 is a
# leap year) + Mar 31 + Apr 30 + May 31 = 152 days → 2020-06-01 = 43983, so 2020-06-15 = 43997.
# (Equivalently date(1899, 12, 30) + 43997 days.) 2020-07-01 = 43983 + 30 = 44013.
# Serial 20000: 1954-01-01 = 1 + 19723 real days since 1900-01-01 + 1 (Excel's fake 1900-02-29)
# = 19725; 20000 − 19725 = 275 days into 1954 → 1954-10-03.
# Serial 80000: 2100-01-01 = 1 + 73049 + 1 = 73051; + 6939 days (19 years, 4 leap) = 2119-01-01
# at 79990; → 2119-01-11.
# 1904 system: epoch 1904-01-01 is 1462 days after 1899-12-30, so the same serial is 1462 days
# later: 2020-06-15 + 1461 (to 2024-06-15, crossing 2024-02-29) + 1 = 2024-06-16;
# and 2020-06-15 is serial 43997 − 1462 = 42535.
JUNE_15 = D(2020, 6, 15)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (D(2020, 6, 15), JUNE_15),
        (dt.datetime(2020, 6, 15), JUNE_15),
        (dt.datetime(2020, 6, 15, 14, 30), JUNE_15),
        ("2020-06-15", JUNE_15),
        ("2020/6/15", JUNE_15),
        ("2020.6.15", JUNE_15),
        ("2020年6月15日", JUNE_15),
        ("20200615", JUNE_15),
        ("２０２０-０６-１５", JUNE_15),
        (" 2020-06-15\u3000", JUNE_15),
        (43997, JUNE_15),
        (43997.0, JUNE_15),
        (43997.75, JUNE_15),  # time of day ignored
        ("43997", JUNE_15),
        (20000, D(1954, 10, 3)),  # lower end of 20000–80000
        (80000, D(2119, 1, 11)),  # upper end
        (44013, D(2020, 7, 1)),
    ],
)
def test_date_accepted_forms(raw: Any, expected: dt.date) -> None:
    assert parse_date(raw, ACTIVITY_DATE) == expected


@pytest.mark.parametrize(
    "raw",
    [
        19999,
        80001,
        19999.0,
        "19999",
        "80001",
        "2020-02-30",
        "2020-13-01",
        "2020-00-10",
        "下周一",
        "2020年6月",
        "2020-06",
        "6/15",
        "abc",
        True,
        -43997,
    ],
)
def test_date_rejected(raw: Any) -> None:
    result = parse_date(raw, ACTIVITY_DATE)
    assert_bad(result, "invalid-date")
    assert result.value is INVALID


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (43997, D(2024, 6, 16)),
        (42535, JUNE_15),
        ("42535", JUNE_15),
        (D(2020, 6, 15), JUNE_15),  # a real date is not shifted
        ("2020-06-15", JUNE_15),  # nor is text
    ],
)
def test_date1904_shifts_serials_by_1462_days(raw: Any, expected: dt.date) -> None:
    assert parse_date(raw, ACTIVITY_DATE, date1904=True) == expected


def test_date_message_names_the_value() -> None:
    result = parse_date("下周一", ACTIVITY_DATE)
    assert_bad(result, "invalid-date")
    assert "下周一" in result.message


# ── int ─────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (12, 12),
        (12.0, 12),
        ("12", 12),
        ("１２", 12),
        ("12.0", 12),
        ("1,200", 1200),
        (" 12 ", 12),
        (0, 0),
        ("0", 0),
    ],
)
def test_int_accepted(raw: Any, expected: int) -> None:
    result = parse_int(raw, AUDIENCE)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    "raw",
    [
        "12人",
        "约20",
        "1.5",
        1.5,
        "-3",
        -1.5,
        True,
        False,
        "abc",
        "1,20",
        "十二",
        float("nan"),
    ],
)
def test_int_rejected_never_zero(raw: Any) -> None:
    result = parse_int(raw, AUDIENCE)
    assert_bad(result, "invalid-number")
    assert result.value is INVALID  # never coerced to 0


def test_int_negative_number_rejected() -> None:
    assert_bad(parse_int(-3, AUDIENCE), "invalid-number")


def test_int_negative_float_rejected() -> None:
    assert_bad(parse_int(-3.0, AUDIENCE), "invalid-number")


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        (STAFF_COUNT, 1, 1),
        (STAFF_COUNT, "1", 1),
        (STAFF_COUNT, 0, "invalid-number"),
        (STAFF_COUNT, "0", "invalid-number"),
        (STAFF_COUNT, -3, "invalid-number"),
        (HOUSEHOLDS, 1, 1),
        (HOUSEHOLDS, 0, "invalid-number"),
    ],
)
def test_int_min_value(field: Field, raw: Any, expected: Any) -> None:
    result = parse_int(raw, field)
    if isinstance(expected, str):
        assert_bad(result, expected)
        assert result.value is INVALID
    else:
        assert result == expected


# ── number ──────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1.5, 1.5),
        ("1.5", 1.5),
        ("１.５", 1.5),
        (2, 2.0),
        ("8", 8.0),
        (0.5, 0.5),
    ],
)
def test_number_accepted(raw: Any, expected: float) -> None:
    assert parse_number(raw, HOURS) == expected


@pytest.mark.parametrize(
    "raw",
    [0, 0.0, "0", "abc", "1.5小时", "-1", -1.5, True],
)
def test_number_rejected_for_hours(raw: Any) -> None:
    result = parse_number(raw, HOURS)
    assert_bad(result, "invalid-number")
    assert result.value is INVALID


def test_number_is_never_negative_even_without_min_value() -> None:
    plain = Field("x", "数量", "number")
    assert_bad(parse_number(-1.5, plain), "invalid-number")


# ── choice ──────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        (GENDER, "男", "男"),
        (GENDER, " 女 ", "女"),
        (GENDER, "\u3000男\u3000", "男"),
        (DOMAIN, "P2P网络借贷", "P2P网络借贷"),
        (DOMAIN, "P２P网络借贷", "P2P网络借贷"),
        (DOMAIN, "Ｐ２Ｐ网络借贷", "P2P网络借贷"),
        (DOMAIN, "投资理财／投资咨询", "投资理财/投资咨询"),
        (AGE_BAND, "36－59岁", "36-59岁"),
        (AGE_BAND, "36-59岁", "36-59岁"),
    ],
)
def test_choice_accepted(field: Field, raw: str, expected: str) -> None:
    assert parse_choice(raw, field) == expected


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        (GENDER, "男性"),
        (GENDER, "M"),
        (DOMAIN, "P2P"),
        (DOMAIN, "p2p网络借贷"),  # case is not folded
        (AGE_BAND, "36-59"),
    ],
)
def test_choice_rejected(field: Field, raw: str) -> None:
    result = parse_choice(raw, field)
    assert_bad(result, "invalid-choice")
    assert result.value is INVALID


# ── multi ───────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("发放传单", ["发放传单"]),
        ("发放传单；张贴海报", ["发放传单", "张贴海报"]),
        ("发放传单;张贴海报", ["发放传单", "张贴海报"]),
        ("发放传单、张贴海报", ["发放传单", "张贴海报"]),
        ("发放传单,张贴海报", ["发放传单", "张贴海报"]),
        ("发放传单，张贴海报", ["发放传单", "张贴海报"]),
        (
            "发放传单、张贴海报；悬挂横幅,线上推送，其他",
            ["发放传单", "张贴海报", "悬挂横幅", "线上推送", "其他"],
        ),
        ("发放传单、发放传单", ["发放传单"]),
        ("发放传单、张贴海报、发放传单", ["发放传单", "张贴海报"]),
        ("发放传单、、张贴海报、", ["发放传单", "张贴海报"]),
        ("；发放传单", ["发放传单"]),
        (" 发放传单 、\u3000张贴海报 ", ["发放传单", "张贴海报"]),
        ("广播／ＬＥＤ", ["广播/LED"]),
    ],
)
def test_multi_accepted(raw: str, expected: list[str]) -> None:
    assert list(parse_multi(raw, FORMS)) == expected


@pytest.mark.parametrize(
    ("raw", "bad_part"),
    [
        ("发放传单、放鞭炮", "放鞭炮"),
        ("放鞭炮", "放鞭炮"),
        ("发放传单 张贴海报", "发放传单 张贴海报"),  # a space is not a separator
        ("张贴海报；横幅", "横幅"),
    ],
)
def test_multi_bad_part_is_named(raw: str, bad_part: str) -> None:
    result = parse_multi(raw, FORMS)
    assert_bad(result, "invalid-choice")
    assert f"“{bad_part}”" in result.message
    assert result.value is INVALID


def test_multi_needs_at_least_one_value() -> None:
    assert type(parse_multi("、", FORMS)) is Bad


# ── mobile ──────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        13812345678,
        13812345678.0,
        "138 1234 5678",
        "138-1234-5678",
        "１３８１２３４５６７８",
        " 13812345678\u3000",
        "138\u30001234\u30005678",
    ],
)
def test_mobile_accepted(raw: Any) -> None:
    assert parse_mobile(raw, MOBILE) == "13812345678"


@pytest.mark.parametrize(
    "raw",
    [
        "19912345678",
        "15000000000",
    ],
)
def test_mobile_second_digit_3_to_9(raw: str) -> None:
    assert parse_mobile(raw, MOBILE) == raw


@pytest.mark.parametrize(
    "raw",
    [
        "1381234",
        "12812345678",
        "23812345678",
        "11812345678",
        "138123456789",
        "1381234567",
        "1381234567a",
        "0533-1234567",
        1381234,
        True,
    ],
)
def test_mobile_rejected(raw: Any) -> None:
    result = parse_mobile(raw, MOBILE)
    assert_bad(result, "invalid-phone")
    assert result.value is INVALID


def test_mobile_message_says_11_digits_and_names_value() -> None:
    result = parse_mobile("1381234", MOBILE)
    assert_bad(result, "invalid-phone")
    assert "手机号码应为11位数字" in result.message
    assert "1381234" in result.message


# ── phone ───────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        (13812345678, "13812345678"),
        (13812345678.0, "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("0533-1234567", "0533-1234567"),
        ("05331234567", "05331234567"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "01012345678"),
        ("0533-12345678", "0533-12345678"),
        ("0533-1234567-123", "0533-1234567-123"),
        (" 0533-1234567 ", "0533-1234567"),
    ],
)
def test_phone_accepted(raw: Any, expected: str) -> None:
    assert parse_phone(raw, PHONE) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "5331234567",  # leading zero lost
        5331234567,  # … as Excel does with a number
        "1234567",
        "0533-123456",  # 6-digit subscriber number
        "0533-123456789",  # 9-digit subscriber number
        "05-1234567",  # 1-digit area code
        "1381234",
        "12812345678",
        "电话",
        True,
    ],
)
def test_phone_rejected(raw: Any) -> None:
    result = parse_phone(raw, PHONE)
    assert_bad(result, "invalid-phone")
    assert result.value is INVALID


# ── uscc ────────────────────────────────────────────────────────────────────────────────────

# GB 32100: values 0-9 → 0..9, A=10 B=11 C=12 D=13 E=14 F=15 G=16 H=17 J=18 K=19 L=20 M=21 N=22
# P=23 Q=24 R=25 T=26 U=27 W=28 X=29 Y=30; weights 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28;
# check = 31 − (Σ mod 31), with 31 → 0.
#
# 91350100M000100Y4|3: 9·1 + 1·3 + 3·9 + 5·27 + 0 + 1·26 + 0 + 0 + M21·20 + 0 + 0 + 0 + 1·8 + 0
#   + 0 + Y30·30 + 4·28 = 9+3+27+135+26+420+8+900+112 = 1640; 1640 = 31·52 + 28 → 31−28 = 3 ✓.
# 91370303MA3C0000|0|4: 9+3+27+7·27=189 + 3·26=78 + 3·17=51 + M21·20=420 + A10·29=290 + 3·25=75
#   + C12·13=156 = 1298; 1298 = 31·41 + 27 → 31−27 = 4.
# 91370303MA3C0000|2|A: 1298 + 2·28 = 1354 = 31·43 + 21 → 31−21 = 10 = A.
# 9137030000000000|9|0: 9+3+27+189+78 + 9·28=252 = 558 = 31·18 + 0 → 31 → 0.
VALID_USCC = [
    "91350100M000100Y43",
    "91370303MA3C000004",
    "91370303MA3C00002A",
    "913703000000000090",
]


@pytest.mark.parametrize("code", VALID_USCC)
def test_uscc_valid(code: str) -> None:
    assert parse_uscc(code, USCC) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        ("91370303ma3c00002a", "91370303MA3C00002A"),
        (" 91350100M000100Y43\u3000", "91350100M000100Y43"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),
    ],
)
def test_uscc_normalised(raw: str, expected: str) -> None:
    assert parse_uscc(raw, USCC) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y40",
        "91370303MA3C000005",
        "91370303MA3C00002B",
        "91350100M000100Y4",  # 17 chars
        "91350100M000100Y430",  # 19 chars
        "91350100I000100Y43",  # I not allowed
        "91350100O000100Y43",  # O
        "91350100Z000100Y43",  # Z
        "91350100S000100Y43",  # S
        "91350100V000100Y43",  # V
        "91350100M000100Y4I",
        "9135010-M000100Y43",
    ],
)
def test_uscc_rejected(raw: str) -> None:
    result = parse_uscc(raw, USCC)
    assert_bad(result, "invalid-uscc")
    assert result.value is INVALID


# ── code (社区代码) ─────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "raw",
    [
        "370303009001",
        370303009001,
        370303009001.0,
        " 370303009001 ",
        "３７０３０３００９００１",
    ],
)
def test_code_accepted(raw: Any) -> None:
    assert parse_code(raw, CODE) == "370303009001"


@pytest.mark.parametrize(
    "raw",
    [
        "37030300900",  # 11 digits
        37030300900,
        "3703030090011",  # 13 digits
        "37030300900A",
        "ABCDEFGHIJKL",
        "华侨城社区",
    ],
)
def test_code_rejected(raw: Any) -> None:
    result = parse_code(raw, CODE)
    assert_bad(result, "invalid-code")
    assert result.value is INVALID
    assert ISSUE_TYPES["invalid-code"].severity == E


# ── grid ────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3", 3),
        (3, 3),
        (3.0, 3),
        ("３", 3),
        (1, 1),
        (5, 5),
    ],
)
def test_grid_in_range(raw: Any, expected: int) -> None:
    assert parse_grid(raw, GRID, 5) == expected


@pytest.mark.parametrize(
    "raw",
    [6, "6", 0, "0", -1, "第3网格", "3号", 2.5, "2.5", True],
)
def test_grid_rejected(raw: Any) -> None:
    result = parse_grid(raw, GRID, 5)
    assert_bad(result, "invalid-grid")
    assert result.value is INVALID


def test_grid_without_grid_count_only_checks_the_number() -> None:
    assert parse_grid(6, GRID, None) == 6
    assert_bad(parse_grid(0, GRID, None), "invalid-grid")


# ── month ───────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020-07", (2020, 7)),
        ("202007", (2020, 7)),
        ("2020年7月", (2020, 7)),
        ("２０２０-０７", (2020, 7)),
        (D(2020, 7, 15), (2020, 7)),
        (dt.datetime(2020, 7, 15, 9, 0), (2020, 7)),
        (44013, (2020, 7)),  # an Excel date 2020-07-01
        ("2020-12", (2020, 12)),
    ],
)
def test_month_accepted(raw: Any, expected: tuple[int, int]) -> None:
    assert parse_month(raw, MONTH) == expected


@pytest.mark.parametrize(
    "raw",
    ["2020-13", "202013", "2020-00", "七月", "2020年13月", "abc", True],
)
def test_month_rejected(raw: Any) -> None:
    result = parse_month(raw, MONTH)
    assert_bad(result, "invalid-date")
    assert result.value is INVALID


def test_month_numeric_yyyymm_accepted() -> None:
    assert parse_month(202007, MONTH) == (2020, 7)


# ── every choice of the contract is reachable ───────────────────────────────────────────────


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


CHOICE_CASES = [
    pytest.param(f, c, id=f"{s.id}.{f.id}={c}")
    for s in schema.SHEETS
    for f in s.fields
    if f.type in ("choice", "multi")
    for c in f.choices
]


@pytest.mark.parametrize(("field", "choice"), CHOICE_CASES)
def test_every_listed_choice_parses_to_itself(field: Field, choice: str) -> None:
    parse = parse_choice if field.type == "choice" else parse_multi
    expected = choice if field.type == "choice" else (choice,)
    assert parse(choice, field) == expected
    assert parse(" " + _full_width(choice) + "\u3000", field) == expected


# ── parser_for ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "order",
    [
        (True, 1, 1.0),
        (1, True, 1.0),
        (1.0, 1, True),
        (1, 1.0, True, 1, True),
    ],
)
def test_parser_for_int_does_not_confuse_1_true_and_1_0(order: tuple[Any, ...]) -> None:
    parse = parser_for(AUDIENCE)
    for raw in order:
        result = parse(raw)
        if raw is True:
            assert_bad(result, "invalid-number")
        else:
            assert result == 1
            assert type(result) is int


def test_parser_for_int_does_not_confuse_0_and_false() -> None:
    parse = parser_for(AUDIENCE)
    assert parse(0) == 0
    assert_bad(parse(False), "invalid-number")
    assert parse(0.0) == 0


def test_parser_for_grid_does_not_confuse_1_and_true() -> None:
    parse = parser_for(GRID, grid_count=5)
    assert parse(True) != 1
    assert_bad(parse(True), "invalid-grid")
    assert parse(1) == 1
    assert parse(1.0) == 1
    assert_bad(parse(6), "invalid-grid")


def test_parser_for_date_passes_date1904() -> None:
    assert parser_for(ACTIVITY_DATE)(43997) == JUNE_15
    assert parser_for(ACTIVITY_DATE, date1904=True)(43997) == D(2024, 6, 16)
    assert parser_for(ACTIVITY_DATE, date1904=True)(42535) == JUNE_15


def test_parser_for_repeats_give_the_same_answer() -> None:
    parse = parser_for(MOBILE)
    for _ in range(3):
        assert parse("138-1234-5678") == "13812345678"
        assert parse(13812345678) == "13812345678"
        assert_bad(parse("1381234"), "invalid-phone")


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        (NAME, "\u3000张三 ", "张三"),
        (HOURS, "1.5", 1.5),
        (GENDER, " 女 ", "女"),
        (PHONE, "0533-1234567", "0533-1234567"),
        (USCC, "91350100m000100y43", "91350100M000100Y43"),
        (CODE, 370303009001.0, "370303009001"),
        (MONTH, "2020年7月", (2020, 7)),
    ],
)
def test_parser_for_dispatches_by_type(field: Field, raw: Any, expected: Any) -> None:
    assert parser_for(field, grid_count=5)(raw) == expected


def test_parser_for_multi_dispatch() -> None:
    assert list(parser_for(FORMS)("发放传单、张贴海报")) == ["发放传单", "张贴海报"]
