"""Go ``text/template`` as Docker's ``--format`` uses it, for JSON-like data.

Supported: text, ``{{.A.B}}``, ``{{$}}``, variables (``{{range $i, $v := .L}}``),
pipelines (``{{.X | json}}``), parenthesised calls, string/number/bool literals,
``if``/``else if``/``else``/``end``, ``range`` (with ``else``), ``with``, trim markers
``{{-``/``-}}``, and the functions Docker adds or relies on: json, index, len, join,
split, lower, upper, title, truncate, pad, print, printf, println, eq, ne, lt, le, gt,
ge, and, or, not. Anything else is a ``TemplateError``: never silently wrong output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .. import fastjson
from ..errors import UsageError
from ..records import dataclass, field

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


class TemplateError(UsageError):
    pass


# -- lexing ------------------------------------------------------------------------
_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<raw>`[^`]*`)
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
    | (?P<field>(?:\.[A-Za-z0-9_]+)+|\.)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>:=|[()|,=])
    )""",
    re.X,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise TemplateError(
                f"template: unexpected {text[pos:].strip()[:20]!r} in {{{{{text}}}}}"
            )
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


# -- tree ------------------------------------------------------------------------
@dataclass
class Pipeline:
    decl: list[str]
    commands: list[list[tuple[str, Any]]]


@dataclass
class Block:
    kind: str  # "if", "range", "with"
    pipe: Pipeline
    body: list[Any] = field(default_factory=list)
    else_body: list[Any] = field(default_factory=list)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items = self._split(source)
        self.pos = 0

    @staticmethod
    def _split(source: str) -> list[tuple[str, str]]:
        items: list[tuple[str, str]] = []
        last = 0
        trim_next = False
        for m in _ACTION.finditer(source):
            text = source[last : m.start()]
            if trim_next:
                text = text.lstrip()
            if m.group(1):
                text = text.rstrip()
            if text:
                items.append(("text", text))
            body = m.group(2).strip()
            if not body.startswith("/*"):
                items.append(("action", body))
            trim_next = bool(m.group(3))
            last = m.end()
        tail = source[last:]
        if "{{" in tail:
            raise TemplateError(f"template: unclosed action in {source!r}")
        if trim_next:
            tail = tail.lstrip()
        if tail:
            items.append(("text", tail))
        return items

    def parse(self) -> list[Any]:
        nodes, end = self._list()
        if end is not None:
            raise TemplateError(f"template: unexpected {{{{{end}}}}}")
        return nodes

    def _list(self) -> tuple[list[Any], str | None]:
        nodes: list[Any] = []
        while self.pos < len(self.items):
            kind, value = self.items[self.pos]
            self.pos += 1
            if kind == "text":
                nodes.append(value)
                continue
            word = value.split(None, 1)[0] if value else ""
            rest = value[len(word) :].strip()
            if word in ("end", "else"):
                return nodes, value
            if word in ("if", "range", "with"):
                nodes.append(self._block(word, rest))
            elif word in ("define", "template", "block", "break", "continue"):
                raise TemplateError(f"template: {{{{{word}}}}} is not supported by portside")
            else:
                nodes.append(self._pipeline(value))
        return nodes, None

    def _block(self, kind: str, rest: str) -> Block:
        block = Block(kind, self._pipeline(rest))
        block.body, end = self._list()
        while end is not None and end.startswith("else"):
            after = end[4:].strip()
            if after.startswith("if ") and kind == "if":
                inner = Block("if", self._pipeline(after[3:]))
                inner.body, end = self._list()
                if end is not None and end.startswith("else"):
                    # let the inner block take the rest of the chain
                    self.pos -= 1
                    self.items[self.pos] = ("action", "__chain__ " + end)
                    inner.else_body, end = self._chain(inner)
                block.else_body = [inner]
                break
            block.else_body, end = self._list()
            break
        if end != "end":
            raise TemplateError(f"template: missing {{{{end}}}} for {{{{{kind}}}}}")
        return block

    def _chain(self, inner: Block) -> tuple[list[Any], str | None]:
        _, value = self.items[self.pos]
        self.pos += 1
        end = value.removeprefix("__chain__ ")
        after = end[4:].strip()
        if after.startswith("if "):
            nested = Block("if", self._pipeline(after[3:]))
            nested.body, end2 = self._list()
            if end2 is not None and end2.startswith("else"):
                self.pos -= 1
                self.items[self.pos] = ("action", "__chain__ " + end2)
                nested.else_body, end2 = self._chain(nested)
            return [nested], end2
        return self._list()

    def _pipeline(self, text: str) -> Pipeline:
        tokens = _tokens(text)
        decl: list[str] = []
        if ":=" in [t[1] for t in tokens if t[0] == "punct"]:
            i = [t[1] for t in tokens].index(":=")
            decl = [t[1] for t in tokens[:i] if t[0] == "var"]
            tokens = tokens[i + 1 :]
        commands: list[list[tuple[str, Any]]] = [[]]
        stack: list[list[list[tuple[str, Any]]]] = []
        for kind, value in tokens:
            if kind == "punct" and value == "|":
                commands.append([])
            elif kind == "punct" and value == "(":
                stack.append(commands)
                commands = [[]]
            elif kind == "punct" and value == ")":
                if not stack:
                    raise TemplateError(f"template: unexpected ')' in {{{{{text}}}}}")
                sub = Pipeline([], commands)
                commands = stack.pop()
                commands[-1].append(("pipe", sub))
            elif kind == "punct" and value == ",":
                continue
            else:
                commands[-1].append((kind, value))
        if stack:
            raise TemplateError(f"template: unclosed '(' in {{{{{text}}}}}")
        if any(not c for c in commands):
            raise TemplateError(f"template: missing value in {{{{{text}}}}}")
        return Pipeline(decl, commands)


