"""portside.records behaves as the dataclasses it stands in for, where portside uses them."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from portside.records import FrozenInstanceError, dataclass, field, fields, replace


@dataclass
class Row:
    id: str
    size: int = 0
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Ref:
    name: str
    tag: str = "latest"

    def __str__(self) -> str:
        return f"{self.name}:{self.tag}"


@dataclass
class Child(Row):
    extra: str = ""


def test_init_positional_keyword_and_defaults() -> None:
    assert Row("a").size == 0 and Row("a").tags == []
    row = Row("a", 3, tags=["x"])
    assert (row.id, row.size, row.tags) == ("a", 3, ["x"])
    assert Row("a").tags is not Row("a").tags  # a fresh list for each
    assert "tags" not in Row.__dict__ and Row.size == 0  # class attributes as dataclasses
    with pytest.raises(TypeError, match="missing 1 required argument: 'id'"):
        Row()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        Row("a", nope=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="multiple values for argument 'id'"):
        Row("a", id="b")  # type: ignore[misc]
    with pytest.raises(TypeError, match="takes 4 positional arguments but 5 were given"):
        Row("a", 1, [], 2)  # type: ignore[call-arg]


def test_repr_eq_and_hash() -> None:
    assert repr(Row("a", 1)) == "Row(id='a', size=1, tags=[])"
    assert Row("a", 1) == Row("a", 1) and Row("a", 1) != Row("a", 2)
    assert Row("a") != Child("a")  # another class is never equal
    with pytest.raises(TypeError):
        hash(Row("a"))  # mutable records are unhashable, as dataclasses makes them
    assert {Ref("a"): 1}[Ref("a")] == 1
    assert str(Ref("busybox")) == "busybox:latest"  # a method of its own is kept


def test_frozen_refuses_assignment_but_copies() -> None:
    ref = Ref("a")
    with pytest.raises(FrozenInstanceError):
        ref.name = "b"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del ref.tag  # type: ignore[misc]
    assert copy.deepcopy(ref) == ref and replace(ref, tag="1") == Ref("a", "1")
    assert ref.tag == "latest"


def test_inheritance_fields_and_replace() -> None:
    assert [f.name for f in fields(Child)] == ["id", "size", "tags", "extra"]
    child = Child("a", extra="e")
    assert replace(child, size=5) == Child("a", 5, [], "e")
    assert child.size == 0
    with pytest.raises(TypeError):
        fields(object())


def test_post_init_and_definition_errors() -> None:
    seen: list[str] = []

    @dataclass
    class Checked:
        value: str

        def __post_init__(self) -> None:
            seen.append(self.value)

    Checked("x")
    assert seen == ["x"]
    with pytest.raises(ValueError, match="mutable default"):

        @dataclass
        class Bad:
            items: list[str] = []

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @dataclass
        class Order:
            a: int = 0
            b: int  # type: ignore[misc]


def test_no_command_imports_dataclasses() -> None:
    """The point of the module: the stdlib's dataclasses (and inspect) stay unloaded."""
    code = (
        "import sys, portside.cli.main, portside.engine.containers, portside.engine.builds;"
        "print('dataclasses' in sys.modules, 'inspect' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
