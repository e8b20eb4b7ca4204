Attribute VB_Name = "xlhfjz"
' Buttons of the xlhfjz workbooks.
' Each macro hands the click to Python through xlwings: the standalone xlwings
' module embedded in this workbook runs the command, and the Python side reads
' the workbook with xw.Book.caller() and writes the results back.
' Generated into the workbooks by xlhfjz; edit this file, not the workbook.
Option Explicit

' Button "Validate ledgers" (community workbook): marks errors and warnings,
' lists them on the results sheet.
Sub ValidateLedger()
    RunPython "import xlhfjz.excel as x; x.validate_button()"
End Sub

' Button "Compute score" (community workbook): writes the score sheet.
Sub ComputeScore()
    RunPython "import xlhfjz.excel as x; x.score_button()"
End Sub

' Button "Clear marks" (community workbook): removes the marks of the last
' validation, leaving the user's own colours alone.
Sub ClearMarks()
    RunPython "import xlhfjz.excel as x; x.clear_button()"
End Sub

' Button "Merge summary" (office workbook): merges the community workbooks of
' the folder named in the settings into the summary sheets.
Sub MergeSummary()
    RunPython "import xlhfjz.excel as x; x.merge_button()"
End Sub