# -- evaluation --------------------------------------------------------------------
class _NoValue:
    """What Go yields for a missing map key: prints ``<no value>``, is false, JSON null."""

    def __bool__(self) -> bool:
        return False


NO_VALUE = _NoValue()


def go_str(value: Any) -> str:
    """Format as Go's fmt %v does for JSON-like values."""
    if value is NO_VALUE:
        return "<no value>"
    if value is None:
        return "<nil>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + " ".join(go_str(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{go_str(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def go_json(value: Any) -> str:
    text = fastjson.dumps(
        None if value is NO_VALUE else value, separators=(",", ":"), ensure_ascii=False
    )
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _truthy(value: Any) -> bool:
    return bool(value)


def _index(value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, Mapping):
            value = value.get(key)
        elif isinstance(value, list):
            if not isinstance(key, int) or not 0 <= key < len(value):
                raise TemplateError(f"template: index out of range: {key}")
            value = value[key]
        else:
            raise TemplateError(f"template: can't index item of type {type(value).__name__}")
    return value


def _printf(fmt: str, *args: Any) -> str:
    out = re.sub(r"%[-+ #0-9.]*[vsdqf%]", lambda m: "\0" + m.group(0) + "\0", fmt)
    parts = out.split("\0")
    it = iter(args)
    result = []
    for part in parts:
        if part.startswith("%") and part != "%%":
            verb = part[-1]
            arg = next(it, None)
            if verb == "q":
                result.append(fastjson.dumps(go_str(arg)))
            elif verb in "vs":
                result.append(("%" + part[1:-1] + "s") % go_str(arg))
            else:
                result.append(part % arg)
        elif part == "%%":
            result.append("%")
        else:
            result.append(part)
    return "".join(result)


def _title(s: str) -> str:
    return re.sub(r"\b[a-z]", lambda m: m.group(0).upper(), s)


def _truncate(s: Any, n: int) -> str:
    text = go_str(s)
    return text[:n]


FUNCS: dict[str, Callable[..., Any]] = {
    "json": go_json,
    "index": _index,
    "len": lambda v: len(v) if v is not None else 0,
    "join": lambda items, sep: sep.join(go_str(i) for i in items or []),
    "split": lambda s, sep: s.split(sep),
    "lower": lambda s: go_str(s).lower(),
    "upper": lambda s: go_str(s).upper(),
    "title": lambda s: _title(go_str(s)),
    "truncate": _truncate,
    "pad": lambda s, left, right: " " * left + go_str(s) + " " * right,
    "print": lambda *a: "".join(go_str(x) for x in a),
    "println": lambda *a: " ".join(go_str(x) for x in a) + "\n",
    "printf": _printf,
    "eq": lambda a, *b: any(a == x for x in b),
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "not": lambda a: not _truthy(a),
    "and": lambda *a: next((x for x in a if not _truthy(x)), a[-1]),
    "or": lambda *a: next((x for x in a if _truthy(x)), a[-1]),
}


