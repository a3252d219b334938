"""What a refresh found, in a few lines for the person who ran it (the command line prints
them, the ribbon shows them in a message box)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authbook.rules.approvals import approval_rows

if TYPE_CHECKING:
    from authbook.services.refresh import Computed


def summary(computed: Computed) -> str:
    """The few lines both shells show after a refresh: counts of auths, notes, alerts,
    would-be denials and problems."""

    result = computed.result
    kinds: dict[str, int] = {}
    for alert in result.alerts:
        kinds[alert.kind] = kinds.get(alert.kind, 0) + 1
    denied = len({f.source.row for f in result.findings if f.denies})
    index = result.index
    approval_of = index.approval_of if index is not None else approval_rows(result.book.auths)
    approvals = len(set(approval_of.values()))
    lines = [
        f"as of {result.as_of:%m/%d/%Y}: {len(result.book.auths)} auths "
        f"({approvals} approvals), {len(result.book.notes)} notes, "
        f"{len(result.book.clients)} clients",
        f"new Auth #s: {len(result.new_auth_numbers)}",
        "alerts: "
        + (", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) if kinds else "none")
        + (" (one per pool)" if kinds else ""),
        f"notes that would be denied: {denied}",
        f"problems: {len(computed.problems)}"
        + (" (see the Problems sheet)" if computed.problems else ""),
    ]
    return "\n".join(lines)
