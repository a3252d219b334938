"""How a service splits its work across processes: the only package that forks, opens pipes
between processes or pauses the garbage collector (``collector``). The rules it runs are the
same ones a single process runs; ``notes`` draws a large refresh's notes in two processes
(``split``: the two-process half, imported only then).
The writer child that writes a large sheet is the xlsx writer's own
(``authbook.workbook.xlsx.child``)."""
