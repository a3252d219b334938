Attribute VB_Name = "AuthBook"
' AuthBook ribbon callbacks.
'
' Each button on the AuthBook ribbon tab calls one Sub below. The Sub hands the work to
' Python through the classic xlwings add-in (xlwings.xlam, which must be installed), so the
' data workbook itself stays a macro-free .xlsx and all rules live in the authbook package.
' Edit this file, then rebuild the add-in with:  authbook addin build
Option Explicit

Private Sub RunAuthBook(ByVal pythonCommand As String)
    ' Runs one Python command through xlwings' RunPython on the active workbook.
    On Error GoTo NoXlwings
    Application.Run "xlwings.xlam!RunPython", pythonCommand
    Exit Sub
NoXlwings:
    MsgBox "AuthBook could not reach Python through the xlwings add-in." & vbCrLf & vbCrLf & _
        "Install it once with:  xlwings addin install" & vbCrLf & _
        "then restart Excel and try again." & vbCrLf & vbCrLf & _
        "Details: " & Err.Description, vbExclamation, "AuthBook"
End Sub

Public Sub AB_Refresh(control As IRibbonControl)
    ' Recompute remaining and pending units, statuses and alerts for every authorization.
    RunAuthBook "import authbook.functions.ribbon as ab; ab.refresh()"
End Sub

Public Sub AB_ShowAlerts(control As IRibbonControl)
    ' List the authorizations that are running low on units or close to their end date.
    RunAuthBook "import authbook.functions.ribbon as ab; ab.show_alerts()"
End Sub

Public Sub AB_CheckNotes(control As IRibbonControl)
    ' Check every note against the authorizations and mark the ones that would be denied.
    RunAuthBook "import authbook.functions.ribbon as ab; ab.check_notes()"
End Sub

Public Sub AB_EligibleForSelection(control As IRibbonControl)
    ' Show the billing codes the selected Notes row may use on its date.
    RunAuthBook "import authbook.functions.ribbon as ab; ab.eligible_for_selection()"
End Sub

Public Sub AB_BulkUpdateVisible(control As IRibbonControl)
    ' Change the filled-in fields on every authorization row the AutoFilter shows.
    RunAuthBook "import authbook.functions.ribbon as ab; ab.bulk_update_visible()"
End Sub

Public Sub AB_BulkAddSelected(control As IRibbonControl)
    ' Add the codes of a billing-code group as new authorizations for the selected clients.
    RunAuthBook "import authbook.functions.ribbon as ab; ab.bulk_add_selected()"
End Sub
