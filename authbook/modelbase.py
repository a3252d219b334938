"""How AuthBook's records are made: frozen dataclasses, validated as pydantic validates them
(pydantic imported only for values that need converting), and the constructors the rules use
for values they have already parsed. ``authbook.models`` declares the records with these.

Here, not in models.py, so that the records themselves read on one page; like models, this
imports nothing else of AuthBook.

A record class may define ``__post_init__(self)``, as a dataclass may: every way of making
one calls it last, its fields set (the validating constructor, ``trusted``, ``model_copy``,
``trusted_maker``'s functions; pydantic's validator calls it itself). It may set fields
with ``object.__setattr__`` (``RawBook`` holds its Auths and Notes rows as RawRows so).
"""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from datetime import date, datetime
from typing import Any


def dataclass(cls=None, /, *, frozen=False, slots=False, kw_only=False, init=True, eq=True):
    """``dataclasses.dataclass`` with these options, for every class of AuthBook: the same
    class (``dataclasses.fields``, ``replace``, ``asdict`` and ``__match_args__`` work
    as on any dataclass; ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, frozen
    fields and pickling behave as ``dataclasses`` makes them), at a twentieth of the cost
    to define. ``dataclasses`` compiles the source of five methods for every frozen class
    (about 0.9 ms each, 40 ms of every command's start, measured); here ``__init__`` is
    compiled on its first call, for the classes a command makes, and the other methods
    are shared functions over the fields."""

    def make(cls):
        options = {"frozen": frozen, "slots": slots, "kw_only": kw_only, "init": init}
        return _quick_dataclass(cls, eq=eq, **options)

    return make if cls is None else make(cls)


def _quick_dataclass(cls, *, frozen: bool, slots: bool, kw_only: bool, init: bool, eq: bool):
    own = set(cls.__dict__)
    class_hash = cls.__dict__.get("__hash__", _MISSING)
    explicit_hash = not (class_hash is _MISSING or (class_hash is None and "__eq__" in own))
    if frozen and {"__setattr__", "__delattr__"} & own:
        raise TypeError(f"a frozen dataclass cannot define __setattr__: {cls.__name__}")
    # dataclasses checks that a frozen class's dataclass bases are frozen too, and makes the
    # frozen methods itself when told so: only then (no class of AuthBook does it today)
    inherits = any(hasattr(base, "__dataclass_fields__") for base in cls.__mro__[1:])
    cls = dataclasses.dataclass(
        cls, init=False, repr=False, eq=False, frozen=frozen and inherits, slots=slots,
        kw_only=kw_only,
    )  # fmt: skip
    params = cls.__dataclass_params__  # what dataclasses would say of the class made
    params.init, params.repr, params.eq, params.frozen = init, True, eq, frozen
    fields = dataclasses.fields(cls)
    if init and "__init__" not in own:
        cls.__init__ = _compiled_when_called(
            cls, "__init__", lambda: _compiled_dataclass_init(cls, frozen, slots)
        )
    if "__repr__" not in own:
        cls.__repr__ = _repr_of(tuple(f.name for f in fields if f.repr))
    if eq and "__eq__" not in own:
        cls.__eq__ = _eq_of(_getter(tuple(f.name for f in fields if f.compare)))
    if eq and not explicit_hash:
        hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
        cls.__hash__ = _hash_of(_getter(hashed)) if frozen else None
    if frozen and not inherits:
        names = frozenset(f.name for f in fields)
        cls.__setattr__, cls.__delattr__ = _frozen_setattr(cls, names), _frozen_delattr(cls, names)
        if slots:  # pickle sets a slot's state with setattr, which a frozen class refuses
            cls.__getstate__, cls.__setstate__ = _slot_state(tuple(f.name for f in fields))
    return cls


def _getter(names: tuple[str, ...]):
    """A function giving the tuple of an object's attributes ``names`` (in C when it can)."""
    if len(names) >= 2:
        return operator.attrgetter(*names)
    if names:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return lambda obj: ()


