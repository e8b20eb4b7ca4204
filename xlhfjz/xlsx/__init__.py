"""File adapters for .xlsx/.xlsm: reading with python-calamine behind limits checked before any
parsing (``reader``, ``sniff``, ``guard``, ``scan``), and writing with XlsxWriter (the community
template, the office workbook, the summary, the VBA project of the macro workbooks)."""
