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


def dumps(value: Any) -> bytes:
    """`value` (model objects, builtins) as bytes; TypeError names what cannot cross."""
    memo: dict[int, Any] = {}
    keep: list[Any] = []  # ids stay unique while the originals live

    def plain(item: Any) -> Any:
        kind = type(item)
        if kind in _SCALARS:
            return item
        known = memo.get(id(item))
        if known is not None:
            return known
        if kind is tuple:
            out: Any = tuple(plain(x) for x in item)
        elif kind is list:
            out = (_OBJECT, "list", tuple(plain(x) for x in item))
        elif kind is dict:
            out = (_OBJECT, "dict", tuple(plain(x) for pair in item.items() for x in pair))
        elif kind is frozenset:
            out = frozenset(plain(x) for x in item)
        elif isinstance(item, PurePath):
            out = (_OBJECT, "path", (str(item),))
        elif attrs.has(kind):
            name = f"{kind.__module__}:{kind.__qualname__}"
            out = (_OBJECT, name, tuple(plain(getattr(item, f.name)) for f in _init_fields(kind)))
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


def _construct(cls: type, arguments: dict[str, Any]) -> Any:
    """`cls(**arguments)` with attrs' own checks; a class with an `__init__` of its own (some of
    grafanalib's) keeps attrs' as `__attrs_init__`."""
    attrs_init = getattr(cls, "__attrs_init__", None)
    if attrs_init is None:
        return cls(**arguments)
    made = cls.__new__(cls)
    attrs_init(made, **arguments)
    return made


class Rebuilder:
    """Rebuilds what `dumps` packed, every object checked by its own constructor; an object equal
    to one rebuilt before (by this rebuilder: one run's pieces) is that one again."""

    def __init__(self) -> None:
        self._built: dict[Any, Any] = {}

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
            return frozenset(self._typed(x) for x in item)
        if kind is not tuple:
            raise DefinitionError(f"the definitions' result holds a {kind.__name__}, which is not model data")
        if not item or item[0] is not _OBJECT:
            return tuple(self._typed(x) for x in item)
        built = self._built.get(item)
        if built is None:
            built = self._built[item] = self._build(item)
        return built

    def _build(self, item: tuple[Any, ...]) -> Any:
        name, values = item[1:] if len(item) == 3 else (None, None)
        if type(values) is not tuple:
            raise DefinitionError("the definitions' result is malformed (a tagged value without its values)")
        if name == "list":
            return [self._typed(x) for x in values]
        if name == "path" and len(values) == 1 and type(values[0]) is str:
            return Path(values[0])
        if name == "dict":
            return {self._typed(k): self._typed(v) for k, v in zip(values[::2], values[1::2], strict=True)}
        cls = _model_class(name)
        fields = _init_fields(cls)
        if len(values) != len(fields):
            raise DefinitionError(f"the definitions returned a malformed {cls.__name__}")
        try:
            return _construct(cls, {f.alias: self._typed(v) for f, v in zip(fields, values, strict=True)})
        except (ValueError, TypeError) as exc:
            raise DefinitionError(f"a {cls.__name__} the definitions returned fails its check: {exc}") from None
