"""The use cases, each once: what the command line and the Excel ribbon do with a workbook.

Each module reads top to bottom as read -> compute -> plan writes -> save, calling the rules
(``authbook.rules``, the decisions) and a store (``authbook.workbook.store.Store``, the
cells):

- ``refresh``: ``authbook refresh`` and the ribbon's Refresh; every save ends in one.
- ``bulk``: bulk add and bulk update (command line and ribbon).
- ``migrate``: ``authbook import`` and ``authbook export``.
- ``renew``: ``authbook renew``.
- ``eligibility``: ``authbook eligible`` and the ribbon's Eligible Codes.
- ``demo``: ``authbook demo``.
- ``billing``: the Checks, Renewals and Dashboard sheets a refresh writes (``authbook report``).
- ``claims``: ``authbook scrub`` and ``authbook remit`` (the claim loop).
- ``handedits``: cells typed by hand since the last save, logged on the next.
- ``audit``: who makes a change, and the one AuditLog row builder.
- ``report``: the few lines both shells show after a refresh.

How a large refresh is split across processes is ``authbook.parallel``'s business.
"""
