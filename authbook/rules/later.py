"""A list made only when it is first read: what a large refresh hands out for records it
may never need (the notes and draws another process made, ``rules.parts``; the notes it
counted against an auth, ``units.CountedElsewhere``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence


class ListLater(Sequence):
    """A list made by ``make`` the first time it is looked at (read-only). ``length``, when
    known beforehand, answers ``len`` without making it."""

    def __init__(self, make: Callable[[], list], length: int | None = None) -> None:
        self._make, self._list, self._length = make, None, length

    def _made(self) -> list:
        if self._list is None:
            self._list = list(self._make())
            self._make = None
        return self._list

    def __len__(self) -> int:
        if self._list is None and self._length is not None:
            return self._length
        return len(self._made())

    def __getitem__(self, index):
        return self._made()[index]

    def __iter__(self):
        return iter(self._made())

    def __eq__(self, other) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, (str, list)):
            other = list(other)  # (a tuple, another ListLater: the same items are equal)
        return self._made() == other

    __hash__ = None  # (a list's kin: not hashable)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._made()!r})"
