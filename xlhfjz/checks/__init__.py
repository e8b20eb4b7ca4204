"""Validation: raw cell values → typed tables and every issue (ledgers.md).

``cells`` parses one value of a field's type, ``validate`` checks sheets, rows and references
lazily, ``privacy`` finds and masks personal data.
"""
