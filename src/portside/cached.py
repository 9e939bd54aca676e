"""``cached_property``, without importing functools.

functools imports collections (for ``namedtuple``), and the two cost ~2.5 ms of a
command's start here. A command that opens the store loads them anyway (SQLite's module
does); one that does not, as ``version`` and ``--help``, need not, and the engine and
the CLI's context use this (docs/architecture.md). This is the same descriptor:
computed at the first read, then kept in the instance's ``__dict__``, where later reads
find it first. Type checkers see functools' own.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from functools import cached_property as cached_property
else:

    class cached_property:  # noqa: N801 - functools' name
        def __init__(self, func):
            self.func = func
            self.name = func.__name__
            self.__doc__ = func.__doc__

        def __set_name__(self, owner, name):
            self.name = name

        def __get__(self, instance, owner=None):
            if instance is None:
                return self
            value = instance.__dict__[self.name] = self.func(instance)
            return value
