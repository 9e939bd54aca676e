"""Record classes: the part of :mod:`dataclasses` portside uses, made without its cost.

Every command starts a new interpreter, and the standard library's ``dataclasses``
is the largest single import on the paths that are benchmarks: importing it pulls in
``inspect`` (with ``ast``, ``dis`` and ``tokenize``), about 15 ms here, and each class
it makes compiles its ``__init__``, ``__repr__`` and ``__eq__`` with ``exec``, about
1 ms more per class (``ps`` alone makes 18). This module makes the same classes from
closures, with no compiling: ``@dataclass`` and ``@dataclass(frozen=True)`` with
``__init__`` (positional or keyword, defaults and ``field(default_factory=…)``,
``__post_init__``), ``__repr__``, ``__eq__``, ``__hash__`` (frozen ones only, as
``dataclasses`` does), frozen assignment refused with :class:`FrozenInstanceError`,
``__match_args__``, and :func:`replace` and :func:`fields`. Methods a class defines
itself are kept. Type checkers see them as dataclasses (PEP 681).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, dataclass_transform, overload

    T = TypeVar("T")
else:

    def dataclass_transform(**_: object) -> Callable[[T], T]:
        return lambda f: f


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
_FIELDS = "__record_fields__"


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen record (as ``dataclasses.FrozenInstanceError``)."""


class Field:
    __slots__ = ("name", "default", "default_factory")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory

    def __repr__(self) -> str:
        return f"Field(name={self.name!r})"


if TYPE_CHECKING:

    @overload
    def field(*, default: T) -> T: ...
    @overload
    def field(*, default_factory: Callable[[], T]) -> T: ...
    def field(*, default: Any = MISSING, default_factory: Any = MISSING) -> Any: ...

else:

    def field(*, default=MISSING, default_factory=MISSING):
        return Field(default, default_factory)


@dataclass_transform(field_specifiers=(field,))
def dataclass(cls: Any = None, /, *, frozen: bool = False) -> Any:
    """``@dataclass`` or ``@dataclass(frozen=True)``."""

    def wrap(c: type) -> type:
        return _process(c, frozen)

    return wrap if cls is None else wrap(cls)


def fields(record: Any) -> tuple[Field, ...]:
    """The fields of a record class or instance, in order."""
    found = getattr(record, _FIELDS, None)
    if found is None:
        raise TypeError("must be called with a record type or instance")
    return tuple(found)


def replace(record: T, /, **changes: Any) -> T:
    """A new record like ``record`` with ``changes`` (``dataclasses.replace``)."""
    values = {f.name: getattr(record, f.name) for f in fields(record)}
    values.update(changes)
    return type(record)(**values)


def _process(cls: type, frozen: bool) -> type:
    own = cls.__dict__.get("__annotations__", {})
    by_name: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        for f in getattr(base, _FIELDS, ()):
            by_name[f.name] = f
    for name, annotation in own.items():
        if isinstance(annotation, str) and annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = cls.__dict__.get(name, MISSING)
        f = value if isinstance(value, Field) else Field(default=value)
        f.name = name
        if isinstance(f.default, list | dict | set):
            raise ValueError(
                f"mutable default {type(f.default)} for field {name} is not allowed: "
                "use default_factory"
            )
        if f.default is MISSING:
            if name in cls.__dict__:
                delattr(cls, name)  # a default_factory: no class attribute, as dataclasses
        else:
            setattr(cls, name, f.default)
        by_name[name] = f
    ordered = tuple(by_name.values())
    seen_default = False
    for f in ordered:
        if f.default is not MISSING or f.default_factory is not MISSING:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    setattr(cls, _FIELDS, ordered)
    methods = {
        "__init__": _init(cls, ordered),
        "__repr__": _repr(ordered),
        "__eq__": _eq(ordered),
        "__match_args__": tuple(f.name for f in ordered),
    }
    for name, method in methods.items():
        if name not in cls.__dict__:
            setattr(cls, name, method)
    if "__hash__" not in cls.__dict__ or cls.__dict__["__hash__"] is None:
        # as dataclasses: eq without frozen makes instances unhashable
        cls.__hash__ = _hash(ordered) if frozen else None  # type: ignore[assignment]
    if frozen:
        cls.__setattr__ = _frozen_setattr  # type: ignore[assignment,method-assign]
        cls.__delattr__ = _frozen_delattr  # type: ignore[assignment,method-assign]
    return cls


def _init(cls: type, ordered: tuple[Field, ...]) -> Callable[..., None]:
    names = tuple(f.name for f in ordered)
    known = set(names)
    count = len(names)
    post_init = getattr(cls, "__post_init__", None) is not None
    title = cls.__qualname__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        # the fields go into the instance's __dict__ in one update, in field order:
        # one call for all, where a setattr each made a wide row (a container's 17
        # fields) cost ~13 µs, and the API's container list builds a hundred of them
        if len(args) == count and not kwargs:
            self.__dict__.update(zip(names, args, strict=True))
        else:
            self.__dict__.update(_values_of(args, kwargs))
        if post_init:
            self.__post_init__()

    def _values_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if len(args) > count:
            raise TypeError(
                f"{title}.__init__() takes {count + 1} positional arguments "
                f"but {len(args) + 1} were given"
            )
        given = dict(zip(names, args, strict=False))
        for key, value in kwargs.items():
            if key not in known:
                raise TypeError(f"{title}.__init__() got an unexpected keyword argument {key!r}")
            if key in given:
                raise TypeError(f"{title}.__init__() got multiple values for argument {key!r}")
            given[key] = value
        values = {}
        for f in ordered:
            if f.name in given:
                values[f.name] = given[f.name]
            elif f.default is not MISSING:
                values[f.name] = f.default
            elif f.default_factory is not MISSING:
                values[f.name] = f.default_factory()
            else:
                raise TypeError(f"{title}.__init__() missing 1 required argument: {f.name!r}")
        return values

    return __init__


def _repr(ordered: tuple[Field, ...]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in ordered)
        return f"{type(self).__qualname__}({inner})"

    return __repr__


def _values(self: Any, ordered: tuple[Field, ...]) -> tuple[Any, ...]:
    return tuple(getattr(self, f.name) for f in ordered)


def _eq(ordered: tuple[Field, ...]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _values(self, ordered) == _values(other, ordered)

    return __eq__


def _hash(ordered: tuple[Field, ...]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(_values(self, ordered))

    return __hash__


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    if name in {f.name for f in getattr(self, _FIELDS)}:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def _frozen_delattr(self: Any, name: str) -> None:
    if name in {f.name for f in getattr(self, _FIELDS)}:
        raise FrozenInstanceError(f"cannot delete field {name!r}")
    object.__delattr__(self, name)
