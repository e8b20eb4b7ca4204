"""The model: what a community workbook is, as data (standard library only).

``schema`` (every sheet, field, label, choice and rule), ``rules`` (the vocabulary the schema's
row and sheet rules are written in), ``issues`` (the one ``Issue`` record and its codes),
``rawbook`` (cell values as a reader found them: the boundary with the file adapters).
"""
