Attribute VB_Name = "xlhfjz"
' Buttons of the xlhfjz community workbook, remote flavour: no Python on this PC.
' Each macro checks that the street's server answers (GET /healthz), then hands the
' click to it through xlwings' VBA client (RunRemotePython, module Remote): the server
' runs the same button functions as the local buttons and sends back what to write.
' The server's address is XLHFJZ_SERVER and the token AUTH ("Bearer ...") on the hidden
' sheet xlwings.conf. Messages are Chinese, written as \uXXXX escapes (this file is
' ASCII) and decoded by Zh. Built into the workbooks by xlhfjz new --server.
Option Explicit

Private Const TITLE_SERVER As String = "\u8857\u9053\u670D\u52A1\u5668"
Private Const TITLE_SUBMIT As String = "\u62A5\u9001\u8857\u9053"
Private Const ASK_SUBMIT As String = "\u628A\u672C\u5DE5\u4F5C\u7C3F\u7684\u53F0\u8D26\u62A5\u9001\u5230\u8857\u9053\u5417\uFF1F\u8857\u9053\u4EE5\u6700\u540E\u4E00\u6B21\u62A5\u9001\u4E3A\u51C6\uFF0C\u53EF\u4EE5\u591A\u6B21\u62A5\u9001\u3002"
Private Const MSG_NO_SERVER As String = "\u672C\u5DE5\u4F5C\u7C3F\u6CA1\u6709\u8BBE\u7F6E\u8857\u9053\u670D\u52A1\u5668\u5730\u5740\uFF0C\u6309\u94AE\u65E0\u6CD5\u4F7F\u7528\u3002\u8BF7\u5411\u8857\u9053\u5904\u975E\u529E\u7D22\u53D6\u65B0\u7684\u53F0\u8D26\u5DE5\u4F5C\u7C3F\u3002"
Private Const MSG_UNREACHABLE_1 As String = "\u65E0\u6CD5\u8FDE\u63A5\u8857\u9053\u670D\u52A1\u5668\uFF1A"
Private Const MSG_UNREACHABLE_2 As String = "\u8BF7\u68C0\u67E5\uFF1A1. \u672C\u673A\u80FD\u5426\u4E0A\u5355\u4F4D\u5185\u7F51\uFF1B2. \u8857\u9053\u670D\u52A1\u5668\u662F\u5426\u5DF2\u5F00\u673A\u5E76\u5728\u8FD0\u884C\u3002\u60A8\u586B\u5199\u7684\u5185\u5BB9\u4E0D\u53D7\u5F71\u54CD\uFF0C\u53EF\u4EE5\u5148\u4FDD\u5B58\u5DE5\u4F5C\u7C3F\uFF0C\u7A0D\u540E\u518D\u70B9\u6309\u94AE\uFF1B\u4ECD\u65E0\u6CD5\u8FDE\u63A5\u8BF7\u8054\u7CFB\u8857\u9053\u5904\u975E\u529E\u3002"
Private Const MSG_TOO_MANY_ROWS As String = "\u6709\u5DE5\u4F5C\u8868\u7684\u884C\u6570\u8D85\u8FC7\u4E86\u6309\u94AE\u4E00\u6B21\u80FD\u53D1\u9001\u7684\u4E0A\u9650\uFF0832767 \u884C\uFF09\u3002\u8BF7\u5220\u9664\u591A\u4F59\u7684\u7A7A\u884C\u540E\u518D\u8BD5\uFF0C\u6216\u628A\u6587\u4EF6\u4EA4\u8857\u9053\u5904\u975E\u529E\u5728\u7F51\u9875\u4E0A\u4F20\u3002"
Private Const MSG_FAILED As String = "\u8C03\u7528\u8857\u9053\u670D\u52A1\u5668\u65F6\u51FA\u9519\uFF1A"
Private Const MSG_FAILED_2 As String = "\u8BF7\u7A0D\u540E\u518D\u8BD5\uFF1B\u4ECD\u51FA\u9519\u8BF7\u8054\u7CFB\u8857\u9053\u5904\u975E\u529E\u3002"

' Button "Validate ledgers": marks errors and warnings, lists them on the results sheet.
Sub ValidateLedger()
    CallServer "validate"
End Sub

' Button "Compute score": writes the score sheet.
Sub ComputeScore()
    CallServer "score"
End Sub

' Button "Clear marks": removes the marks of the last validation.
Sub ClearMarks()
    CallServer "clear"
End Sub

' Button "Submit to the street": the server stores the ledger and answers with the result.
Sub SubmitLedger()
    If MsgBox(Zh(ASK_SUBMIT), vbQuestion + vbYesNo, Zh(TITLE_SUBMIT)) <> vbYes Then Exit Sub
    CallServer "submit"
End Sub

Private Sub CallServer(endpoint As String)
    Dim url As String
    url = Trim$(CStr(GetConfig("XLHFJZ_SERVER", "")))
    If url = "" Then
        MsgBox Zh(MSG_NO_SERVER), vbCritical, Zh(TITLE_SERVER)
        Exit Sub
    End If
    If Right$(url, 1) = "/" Then url = Left$(url, Len(url) - 1)
    If Not ServerAnswers(url) Then
        MsgBox Zh(MSG_UNREACHABLE_1) & url & vbLf & Zh(MSG_UNREACHABLE_2), vbExclamation, Zh(TITLE_SERVER)
        Exit Sub
    End If
    On Error GoTo Failed
    RunRemotePython url & "/xlwings/" & endpoint
    Exit Sub
Failed:
    If Err.Number = 6 Then
        ' Overflow: the client counts rows in an Integer (at most 32767)
        MsgBox Zh(MSG_TOO_MANY_ROWS), vbCritical, Zh(TITLE_SERVER)
    Else
        MsgBox Zh(MSG_FAILED) & Err.Description & vbLf & Zh(MSG_FAILED_2), vbCritical, Zh(TITLE_SERVER)
    End If
End Sub

' True if GET url/healthz answers 200 within 5 seconds. WebClient turns "cannot connect"
' and "name not resolved" into a 408 response; other failures raise an error.
Private Function ServerAnswers(url As String) As Boolean
    On Error GoTo Failed
    Dim client As New WebClient
    client.BaseUrl = url
    client.TimeoutMs = 5000
    If LCase$(CStr(GetConfig("INSECURE", "False"))) = "true" Then client.Insecure = True
    Dim request As New WebRequest
    request.Resource = "healthz"
    request.Method = WebMethod.HttpGet
    Dim response As WebResponse
    Set response = client.Execute(request)
    ServerAnswers = (response.StatusCode = 200)
    Exit Function
Failed:
    ServerAnswers = False
End Function

' Decodes the \uXXXX escapes of a message (four hex digits each); other characters stay.
Private Function Zh(ByVal text As String) As String
    Dim i As Long, k As Long, code As Long, out As String
    i = 1
    Do While i <= Len(text)
        If Mid$(text, i, 2) = "\u" And i + 5 <= Len(text) Then
            code = 0
            For k = 0 To 3
                code = code * 16 + InStr(1, "0123456789ABCDEF", UCase$(Mid$(text, i + 2 + k, 1))) - 1
            Next k
            out = out & ChrW$(code)
            i = i + 6
        Else
            out = out & Mid$(text, i, 1)
            i = i + 1
        End If
    Loop
    Zh = out
End Function
