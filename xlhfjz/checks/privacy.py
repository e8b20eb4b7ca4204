"""Masking of *personal* columns for the office summary (office.md "Privacy").

Names → first character + 某某 (张某某); mobiles → 138****1234; landlines → 0533-****567.
Anything else in a personal column is replaced entirely: the summary never shows it unmasked.
"""

from __future__ import annotations

from typing import Any

from xlhfjz.checks.cells import LANDLINE, MOBILE, half_width


def mask_name(value: Any) -> str:
    """张三丰 → 张某某."""
    text = str(value).strip() if value is not None else ""
    return f"{text[0]}某某" if text else ""


def mask_phone(value: Any) -> str:
    """13812345678 → 138****1234; 0533-1234567 → 0533-****567; anything else → ****."""
    if value is None or value == "":
        return ""
    if value.__class__ is str and len(value) == 11 and value.isascii() and MOBILE.match(value):
        return f"{value[:3]}****{value[-4:]}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = half_width(str(value)).replace(" ", "")
    digits = text.replace("-", "")
    if MOBILE.match(digits):
        return f"{digits[:3]}****{digits[-4:]}"
    m = LANDLINE.match(text)
    if m:
        return f"{m.group(1)}-****{m.group(2)[-3:]}"
    return "****"


def mask(field_type: str, value: Any) -> Any:
    """The masked form of a personal cell of the given schema type."""
    if value is None or value == "":
        return None
    if field_type in ("mobile", "phone"):
        return mask_phone(value)
    return mask_name(value)
