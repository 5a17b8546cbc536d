"""What the definitions' child process hands back (isolation.py): the model as plain data, and the
model again from it, every object constructed anew so that its own checks run on arrival.

Plain data is builtins only (str, int, float, bool, None, tuple, list, dict, frozenset), packed
with `marshal` (C, and it keeps shared objects shared). An attrs object is the tuple
`(..., "module:Class", (field values...))`: Ellipsis is never model data. Only attrs classes of
the engine and of grafanalib, in modules the parent has already imported, are rebuilt: nothing
the child sends makes the parent import or run code."""

from __future__ import annotations

import functools
import marshal
import sys
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
            out = [plain(x) for x in item]
        elif kind is dict:
            out = {plain(k): plain(v) for k, v in item.items()}
        elif kind is frozenset:
            out = frozenset(plain(x) for x in item)
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


def loads(data: bytes) -> Any:
    """The model again from `dumps`' bytes, every object checked by its own constructor; anything
    else is a DefinitionError."""
    try:
        packed = marshal.loads(data)
    except (EOFError, ValueError, TypeError) as exc:
        raise DefinitionError(f"the definitions' result is unreadable ({exc})") from None
    memo: dict[int, Any] = {}

    def typed(item: Any) -> Any:
        kind = type(item)
        if kind in _SCALARS:
            return item
        known = memo.get(id(item))
        if known is not None:
            return known
        if kind is tuple and item and item[0] is _OBJECT:
            cls = _model_class(item[1] if len(item) == 3 else None)
            fields, values = _init_fields(cls), item[2]
            if type(values) is not tuple or len(values) != len(fields):
                raise DefinitionError(f"the definitions returned a malformed {cls.__name__}")
            try:
                out: Any = _construct(cls, {f.alias: typed(v) for f, v in zip(fields, values, strict=True)})
            except (ValueError, TypeError) as exc:
                raise DefinitionError(f"a {cls.__name__} the definitions returned fails its check: {exc}") from None
        elif kind is tuple:
            out = tuple(typed(x) for x in item)
        elif kind is list:
            out = [typed(x) for x in item]
        elif kind is dict:
            out = {typed(k): typed(v) for k, v in item.items()}
        elif kind is frozenset:
            out = frozenset(typed(x) for x in item)
        else:
            raise DefinitionError(f"the definitions' result holds a {kind.__name__}, which is not model data")
        memo[id(item)] = out
        return out

    return typed(packed)
