"""``modelbase.dataclass`` makes what ``dataclasses.dataclass`` makes: each class below is
defined twice, once with each decorator, and the two are compared on what callers see:
the constructor's arguments and errors, repr, equality, hashing, frozen fields, pickling,
``replace``, ``fields``, ``asdict`` and ``__match_args__``."""

from __future__ import annotations

import ast
import dataclasses
import pickle
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authbook import modelbase

PACKAGE = Path(__file__).resolve().parents[1] / "authbook"

#: Class bodies, each made with a set of options.
BODIES = {
    "plain": "a: int\n    b: str\n",
    "defaults": "a: int\n    b: str = 'x'\n    c: tuple = ()\n",
    "factory": "a: int\n    b: list = field(default_factory=list)\n    c: dict = field(default_factory=dict)\n",
    "not_in_init": "a: int\n    b: int = field(default=7, init=False)\n"
    "    c: list = field(default_factory=lambda: [1], init=False)\n",
    "hidden": "a: int\n    b: int = field(default=0, repr=False, compare=False)\n",
    "hash_only": "a: int\n    b: int = field(default=0, compare=True, hash=False)\n",
    "post_init": "a: int\n    b: int = 0\n"
    "    def __post_init__(self):\n        object.__setattr__(self, 'b', self.a * 2)\n",
    "own_repr": "a: int\n    def __repr__(self):\n        return 'mine'\n",
    "empty": "pass\n",
}

OPTIONS = [
    {},
    {"frozen": True},
    {"frozen": True, "slots": True},
    {"frozen": True, "kw_only": True},
    {"slots": True},
    {"frozen": True, "eq": False},
]


def made(maker, body: str, options: dict):
    """The class ``Thing`` with ``body``, decorated by ``maker(**options)``."""
    scope = {"field": dataclasses.field, "maker": maker, "options": options}
    source = f"@maker(**options)\nclass Thing:\n    'A thing.'\n    {body}"
    exec(source, scope)
    return scope["Thing"]


# (dataclasses of Python 3.11 raises TypeError, not FrozenInstanceError, when a name that is
# no field is set on a frozen class with slots: its __setattr__ names the class from before
# the slots were added)
CASES = [
    (name, options)
    for name in BODIES
    for options in OPTIONS
    if not (name == "empty" and options.get("slots") and options.get("frozen"))
]


def both(name: str, options: dict):
    return made(dataclasses.dataclass, BODIES[name], options), made(
        modelbase.dataclass, BODIES[name], options
    )


def outcome(call):
    """What ``call()`` gives: its value, or the type of the error it raises."""
    try:
        return ("value", call())
    except Exception as error:  # noqa: BLE001 (the error's type is what is compared)
        return ("error", type(error).__name__)


def fields_of(kind) -> list[tuple]:
    return [(f.name, f.init, f.repr, f.compare, f.kw_only) for f in dataclasses.fields(kind)]


def calls(kind) -> list:
    """Ways of calling the constructor, right and wrong."""
    names = [f.name for f in dataclasses.fields(kind)]
    return [
        ((), {}),
        ((1,), {}),
        ((1, "y"), {}),
        ((), {"a": 1}),
        ((), {"a": 1, "b": "y"}),
        ((), {"a": 1, "zzz": 2}),
        ((1,), {"a": 1}),
        ((), {name: 3 for name in names}),
    ]


def seen(kind, args, kwargs):
    """What a caller sees of ``kind(*args, **kwargs)``, the class name left out."""

    def make():
        thing = kind(*args, **kwargs)
        return (
            repr(thing).split("(", 1)[-1],
            dataclasses.asdict(thing),
            thing == kind(*args, **kwargs),
            thing != kind(*args, **kwargs),
            outcome(lambda: hash(thing) == hash(kind(*args, **kwargs))),
            outcome(lambda: setattr(thing, "a", 5)),
            outcome(lambda: delattr(thing, "a")),
        )

    return outcome(make)


@pytest.mark.parametrize(("name", "options"), CASES)
def test_the_class_made_behaves_as_the_dataclasses_one(name, options):
    theirs, ours = both(name, options)
    assert fields_of(ours) == fields_of(theirs)
    assert ours.__match_args__ == theirs.__match_args__
    assert ours.__dataclass_params__.frozen == theirs.__dataclass_params__.frozen
    assert ("__slots__" in ours.__dict__) == ("__slots__" in theirs.__dict__)
    assert (ours.__hash__ is None) == (theirs.__hash__ is None)
    for args, kwargs in calls(theirs):
        assert seen(ours, args, kwargs) == seen(theirs, args, kwargs), (args, kwargs)


@pytest.mark.parametrize("options", OPTIONS)
@given(a=st.integers(), b=st.text(max_size=5), c=st.tuples(st.integers()))
def test_copies_pickles_and_comparisons_agree(options, a, b, c):
    theirs, ours = both("defaults", options)
    globals()["Thing"] = ours  # (pickle finds a class by its module and name)
    ours.__module__, ours.__qualname__ = __name__, "Thing"
    one, two = ours(a=a, b=b, c=c), theirs(a=a, b=b, c=c)
    assert dataclasses.asdict(pickle.loads(pickle.dumps(one))) == dataclasses.asdict(one)
    assert repr(one).split("(", 1)[1] == repr(two).split("(", 1)[1]
    changed = dataclasses.replace(one, b=b + "!")
    assert dataclasses.asdict(changed) == dataclasses.asdict(dataclasses.replace(two, b=b + "!"))
    assert (changed == one) == (dataclasses.replace(two, b=b + "!") == two)
    if options.get("frozen") and options.get("eq", True):  # (without eq: hashed by identity)
        assert hash(one) == hash(two)


def test_no_module_of_authbook_makes_its_classes_with_dataclasses_own_decorator():
    """The decorator of ``dataclasses`` costs ~0.9 ms a frozen class at every start."""
    for path in PACKAGE.rglob("*.py"):
        if path.name == "modelbase.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "dataclasses":
                assert "dataclass" not in {a.name for a in node.names}, path
            if isinstance(node, ast.Attribute) and node.attr == "dataclass":
                assert not (isinstance(node.value, ast.Name) and node.value.id == "dataclasses"), (
                    path
                )
