"""What the definitions' child process hands back (isolation.py): the model as plain data, and the
model again from it, every object constructed anew so that its own checks run on arrival.

Plain data is builtins only, packed with `marshal` (C, and it keeps shared objects shared): a
scalar, a tuple, a frozenset, and tagged tuples, Ellipsis first (never model data), for the rest:
`(..., "module:Class", (field values...))` for an attrs object, `(..., "list", (items...))`,
`(..., "dict", (key, value, ...))` and `(..., "path", (text,))`. So every packed value is
hashable, and the parent builds an object equal to one it has built already once (the alerting
definitions of two profiles are mostly the same objects). Only attrs classes of the engine and
of grafanalib, in modules the parent has already imported, are rebuilt: nothing the child sends
makes the parent import or run code."""

from __future__ import annotations

import functools
import marshal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path, PurePath
from typing import Any

import attrs

from monitoring_as_code.errors import DefinitionError

_OBJECT = Ellipsis
_SCALARS = (str, int, float, bool, type(None))
_REBUILT_FROM = ("monitoring_as_code.", "grafanalib.")
_MARSHAL_VERSION = 4  # shares repeated objects by reference


@functools.cache
def _init_fields(cls: type) -> tuple[attrs.Attribute, ...]:  # type: ignore[type-arg]
    return tuple(f for f in attrs.fields(cls) if f.init)


@functools.cache
def _packed_as(cls: type) -> tuple[str, tuple[str, ...]]:
    """How an attrs class is packed: its name, and the fields its values are read from."""
    return f"{cls.__module__}:{cls.__qualname__}", tuple(f.name for f in _init_fields(cls))


def dumps(value: Any) -> bytes:
    """`value` (model objects, builtins) as bytes; TypeError names what cannot cross."""
    memo: dict[int, Any] = {}
    keep: list[Any] = []  # ids stay unique while the originals live

    def each(items: Iterable[Any]) -> list[Any]:
        # Most values are scalars: kept as they are without a call (as Rebuilder._all).
        return [x if type(x) in _SCALARS else plain(x) for x in items]

    def plain(item: Any) -> Any:
        kind = type(item)
        if kind in _SCALARS:
            return item
        known = memo.get(id(item))
        if known is not None:
            return known
        if kind is tuple:
            out: Any = tuple(each(item))
        elif kind is list:
            out = (_OBJECT, "list", tuple(each(item)))
        elif kind is dict:
            out = (_OBJECT, "dict", tuple(each(x for pair in item.items() for x in pair)))
        elif kind is frozenset:
            out = frozenset(each(item))
        elif isinstance(item, PurePath):
            out = (_OBJECT, "path", (str(item),))
        elif attrs.has(kind):
            name, fields = _packed_as(kind)
            out = (_OBJECT, name, tuple(each(getattr(item, field) for field in fields)))
        elif isinstance(item, bool | int | float | str):  # a subclass (an enum of str): its value
            return next(base(item) for base in (bool, int, float, str) if isinstance(item, base))
        else:
            raise TypeError(f"a {kind.__module__}.{kind.__qualname__} is not model data")
        memo[id(item)] = out
        keep.append(item)
        return out

    return marshal.dumps(plain(value), _MARSHAL_VERSION)


def _model_class(name: Any) -> type:
    module, _, qualname = name.partition(":") if isinstance(name, str) else ("", "", "")
    owner = sys.modules.get(module) if module.startswith(_REBUILT_FROM) else None
    cls: Any = owner
    for part in qualname.split(".") if owner is not None else ():
        cls = getattr(cls, part, None)
    if not (isinstance(cls, type) and attrs.has(cls) and cls.__module__ == module):
        raise DefinitionError(f"the definitions returned an object of an unknown class ({name!r})")
    return cls


def _constructor(cls: type) -> Callable[..., Any]:
    """What builds a `cls` with attrs' own checks: the class itself, or, for a class with an
    `__init__` of its own (some of grafanalib's), attrs' kept as `__attrs_init__`."""
    attrs_init = getattr(cls, "__attrs_init__", None)
    if attrs_init is None:
        return cls

    def construct(**arguments: Any) -> Any:
        made = cls.__new__(cls)
        attrs_init(made, **arguments)
        return made

    return construct


class Rebuilder:
    """Rebuilds what `dumps` packed, every object checked by its own constructor; an object equal
    to one rebuilt before (by this rebuilder: one run's pieces) is that one again."""

    def __init__(self) -> None:
        self._built: dict[Any, Any] = {}
        # Per class name: the class, its fields' aliases and its constructor, looked up once.
        self._classes: dict[Any, tuple[type, tuple[str, ...], Callable[..., Any]]] = {}

    def loads(self, data: bytes) -> Any:
        """The model again from `dumps`' bytes; anything else is a DefinitionError."""
        try:
            packed = marshal.loads(data)
        except (EOFError, ValueError, TypeError) as exc:
            raise DefinitionError(f"the definitions' result is unreadable ({exc})") from None
        try:
            return self._typed(packed)
        except TypeError as exc:  # unhashable: a list or dict not packed as one
            raise DefinitionError(f"the definitions' result is malformed ({exc})") from None

    def _typed(self, item: Any) -> Any:
        kind = type(item)
        if kind in _SCALARS:
            return item
        if kind is frozenset:
            return frozenset(self._all(item))
        if kind is not tuple:
            raise DefinitionError(f"the definitions' result holds a {kind.__name__}, which is not model data")
        if not item or item[0] is not _OBJECT:
            return tuple(self._all(item))
        built = self._built.get(item)
        if built is None:
            built = self._built[item] = self._build(item)
        return built

    def _all(self, items: Iterable[Any]) -> list[Any]:
        # Most values are scalars: returned as they are, without a call each (the calls, not the
        # checks, were a good part of the rebuild's time).
        return [x if type(x) in _SCALARS else self._typed(x) for x in items]

    def _build(self, item: tuple[Any, ...]) -> Any:
        name, values = item[1:] if len(item) == 3 else (None, None)
        if type(values) is not tuple:
            raise DefinitionError("the definitions' result is malformed (a tagged value without its values)")
        if name == "list":
            return self._all(values)
        if name == "path" and len(values) == 1 and type(values[0]) is str:
            return Path(values[0])
        if name == "dict":
            return {self._typed(k): self._typed(v) for k, v in zip(values[::2], values[1::2], strict=True)}
        known = self._classes.get(name)
        if known is None:
            cls = _model_class(name)
            known = self._classes[name] = (cls, tuple(f.alias for f in _init_fields(cls)), _constructor(cls))
        cls, aliases, construct = known
        if len(values) != len(aliases):
            raise DefinitionError(f"the definitions returned a malformed {cls.__name__}")
        try:
            return construct(**dict(zip(aliases, self._all(values), strict=True)))
        except (ValueError, TypeError) as exc:
            raise DefinitionError(f"a {cls.__name__} the definitions returned fails its check: {exc}") from None