def _repr_of(names: tuple[str, ...]):
    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({shown})"

    return __repr__


def _eq_of(values):
    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _hash_of(values):
    def __hash__(self) -> int:
        return hash(values(self))

    return __hash__


def _frozen_setattr(cls, names: frozenset[str]):
    def __setattr__(self, name, value):
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    return __setattr__


def _frozen_delattr(cls, names: frozenset[str]):
    def __delattr__(self, name):
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __delattr__


def _slot_state(names: tuple[str, ...]):
    def __getstate__(self):
        return [getattr(self, name) for name in names]

    def __setstate__(self, state):
        for name, value in zip(names, state):
            object.__setattr__(self, name, value)

    return __getstate__, __setstate__


#: The default of an ``__init__`` parameter whose field has a ``default_factory``.
_FACTORY = object()


def _compiled_when_called(cls, name: str, compile_it, static: bool = False):
    """A function for ``cls``'s attribute ``name`` that, on its first call, compiles the
    real one (``compile_it()``), puts it in its place (a staticmethod when ``static``) and
    calls it: the records' constructors are compiled only for the classes a command
    makes."""

    def first_call(*args, **kwargs):
        current = cls.__dict__.get(name)
        if (current.__func__ if static else current) is first_call:
            made = compile_it()
            setattr(cls, name, staticmethod(made) if static else made)
        return getattr(cls, name)(*args, **kwargs)

    return staticmethod(first_call) if static else first_call


def _compiled_dataclass_init(cls, frozen: bool, slots: bool):
    """The ``__init__`` dataclasses would write for ``cls``: positional fields, then
    keyword-only ones; defaults, default factories; fields left out of ``__init__`` set
    from their factory (or, with slots, their default); then ``__post_init__``."""
    scope = {"_set": object.__setattr__, "_FACTORY": _FACTORY}
    positional, keywords, body = [], [], []
    for f in dataclasses.fields(cls):
        scope[f"_d_{f.name}"], scope[f"_f_{f.name}"] = f.default, f.default_factory
        has_factory = f.default_factory is not _MISSING
        if f.init:
            param = f.name
            if has_factory:
                param += "=_FACTORY"
            elif f.default is not _MISSING:
                param += f"=_d_{f.name}"
            (keywords if f.kw_only else positional).append(param)
            value = (
                f"_f_{f.name}() if {f.name} is _FACTORY else {f.name}" if has_factory else f.name
            )
        elif has_factory:
            value = f"_f_{f.name}()"
        elif slots and f.default is not _MISSING:
            value = f"_d_{f.name}"
        else:
            continue  # the class attribute holds the default
        body.append(
            f"    _set(self, {f.name!r}, {value})" if frozen else f"    self.{f.name} = {value}"
        )
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    params = ", ".join(["self", *positional, *(["*", *keywords] if keywords else [])])
    exec(f"def __init__({params}):\n" + ("\n".join(body) or "    pass") + "\n", scope)  # noqa: S102
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def row_record(cls):
    """Make ``cls`` a row record: a frozen dataclass with ``__slots__`` (a tenth of a model's
    memory), validated when constructed (``_validating_init``). ``cls.trusted(**fields)``
    builds one from values a parser in ``authbook.rules`` has already checked, without
    validating them again (as the refresh does). Change one with ``dataclasses.replace``."""
    cls = dataclass(cls, frozen=True, slots=True, kw_only=True, init=False)
    cls.__init__, cls.trusted = _validating_init(cls), _trusted_constructor(cls)
    return cls


