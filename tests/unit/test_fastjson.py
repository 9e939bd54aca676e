"""fastjson gives json's text and json's errors for the same arguments."""

from __future__ import annotations

import json

import pytest

from portside import fastjson

DOCUMENTS = [
    {},
    [],
    "text",
    5,
    None,
    [float("nan"), float("inf"), -0.0, 10**30, 1.5e-7, True, False],
    {
        "Id": "sha256:" + "a" * 64,
        "Config": {"Env": ["PATH=/bin", 'A=é\u2028\n\t"\\'], "Labels": {}, "Cmd": None},
        "RootFS": {"Type": "layers", "Layers": []},
        "nested": [[], [{}], [[1, [2, {"x": ("tuple", 3)}]]]],
    },
]
ARGUMENTS = [
    {},
    {"indent": 4, "ensure_ascii": False},
    {"indent": 2},
    {"separators": (",", ":")},
    {"sort_keys": True, "separators": (",", ":")},
    {"ensure_ascii": False},
    {"indent": 4, "sort_keys": True},
]


@pytest.mark.parametrize("kwargs", ARGUMENTS)
@pytest.mark.parametrize("document", DOCUMENTS)
def test_dumps_writes_what_json_writes(document: object, kwargs: dict[str, object]) -> None:
    assert fastjson.dumps(document, **kwargs) == json.dumps(document, **kwargs)  # type: ignore[arg-type]


def test_member_names_that_are_not_strings_become_strings_as_in_json() -> None:
    document = {1: "a", 2.5: "b", False: "c", None: "d", "e": {7: []}}
    for kwargs in ({}, {"indent": 4}):
        assert fastjson.dumps(document, **kwargs) == json.dumps(document, **kwargs)  # type: ignore[arg-type]


def test_default_turns_other_objects_into_json_values() -> None:
    class Point:
        def __init__(self, x: int) -> None:
            self.x = x

    def default(o: object) -> object:
        assert isinstance(o, Point)
        return {"x": o.x}

    value = {"points": [Point(1), Point(2)]}
    for kwargs in ({}, {"indent": 4}):
        ours = fastjson.dumps(value, default=default, **kwargs)  # type: ignore[arg-type]
        assert ours == json.dumps(value, default=default, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Object of type Point is not JSON serializable"):
        fastjson.dumps(Point(1))


@pytest.mark.parametrize("document", DOCUMENTS)
def test_loads_reads_what_json_reads(document: object) -> None:
    text = json.dumps(document, indent=4)
    assert repr(fastjson.loads(text)) == repr(json.loads(text))
    assert repr(fastjson.loads(text.encode())) == repr(json.loads(text.encode()))
    padded = " \n\t" + text + "\r\n "
    assert repr(fastjson.loads(padded)) == repr(json.loads(padded))


def test_loads_skips_a_utf8_byte_order_mark_in_bytes_as_json_does() -> None:
    data = b'\xef\xbb\xbf{"a": 1}'
    assert fastjson.loads(data) == json.loads(data) == {"a": 1}


@pytest.mark.parametrize(
    "text", ["", " ", "{", "[1,]", "1 2", '{"a":1}x', "nul", '{"a" 1}', '"\x01"', "[1]\x0b"]
)
def test_bad_text_raises_jsons_error_with_its_message(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as ours:
        fastjson.loads(text)
    assert str(ours.value) == str(theirs.value)
    assert (ours.value.pos, ours.value.lineno, ours.value.colno) == (
        theirs.value.pos,
        theirs.value.lineno,
        theirs.value.colno,
    )


def test_importing_it_leaves_json_and_re_unloaded() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from portside import fastjson; "
        "fastjson.loads(fastjson.dumps({'a': [1, 'b']}, indent=4)); "
        "print(sorted({'json', 're', 'enum'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("text", ['{"a', '"\x01"', "[1,]", '{"a" 1}', '["x\\q"]', "{", "nul"])
def test_bad_text_raises_jsons_error_where_json_was_never_imported(text: str) -> None:
    """_json raises an error inside a value through json.decoder, found only when
    imported: in a fresh interpreter (as a command is) that was a SystemError."""
    import subprocess
    import sys

    probe = (
        "import sys; from portside import fastjson\n"
        "try:\n"
        "    fastjson.loads(sys.argv[1])\n"
        "except ValueError as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, text], capture_output=True, text=True, check=True
    )
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    assert out.stdout.strip() == f"JSONDecodeError {theirs.value}"
