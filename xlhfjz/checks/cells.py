"""Cell normalisers: one raw cell value → a typed value, or a :class:`Bad` saying what to type.

One function per cell type of ledgers.md. They accept what Excel users actually produce: numbers
stored as text and text stored as numbers (``13812345678.0`` → ``"13812345678"``), full-width digits
and spaces, every date form of the spec and Excel serials. They never coerce bad text to 0: a value
that is not clearly of its type is :class:`Bad`, and the user's text is kept.

:func:`parser_for` builds the parser of one column, memoised per distinct raw value (ledger columns
repeat their values a lot, so most cells cost one dict look-up).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from xlhfjz.model.issues import display
from xlhfjz.model.rules import INVALID
from xlhfjz.model.schema import Field
from xlhfjz.model.values import EXCEL_EPOCH, EXCEL_EPOCH_1904


class Bad(NamedTuple):
    """A cell that failed its type check: the issue code, a Chinese message, and the typed value
    the row keeps (:data:`~xlhfjz.model.rules.INVALID`, or the text itself for a mere ``too-long``)."""

    code: str
    message: str
    value: Any = INVALID


Parser = Callable[[Any], Any]

# Full-width ASCII (！…～) and the ideographic space → half-width.
_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_WS = " \t\r\n\u3000\u00a0"
_MULTI_SPLIT = re.compile(r"[；;、,，\n]")

SERIAL_MIN, SERIAL_MAX = 20000, 80000


def half_width(text: str) -> str:
    """Full-width ASCII characters and spaces to half-width (``１３８`` → ``138``)."""
    return text.translate(_HALF)


def _quote(value: Any) -> str:
    return f"“{display(value)}”"


def _as_text(value: Any) -> str:
    """Any cell as trimmed text; integral floats lose their ``.0``."""
    if isinstance(value, str):
        return value.strip(_WS)
    return display(value) or ""


# ── text ────────────────────────────────────────────────────────────────────────────────────


def parse_text(value: Any, f: Field) -> Any:
    text = _as_text(value)
    if f.max_len is not None and len(text) > f.max_len:
        return Bad(
            "too-long", f"内容过长（{len(text)}字），{f.label}最多{f.max_len}字，请精简", text
        )
    return text


# ── numbers ─────────────────────────────────────────────────────────────────────────────────

_INT_TEXT = re.compile(r"^\d{1,3}(,\d{3})+$|^\d+(\.0*)?$")
_NUM_TEXT = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+(\.\d+)?$|^\.\d+$")


def _number(value: Any) -> float | None:
    """A non-negative number from a cell, or None when it is not clearly one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        text = half_width(value).strip(_WS)
        if _NUM_TEXT.match(text):
            return float(text.replace(",", ""))
    return None


def _bound_bad(f: Field, number: float, kind: str) -> Bad | None:
    if f.min_value is None:
        return None
    low = f.min_value
    if number < low or (f.min_exclusive and number == low):
        word = "大于" if f.min_exclusive else "不小于"
        return Bad("invalid-number", f"{f.label}应{word}{low:g}，现为 {number:g}，请填写{kind}")
    return None


def parse_int(value: Any, f: Field) -> Any:
    number = _number(value)
    if number is not None and number < 0:
        return Bad("invalid-number", f"应填写不小于0的整数，不能为负数，现为{_quote(value)}")
    if number is None or not number.is_integer():
        return Bad(
            "invalid-number",
            f"应填写整数（如 12），不要带单位、文字或小数，现为{_quote(value)}",
        )
    return _bound_bad(f, number, "整数") or int(number)


def parse_number(value: Any, f: Field) -> Any:
    number = _number(value)
    if number is None or number < 0:
        return Bad(
            "invalid-number",
            f"应填写不小于0的数字（如 1.5），不要带单位或文字，现为{_quote(value)}",
        )
    return _bound_bad(f, number, "数字") or number


# ── dates ───────────────────────────────────────────────────────────────────────────────────

