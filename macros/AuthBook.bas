Attribute VB_Name = "AuthBook"
' AuthBook ribbon callbacks.
'
' Each button on the AuthBook ribbon tab calls one Sub below. The Sub checks what it can in
' Excel (a workbook is open, the add-in knows its Python and that Python exists), then hands
' the work to Python through RunPython, which the xlwings module of this same add-in provides.
' The data workbook itself stays a macro-free .xlsx and all rules live in the authbook package.
' The add-in's configuration (its Python) is on its own sheet, authbook.conf, which
' 'authbook addin install' fills in.
' Edit this file, then rebuild the add-in with:  authbook addin build
Option Explicit

Private Const CONF_SHEET As String = "authbook.conf"
Private Const TITLE As String = "AuthBook"
Private Const MANUAL_CALCULATION As Long = -4135  ' xlCalculationManual
Private lastMessage As String

Private Sub Say(ByVal text As String, ByVal style As Long)
    lastMessage = text
    MsgBox text, style, TITLE
End Sub

Public Function AuthBookLastMessage() As String
    ' The text of the last message a button showed (for support and for the add-in's tests).
    AuthBookLastMessage = lastMessage
End Function

Private Function IsMac() As Boolean
    On Error Resume Next
    IsMac = InStr(1, Application.OperatingSystem, "Mac", vbTextCompare) > 0
End Function

Private Function ConfigValue(ByVal key As String) As String
    ' The value next to key in column A of this add-in's authbook.conf sheet ("" if none).
    Dim sheet As Object, row As Long
    On Error GoTo NotFound
    Set sheet = ThisWorkbook.Worksheets(CONF_SHEET)
    For row = 1 To 50
        If LCase(Trim(CStr(sheet.Cells(row, 1).Value))) = LCase(key) Then
            ConfigValue = Trim(CStr(sheet.Cells(row, 2).Value))
            Exit Function
        End If
    Next row
NotFound:
    ConfigValue = ""
End Function

Private Function PythonExists(ByVal python As String) As Boolean
    On Error GoTo Unknown
    PythonExists = (Dir(python) <> "")
    Exit Function
Unknown:
    PythonExists = IsMac()  ' the Mac sandbox may refuse to look: let RunPython find out
End Function

Private Function IsBlockedByPolicy(ByVal number As Long, ByVal description As String) As Boolean
    ' Office blocked from starting programs (e.g. Defender's attack surface reduction rules):
    ' starting Python fails with "Permission denied" (70) or "Access is denied" (&H80070005).
    Dim text As String
    text = LCase(description)
    IsBlockedByPolicy = number = 70 Or number = -2147024891 Or InStr(text, "denied") > 0 _
        Or InStr(text, "blocked") > 0 Or InStr(text, "policy") > 0
End Function

Private Sub RunAuthBook(ByVal button As String, ByVal pythonCommand As String)
    ' Runs one Python command through RunPython on the active workbook, with calculation
    ' manual and screen updating off while Python writes; both are restored however it ends.
    Dim python As String, key As String, result As Variant
    Dim calculation As Long, updating As Boolean, changed As Boolean

    If ActiveWorkbook Is Nothing Then
        Say "No workbook is open. Open your AuthBook workbook, then click " & button & _
            " again.", vbExclamation
        Exit Sub
    End If
    If IsMac() Then key = "Interpreter_Mac" Else key = "Interpreter_Win"
    python = ConfigValue(key)
    If python = "" Then
        Say "AuthBook does not know which Python to use (" & key & " is empty on the " & _
            CONF_SHEET & " sheet of the add-in)." & vbCrLf & vbCrLf & _
            "In a terminal, run:  authbook addin install" & vbCrLf & _
            "then restart Excel and click " & button & " again.", vbExclamation
        Exit Sub
    End If
    If Not PythonExists(python) Then
        Say "Python not found at " & python & vbCrLf & vbCrLf & _
            "Python was moved or uninstalled since AuthBook was installed. In a terminal, " & _
            "with the Python that has authbook, run:  authbook addin install" & vbCrLf & _
            "then restart Excel and click " & button & " again.", vbExclamation
        Exit Sub
    End If

    On Error GoTo Failed
    calculation = Application.Calculation
    updating = Application.ScreenUpdating
    changed = True
    Application.ScreenUpdating = False
    Application.Calculation = MANUAL_CALCULATION
    result = RunPython(pythonCommand)
    Application.Calculation = calculation
    Application.ScreenUpdating = updating
    ' RunPython gives -1 after xlwings showed Python's own error message (a traceback).
    If Not IsEmpty(result) Then
        If CStr(result) = "-1" Then lastMessage = "Python reported an error in " & button & "."
    End If
    Exit Sub

Failed:
    Dim number As Long, description As String
    number = Err.Number
    description = Err.Description
    On Error Resume Next
    If changed Then
        Application.Calculation = calculation
        Application.ScreenUpdating = updating
    End If
    On Error GoTo 0
    If IsBlockedByPolicy(number, description) Then
        Say "Excel was not allowed to start Python (blocked by policy)." & vbCrLf & vbCrLf & _
            "Your computer's security settings stop Office from starting other programs. " & _
            "Ask your IT administrator to allow Excel to start " & python & vbCrLf & _
            "or use the authbook command instead of the button." & vbCrLf & vbCrLf & _
            "Details: " & description, vbExclamation
    Else
        Say "AuthBook could not run " & button & " in Python." & vbCrLf & vbCrLf & _
            "Run 'authbook doctor' in a terminal: it says what is missing." & vbCrLf & _
            vbCrLf & "Details: " & description & " (" & number & ")", vbExclamation
    End If
End Sub

Public Sub AB_Refresh(control As IRibbonControl)
    ' Recompute remaining and pending units, statuses and alerts for every authorization.
    RunAuthBook "Refresh", "import authbook.functions.ribbon as ab; ab.refresh()"
End Sub

Public Sub AB_ShowAlerts(control As IRibbonControl)
    ' List the authorizations that are running low on units or close to their end date.
    RunAuthBook "Show Alerts", "import authbook.functions.ribbon as ab; ab.show_alerts()"
End Sub

Public Sub AB_CheckNotes(control As IRibbonControl)
    ' Check every note against the authorizations and mark the ones that would be denied.
    RunAuthBook "Check Notes", "import authbook.functions.ribbon as ab; ab.check_notes()"
End Sub

Public Sub AB_EligibleForSelection(control As IRibbonControl)
    ' Show the billing codes the selected Notes row may use on its date.
    RunAuthBook "Eligible Codes", _
        "import authbook.functions.ribbon as ab; ab.eligible_for_selection()"
End Sub

Public Sub AB_BulkUpdateVisible(control As IRibbonControl)
    ' Change the filled-in fields on every authorization row the AutoFilter shows.
    RunAuthBook "Update Visible", _
        "import authbook.functions.ribbon as ab; ab.bulk_update_visible()"
End Sub

Public Sub AB_BulkAddSelected(control As IRibbonControl)
    ' Add the codes of a billing-code group as new authorizations for the selected clients.
    RunAuthBook "Add to Selected", _
        "import authbook.functions.ribbon as ab; ab.bulk_add_selected()"
End Sub
