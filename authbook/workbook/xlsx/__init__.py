"""The surgical reader/writer of .xlsx/.xlsm packages, one module per part of the package.

The reader (``authbook.workbook.fastread`` drives it, with calamine for the values):

- ``layout``: the workbook part, its sheets, their worksheet and Table parts
- ``rows``: a worksheet part streamed as pieces of whole rows (the writer walks it so too)
- ``scan``: hidden rows, formula and error cells, the AutoFilter, found streaming

``writer.write_sheets`` walks the package (openpyxl's ``writer/excel.py`` is the model) and
hands each part to its module:

- ``cells``: cell XML (values encoded, column letters, the patterns that find cells)
- ``styles``: the stylesheet's cell formats, extended when a value needs a number format
- ``strings``: shared strings, read to know a header row's text
- ``edits``: a SheetWrite's cells handed out row by row
- ``sheet``: the worksheet rewriter; ``appended``: its cells appended after a row's last;
  ``edited``: its rows rewritten cell by cell, and the styles cells take; ``formulas``:
  shared formulas whose first cell is written over
- ``tables``: Table parts re-fitted (``authbook.workbook.tablefit``'s rule)
- ``calcchain``: the calculation chain mended
- ``package``: parts by relationship, and the sheets a write adds
- ``entries``: zip entries copied raw or deflated in threads
- ``child``: the forked child that writes the largest sheet (all the process machinery)
- ``errors``: ``NeedsFullRewrite``
"""