class Record:
    """A record not one per row (settings, problems, plans, a book): each subclass is a frozen
    dataclass validated when constructed (``_validating_init``), with pydantic's
    ``model_copy(update=...)``: a copy with some fields replaced, not validated."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(cls, frozen=True, kw_only=True, init=False)
        cls.__init__, cls.trusted = _validating_init(cls), _trusted_constructor(cls)

    def model_copy(self, *, update: dict[str, Any] | None = None):
        return self.trusted(**{**self.__dict__, **(update or {})})  # the fields, no slots


def _validating_init(cls):
    """An ``__init__`` for ``cls`` validating its keyword arguments as pydantic does: values
    exactly of their fields' types (``date`` for ``date | None``, a tuple of ``Client`` for
    ``tuple[Client, ...]``), none missing or unknown, are kept (a dict copied) without it;
    anything else goes to pydantic, which converts it or raises ``ValidationError``
    (imported only then: every command is a new process, and pydantic's import and
    validators took 0.1-0.2 s of each). Compiled on the first call;
    tests/test_models_validation.py compares the two ways."""
    return _compiled_when_called(cls, "__init__", lambda: _compiled_init(cls))


def _compiled_init(cls):
    """The ``__init__`` of ``_validating_init``, compiled for the fields of ``cls``."""
    fields = dataclasses.fields(cls)
    hints = typing.get_type_hints(cls)
    scope = {"_M": _MISSING, "_slow": _validated, "_cls": cls, "_set": object.__setattr__}
    scope["_home"] = cls.__module__  # its module's own classes (RawRows...) are kept as given
    params, checks, sets = [], [], []
    for f in fields:
        scope[f"_d_{f.name}"] = f.default if f.default_factory is _MISSING else _MISSING
        params.append(f"{f.name}=_d_{f.name}")
        checks.append(_check_of(hints[f.name], f.name, scope) or f"{f.name} is not _M")
        copy = typing.get_origin(hints[f.name]) is dict  # pydantic gives a dict's copy
        sets.append(f"    _set(self, {f.name!r}, {'dict(' * copy}{f.name}{')' * copy})")
    head = f"def __init__(self, *, {', '.join(params)}, **_extra):\n    if _extra or not ("
    given = "".join(f"({f.name!r}, {f.name}), " for f in fields)
    call = f"):\n        return _slow(_cls, self, ({given}), _extra)\n"
    if hasattr(cls, "__post_init__"):  # (the slow way's record is pydantic's: it has run)
        sets.append("    self.__post_init__()")
    exec(head + (" and ".join(checks) or "True") + call + "\n".join(sets) + "\n", scope)  # noqa: S102
    return scope["__init__"]


def _validated(cls, record, given: tuple, extra: dict) -> None:
    """Set ``record``'s fields as pydantic makes them of ``given`` and ``extra``."""
    if "_pydantic_adapter" not in cls.__dict__:
        from pydantic import TypeAdapter  # here, not at the top: start-up time

        type.__setattr__(cls, "_pydantic_adapter", TypeAdapter(cls))
    values = {name: value for name, value in given if value is not _MISSING}
    made = cls._pydantic_adapter.validate_python({**values, **extra})
    for name, _ in given:
        object.__setattr__(record, name, getattr(made, name))


_MISSING = dataclasses.MISSING
#: Types whose values pydantic keeps as they are when they are of exactly that type.
_EXACT = (str, int, float, bool, date, datetime)


