"""The street office's side, without files: its workbook's data (``inputs``), who is who in a
merge (``resolve``) and the tables of the summary (``summary``)."""
