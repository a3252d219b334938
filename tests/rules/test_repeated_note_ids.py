"""Repeated Note IDs: every row holding an ID another row holds (case and spacing ignored)
is told the other rows, and no other row is."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from authbook.rules.noterows import repeated_positions
from authbook.rules.values import name_key

cells = st.one_of(
    st.none(),
    st.sampled_from(["N1", "n1", " N1 ", "N 1", "N  1", "N2", "", " ", "None", "none"]),
    st.integers(-2, 2),
    st.sampled_from([1.0, 2.5, True, False]),
    st.text(alphabet="aA \t", max_size=4),
)


#: Text IDs only (no blank, no number), as most sheets hold: the IDs are then compared as
#: typed when that tells the same (ASCII, no space, one case), by their keys otherwise.
texts = st.one_of(
    st.sampled_from(["N1", "N2", "n1", "N 1", "AB", "A\u00a0B", "A\x1cB", "SS", "ss", "\u1e9e"]),
    st.sampled_from(["\u00df", "K", "\u212a", "k", "N-1", "n-1", "7", "07"]),
    st.text(alphabet="aAbB1 ", max_size=3),
)


@given(st.one_of(st.lists(cells, max_size=30), st.lists(texts, max_size=30)))
def test_each_repeated_id_lists_the_other_rows_holding_it(ids):
    def key(value):
        return None if value is None else name_key(str(value))

    expected = {
        p: [q for q in range(len(ids)) if q != p and key(ids[q]) == key(ids[p])]
        for p in range(len(ids))
        if key(ids[p]) is not None
    }
    assert repeated_positions(ids) == {p: others for p, others in expected.items() if others}