def _check_of(hint, v: str, scope: dict) -> str | None:
    """An expression: is ``v``'s value one pydantic keeps as it is for a field of type
    ``hint``? (None: any value is.) The types it names are put in ``scope``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is type(None):
        return None if hint is Any else f"{v} is None"
    if origin in (typing.Union, types.UnionType):
        either = [_check_of(a, v, scope) for a in args]
        return None if None in either else f"({' or '.join(either)})"
    if origin is None and isinstance(hint, type):
        if hint in _EXACT or dataclasses.is_dataclass(hint):
            return f"type({v}) is {_named(hint, scope)}"
        if hint.__module__ == scope["_home"]:  # (RawRows) pydantic keeps any instance as is
            return f"isinstance({v}, {_named(hint, scope)})"
        return "False"
    if origin in (tuple, frozenset) and (origin is frozenset or args[-1:] == (...,)):
        kind = f"type({v}) is {_named(origin, scope)}"
        item = _check_of(args[0], "_i", scope) if args else None
        return kind if item is None else f"({kind} and all({item} for _i in {v}))"
    if origin is tuple:  # a tuple of fixed length: each item its own type
        items = [_check_of(a, f"{v}[{i}]", scope) or "True" for i, a in enumerate(args)]
        return f"(type({v}) is tuple and len({v}) == {len(args)} and {' and '.join(items)})"
    if origin is dict and args == (str, Any):
        return f"(type({v}) is dict and all(type(_k) is str for _k in {v}))"
    return "False"  # anything else is left to pydantic


def _named(kind: type, scope: dict) -> str:
    """A name for ``kind`` among the variables ``scope`` of compiled code."""
    scope[f"_t{id(kind)}"] = kind
    return f"_t{id(kind)}"


def _trusted_constructor(cls):
    """A keyword constructor for ``cls`` that sets its fields without validating them, as
    its ``trusted`` staticmethod: compiled on its first call (``_compiled_trusted``); most
    commands use few of the records' constructors."""
    return _compiled_when_called(cls, "trusted", lambda: _compiled_trusted(cls), static=True)


def _compiled_trusted(cls):
    """``_trusted_constructor``'s function, compiled for the fields of ``cls``."""
    fields = dataclasses.fields(cls)
    params = (
        f.name if f.default is _MISSING else f"{f.name}=_defaults[{f.name!r}]" for f in fields
    )
    return _setter_function(cls, f"trusted(*, {', '.join(params)})", [], {f.name for f in fields})


def trusted_maker(cls, names: tuple[str, ...]):
    """A function ``make(source, cells)`` building a ``cls`` row record from ``cells``, the
    values of the fields ``names`` in that order (every other field takes its default),
    without validating them: ``cls.trusted`` for a loop over hundreds of thousands of rows
    whose values come as tuples. ``names`` must not include ``source``."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [n for n in names if n not in fields or n == "source"]
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {unknown}")  # a bug in the caller
    missing = [
        n for n, f in fields.items()
        if n != "source" and n not in names and f.default is dataclasses.MISSING
    ]  # fmt: skip
    if missing:
        raise ValueError(f"{cls.__name__} needs {missing} (they have no default)")
    unpack = [f"    {', '.join(names)}, = cells"] if names else []
    return _setter_function(cls, "make(source, cells)", unpack, {"source", *names})


def _setter_function(cls, signature: str, prologue: list[str], given: set[str]):
    """Compile ``def <signature>`` that makes a ``cls`` and sets each field: from the local
    variable of that name for the fields in ``given`` (parameters, or set by ``prologue``,
    which runs first), else from the field's default. Built from the dataclass's own field
    names, as ``dataclasses`` builds ``__init__``."""
    fields = dataclasses.fields(cls)
    defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
    lines = [f"def {signature}:", *prologue, "    _obj = _new(_cls)"]
    scope = {"_cls": cls, "_new": object.__new__, "_set": object.__setattr__, "_defaults": defaults}
    for f in fields:
        value = f.name if f.name in given else f"_defaults[{f.name!r}]"
        slot = _slot_of(cls, f.name)
        if slot is None:
            lines.append(f"    _set(_obj, {f.name!r}, {value})")
        else:  # the slot's own setter: half the time of object.__setattr__ (measured)
            scope[f"_set_{f.name}"] = slot.__set__
            lines.append(f"    _set_{f.name}(_obj, {value})")
    if hasattr(cls, "__post_init__"):
        lines.append("    _obj.__post_init__()")
    lines.append("    return _obj")
    exec("\n".join(lines) + "\n", scope)  # noqa: S102
    return scope[signature.split("(")[0]]


def _slot_of(cls, name: str):
    """The ``__slots__`` member of ``cls`` (or a base) holding attribute ``name``, or None."""
    for klass in cls.__mro__:
        found = klass.__dict__.get(name)
        if found is not None:
            return found if isinstance(found, types.MemberDescriptorType) else None
    return None
