"""The few look-and-feel constants shared by the workbook writers and the Excel buttons (stdlib
only, so that a button click loads no writer library)."""

from __future__ import annotations

#: The validation marks (excel.md): light red for an E issue, yellow for a W issue.
ERROR_FILL = "#FFC7CE"
WARNING_FILL = "#FFEB9C"

#: The number format of every date the package writes.
DATE_FORMAT = "yyyy-mm-dd"
