"""A Compose file read with PyYAML, every mapping remembering the line of each key.

Compose files are YAML with anchors (``&x``/``*x``) and merge keys (``<<: *x``), which
PyYAML's safe loader resolves; what it forgets is where things were. Here each mapping
is a :class:`Located` dict whose ``marks`` give the file and line of every key, so checks
that come later can say ``compose.yaml:12: services.web.ports``. A merged key keeps
the line where its anchor wrote it.

Only YAML 1.2's booleans are booleans (``true``/``false``), as in Compose (go-yaml v3):
``yes``, ``no``, ``on`` and ``off`` stay strings, so ``restart: no`` is the word "no".

PyYAML is imported only here, when a compose command reads its files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import ComposeFileError


class Located(dict[str, Any]):
    """A mapping read from a file: ``marks[key]`` is the file and line of ``key``;
    ``mark`` the mapping's own. Merging files keeps each key's mark."""

    mark: tuple[str, int] = ("", 0)
    marks: dict[str, tuple[str, int]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.marks = {}

    def mark_of(self, key: str) -> tuple[str, int]:
        return self.marks.get(key, self.mark)

    def like(self) -> Located:
        """An empty mapping with this one's marks (for a copy of it)."""
        out = Located()
        out.mark, out.marks = self.mark, dict(self.marks)
        return out


class _Loader(yaml.SafeLoader):
    shown = ""  # the file's name in messages


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    loader.flatten_mapping(node)  # merge keys (<<) first, as SafeLoader's own does
    out = Located()
    out.mark = (loader.shown, node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) or key is None:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a string", key_node.start_mark
            )
        key = str(key) if not isinstance(key, bool) else str(key).lower()
        # a later key overrides one merged in with << (flatten_mapping puts those first)
        out[key] = loader.construct_object(value_node, deep=True)
        out.marks[key] = (loader.shown, key_node.start_mark.line + 1)
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)

# YAML 1.2 core booleans only: drop 1.1's yes/no/on/off resolver and add the narrow one
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load(path: Path, shown: str) -> Located:
    """The file's top-level mapping; a YAML error as ``shown:LINE: message``."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ComposeFileError(shown, 0, "", "no such file or directory") from None
    except OSError as e:
        raise ComposeFileError(shown, 0, "", e.strerror or str(e)) from None
    try:
        loader = _Loader(text)
        loader.shown = shown
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise ComposeFileError(shown, line, "", f"yaml: {e.problem or e}") from None
    except yaml.YAMLError as e:
        raise ComposeFileError(shown, 0, "", f"yaml: {e}") from None
    if data is None:
        raise ComposeFileError(shown, 0, "", "empty compose file")
    if not isinstance(data, Located):
        raise ComposeFileError(shown, 1, "", "top-level object must be a mapping")
    return data


def dump(data: Any) -> str:
    """The model as ``compose config`` prints it: block style, keys in order given."""

    class _Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(Located, lambda d, m: d.represent_dict(dict(m)))
    _Dumper.add_representer(str, text)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False)