_DATE_TEXT = re.compile(
    r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_MONTH_TEXT = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$")


def _serial_date(number: float, date1904: bool) -> dt.date | None:
    if SERIAL_MIN <= number <= SERIAL_MAX:
        epoch = EXCEL_EPOCH_1904 if date1904 else EXCEL_EPOCH
        return epoch + dt.timedelta(days=int(number))
    return None


def to_date(value: Any, date1904: bool = False) -> dt.date | None:
    """A date from any accepted form, or None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if 19000101 <= value <= 20991231 and float(value).is_integer():
            return to_date(str(int(value)))  # 20200615 typed into a number cell
        return _serial_date(value, date1904)
    if isinstance(value, str):
        text = half_width(value).strip(_WS)
        m = _DATE_TEXT.match(text)
        if m:
            y, mo, d = m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5)
            try:
                return dt.date(int(y), int(mo), int(d))
            except ValueError:
                return None
        if text.isdigit() and len(text) == 5:
            return _serial_date(int(text), date1904)
    return None


def parse_date(value: Any, f: Field, date1904: bool = False) -> Any:
    date = to_date(value, date1904)
    if date is None:
        return Bad("invalid-date", f"日期无法识别，请填写如 2020-06-15 的日期，现为{_quote(value)}")
    return date


def parse_month(value: Any, f: Field, date1904: bool = False) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool) and 190001 <= value <= 209912:
        value = display(value)  # 202007 typed into a number cell
    if isinstance(value, str):
        text = half_width(value).strip(_WS)
        m = _MONTH_TEXT.match(text)
        if m:
            month = int(m.group(2) or m.group(3))
            if 1 <= month <= 12:
                return (int(m.group(1)), month)
    date = to_date(value, date1904)
    if date is None:
        return Bad("invalid-date", f"月份无法识别，请填写如 2020-07 的月份，现为{_quote(value)}")
    return (date.year, date.month)


# ── choices ─────────────────────────────────────────────────────────────────────────────────


def _choice_key(text: str) -> str:
    return half_width(text).strip(_WS)


def _list_choices(f: Field) -> str:
    return "、".join(f.choices)


def parse_percent(value: Any, f: Field) -> Any:
    """A ratio: 0.5, 50% (Excel's percent cell is 0.5), the text "50%", or 50 meaning 50%."""
    text = half_width(value).strip(_WS) if isinstance(value, str) else None
    number = _number(text[:-1]) if text and text.endswith("%") else _number(value)
    if (text and text.endswith("%") and number is not None) or (number is not None and number > 1):
        number /= 100
    if number is None or number > 1:
        return Bad("invalid-number", f"应填写百分比，如 50% 或 0.5，现为{_quote(value)}")
    return number


def parse_choice(value: Any, f: Field) -> Any:
    text = _choice_key(_as_text(value))
    if text in f.choices:
        return text
    return Bad("invalid-choice", f"请从下拉列表中选择：{_list_choices(f)}；现为{_quote(value)}")


def parse_multi(value: Any, f: Field) -> Any:
    parts = [_choice_key(p) for p in _MULTI_SPLIT.split(half_width(_as_text(value)))]
    chosen: list[str] = []
    for part in parts:
        if not part or part in chosen:
            continue
        if part not in f.choices:
            return Bad(
                "invalid-choice",
                f"“{part}”不是可选值。可选：{_list_choices(f)}（多个用顿号“、”分隔）",
            )
        chosen.append(part)
    if not chosen:
        return Bad(
            "invalid-choice", f"请至少填写一个可选值：{_list_choices(f)}；现为{_quote(value)}"
        )
    return tuple(chosen)


# ── phones, codes ───────────────────────────────────────────────────────────────────────────

#: A mobile number (ledgers.md ``mobile``), once spaces and ``-`` are removed.
MOBILE = re.compile(r"^1[3-9]\d{9}$")
#: A landline: (area code)-?(number)(-extension)? (ledgers.md ``phone``).
LANDLINE = re.compile(r"^(0\d{2,3})-?(\d{7,8})(-\d{1,6})?$")


def _digits_text(value: Any) -> str:
    return half_width(_as_text(value)).replace(" ", "")


def parse_mobile(value: Any, f: Field) -> Any:
    text = _digits_text(value).replace("-", "")
    if MOBILE.match(text):
        return text
    return Bad("invalid-phone", f"手机号码应为11位数字、以1开头，现为{_quote(value)}")


def parse_phone(value: Any, f: Field) -> Any:
    text = _digits_text(value)
    mobile = text.replace("-", "")
    if MOBILE.match(mobile):
        return mobile
    if LANDLINE.match(text):
        return text
    hint = "，固话请连同区号（以0开头）填写并将单元格设为文本" if mobile.isdigit() else ""
    return Bad(
        "invalid-phone",
        f"电话应为11位手机号或带区号的固定电话（如 0533-1234567）{hint}，现为{_quote(value)}",
    )


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_CHARS)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def parse_uscc(value: Any, f: Field) -> Any:
    text = _digits_text(value).upper()
    if len(text) != 18 or any(c not in _USCC_VALUE for c in text):
        return Bad(
            "invalid-uscc",
            f"统一社会信用代码应为18位数字或大写字母（不含 I、O、Z、S、V），现为{_quote(value)}"
            f"（{len(text)}位）",
        )
    if uscc_check_char(text[:17]) != text[17]:
        return Bad(
            "invalid-uscc", f"统一社会信用代码校验位不对，请对照营业执照核对，现为{_quote(value)}"
        )
    return text


def parse_code(value: Any, f: Field) -> Any:
    text = _digits_text(value)
    if len(text) == 12 and text.isdigit():
        return text
    return Bad(
        "invalid-code",
        f"{f.label}应为12位数字（统计用区划代码），请将单元格设为文本后填写，现为{_quote(value)}",
    )


def parse_grid(value: Any, f: Field, grid_count: int | None = None) -> Any:
    number = _number(value)
    if number is None or not number.is_integer() or number < 1:
        return Bad("invalid-grid", f"网格编号应填写数字（如 3），现为{_quote(value)}")
    if grid_count is not None and number > grid_count:
        return Bad(
            "invalid-grid",
            f"网格编号应在 1 到 {grid_count} 之间（基本信息中网格数为 {grid_count}），现为{_quote(value)}",
        )
    return int(number)


# ── per-column parser ───────────────────────────────────────────────────────────────────────

_PARSERS: dict[str, Callable[..., Any]] = {
    "text": parse_text,
    "int": parse_int,
    "number": parse_number,
    "percent": parse_percent,
    "choice": parse_choice,
    "multi": parse_multi,
    "mobile": parse_mobile,
    "phone": parse_phone,
    "uscc": parse_uscc,
    "code": parse_code,
}


def plain_parser(f: Field, *, grid_count: int | None = None, date1904: bool = False) -> Parser:
    """The parser of one column (not memoised); call it only on non-blank cells."""
    if f.type == "date":
        return lambda value: parse_date(value, f, date1904)
    if f.type == "month":
        return lambda value: parse_month(value, f, date1904)
    if f.type == "grid":
        return lambda value: parse_grid(value, f, grid_count)
    fn = _PARSERS[f.type]
    return lambda value: fn(value, f)


def parser_for(f: Field, *, grid_count: int | None = None, date1904: bool = False) -> Parser:
    """The memoised parser of one column; call it only on non-blank cells.

    Memoised per (type, value): ``1``, ``1.0`` and ``True`` are different keys.
    """
    parse = plain_parser(f, grid_count=grid_count, date1904=date1904)
    cache: dict[tuple[type, Any], Any] = {}

    def cached(value: Any) -> Any:
        key = (type(value), value)
        try:
            return cache[key]
        except KeyError:
            result = cache[key] = parse(value)
            return result
        except TypeError:  # unhashable: never from a reader, but be safe
            return parse(value)

    return cached