class Template:
    def __init__(self, source: str) -> None:
        self.source = source
        self.nodes = _Parser(source).parse()

    def render(self, data: Any) -> str:
        out: list[str] = []
        self._exec(self.nodes, data, {"$": data}, out)
        return "".join(out)

    def _exec(self, nodes: list[Any], dot: Any, vars: dict[str, Any], out: list[str]) -> None:
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            elif isinstance(node, Pipeline):
                value = self._pipe(node, dot, vars)
                if not node.decl:
                    out.append(go_str(value))
            elif isinstance(node, Block):
                self._block(node, dot, vars, out)

    def _block(self, node: Block, dot: Any, vars: dict[str, Any], out: list[str]) -> None:
        value = self._pipe(Pipeline([], node.pipe.commands), dot, vars)
        if node.kind == "if":
            self._exec(node.body if _truthy(value) else node.else_body, dot, vars, out)
        elif node.kind == "with":
            if _truthy(value):
                scope = dict(vars)
                if node.pipe.decl:
                    scope[node.pipe.decl[0]] = value
                self._exec(node.body, value, scope, out)
            else:
                self._exec(node.else_body, dot, vars, out)
        else:
            if isinstance(value, Mapping):
                items = [(k, value[k]) for k in sorted(value)]
            elif isinstance(value, list):
                items = list(enumerate(value))
            elif value is None:
                items = []
            else:
                raise TemplateError(f"template: range can't iterate over {go_str(value)}")
            if not items:
                self._exec(node.else_body, dot, vars, out)
            for key, item in items:
                scope = dict(vars)
                if len(node.pipe.decl) == 1:
                    scope[node.pipe.decl[0]] = item
                elif len(node.pipe.decl) == 2:
                    scope[node.pipe.decl[0]] = key
                    scope[node.pipe.decl[1]] = item
                self._exec(node.body, item, scope, out)

    def _pipe(self, pipe: Pipeline, dot: Any, vars: dict[str, Any]) -> Any:
        value: Any = None
        first = True
        for command in pipe.commands:
            value = self._command(command, dot, vars, None if first else (value,))
            first = False
        for name in pipe.decl:
            vars[name] = value
        return value

    def _command(
        self,
        command: list[tuple[str, Any]],
        dot: Any,
        vars: dict[str, Any],
        piped: tuple[Any, ...] | None,
    ) -> Any:
        kind, value = command[0]
        if kind == "ident" and value not in ("true", "false", "nil"):
            func = FUNCS.get(value)
            if func is None:
                raise TemplateError(f'template: function "{value}" not defined')
            args = [self._operand(k, v, dot, vars) for k, v in command[1:]]
            if piped is not None:
                args.extend(piped)
            try:
                return func(*args)
            except TemplateError:
                raise
            except (TypeError, ValueError, KeyError) as e:
                raise TemplateError(f"template: error calling {value}: {e}") from None
        if len(command) > 1 or piped is not None:
            raise TemplateError(f"template: can't give argument to non-function {value}")
        return self._operand(kind, value, dot, vars)

    def _operand(self, kind: str, value: Any, dot: Any, vars: dict[str, Any]) -> Any:
        if kind == "str":
            return fastjson.loads(value)
        if kind == "raw":
            return value[1:-1]
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind == "ident":
            if value in ("true", "false"):
                return value == "true"
            if value == "nil":
                return None
            raise TemplateError(f"template: function {value} used as a value")
        if kind == "pipe":
            return self._pipe(value, dot, vars)
        if kind == "field":
            return _fields(dot, value)
        if kind == "var":
            name, _, rest = value.partition(".")
            if name not in vars:
                raise TemplateError(f"template: undefined variable: {name}")
            return _fields(vars[name], "." + rest if rest else ".")
        raise TemplateError(f"template: unexpected {value}")


def _fields(value: Any, chain: str) -> Any:
    if chain == ".":
        return value
    for name in chain.strip(".").split("."):
        if isinstance(value, Mapping):
            if name in value:
                value = value[name]
            elif _is_struct(value):
                raise TemplateError(f"template: can't evaluate field {name}")
            else:
                return NO_VALUE
        elif value is None or value is NO_VALUE:
            return NO_VALUE
        else:
            raise TemplateError(f"template: can't evaluate field {name} in {go_str(value)}")
    return value


def _is_struct(value: Mapping[str, Any]) -> bool:
    return bool(value) and all(isinstance(k, str) and k[:1].isupper() for k in value)


def render(source: str, data: Any) -> str:
    return Template(source).render(data)
