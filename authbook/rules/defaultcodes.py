"""The code a note with a blank Billing Code takes (seed 001, "Default"; issue 23): that of
the client's Default auth covering the session. Used for units and checks; the typed cell
stays blank and the Notes sheet shows the code in its Default Code column."""

from __future__ import annotations

from datetime import date

from authbook.models import Auth, RawRows
from authbook.rules.values import name_key


class DefaultCodes:
    """The code a note with a blank Billing Code takes (seed 001, "Default"): that of the
    client's Default auth whose dates contain the session (approved, not excluded from
    notes; of several, the one ending first, then the first in the sheet)."""

    def __init__(self, auths, uncalculated: set[int] | None = None) -> None:
        #: Notes rows whose Billing Code is a formula not calculated yet (not blank)
        self.uncalculated = uncalculated or set()
        self._auths = auths
        self._by_client: dict[str, list[Auth]] | None = None

    def _defaults(self) -> dict[str, list[Auth]]:
        """Client key -> its Default auths in the order they answer: sorted the first time a
        code is asked for (most Notes sheets have no blank Billing Code: 50,000 auths sorted
        for nothing took ~0.05 s of each process drawing notes)."""
        if self._by_client is None:
            self._by_client = {}
            for auth in sorted(self._auths, key=lambda a: (a.end_date, a.source.row)):
                if auth.default and auth.is_approved and not auth.exclude_from_notes:
                    self._by_client.setdefault(name_key(auth.client_id), []).append(auth)
        return self._by_client

    def code(self, client_id: str | None, day: date | None) -> str | None:
        """The Default auth's code for this client and day, or None when there is none."""
        if not client_id or day is None:
            return None
        for auth in self._defaults().get(name_key(client_id), ()):
            if auth.covers(day):
                return auth.billing_code
        return None


def take_default_codes(
    rows: RawRows, columns: list[list], at: dict[str, int], errors, defaults: DefaultCodes
) -> None:
    """Fill the blank Billing Codes of ``columns`` (notes parsed by column) that the
    client's Default auth answers (a cell that could not be read, or a formula not
    calculated yet, is not blank)."""
    codes = columns[at["billing_code"]]
    if None not in codes:  # (the usual sheet: looked through in C)
        return
    unreadable = errors[at["billing_code"]]
    clients, days = columns[at["client_id"]], columns[at["service_date"]]
    filled = list(codes)
    for position in (p for p, code in enumerate(codes) if code is None):
        if position not in unreadable and rows.rows[position] not in defaults.uncalculated:
            filled[position] = defaults.code(clients[position], days[position])
    columns[at["billing_code"]] = filled
