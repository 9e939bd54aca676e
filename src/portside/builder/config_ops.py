"""Instructions that change only the image config (no filesystem change).

Shared by ``import --change``, ``commit --change`` and the builder. The config is the
``config`` object of an image (Docker's field names: Env, Cmd, Entrypoint, ...).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from ..errors import InvalidArgument
from ..records import dataclass, field
from ..timefmt import duration_ns
from .parser import Node, parse_line
from .shell import process_word, process_words

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

CHANGE_INSTRUCTIONS = frozenset(
    {
        "CMD",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "LABEL",
        "USER",
        "WORKDIR",
        "VOLUME",
        "STOPSIGNAL",
        "ONBUILD",
    }
)


def env_map(env: list[str] | None) -> dict[str, str]:
    """A config's ``Env`` list as a mapping (a later entry of a name wins)."""
    out: dict[str, str] = {}
    for item in env or []:
        key, _, value = item.partition("=")
        out[key] = value
    return out


@dataclass
class ConfigState:
    """A config being changed, plus the builder's memory of whether CMD was set."""

    config: dict[str, Any]
    cmd_set: bool = False
    shell: list[str] = field(default_factory=lambda: ["/bin/sh", "-c"])

    def env_map(self) -> dict[str, str]:
        return env_map(self.config.get("Env"))

    def set_env(self, key: str, value: str) -> None:
        env = [e for e in self.config.get("Env") or [] if e.partition("=")[0] != key]
        env.append(f"{key}={value}")
        self.config["Env"] = env


def _pairs(node: Node, env: dict[str, str]) -> list[tuple[str, str]]:
    words = process_words(node.text, env)
    if not words:
        raise InvalidArgument(f"{node.instruction} requires at least one argument")
    if "=" not in words[0]:
        # legacy form: NAME value with spaces
        key = words[0]
        value_text = node.text.split(None, 1)[1] if len(node.text.split(None, 1)) > 1 else ""
        if not value_text:
            raise InvalidArgument(
                f"{node.instruction} names can not be blank"
                if not key
                else f"{node.instruction} requires a value for {key}"
            )
        return [(key, process_word(value_text.strip(), env))]
    pairs = []
    for word in words:
        key, eq, value = word.partition("=")
        if not eq:
            raise InvalidArgument(f"{node.instruction}: key=value expected, got {word!r}")
        if not key:
            raise InvalidArgument(f"{node.instruction} names can not be blank")
        pairs.append((key, value))
    return pairs


def _command(node: Node, state: ConfigState) -> list[str]:
    exec_form = node.json
    if exec_form is not None:
        return exec_form
    if not node.text:
        return []
    return [*state.shell, node.text]


def expand_ports(specs: list[str]) -> list[str]:
    out: list[str] = []
    for spec in specs:
        # PORT[-PORT][/tcp|udp|sctp], read by hand: re costs a build ~7 ms to import
        ports, slash, proto = spec.partition("/")
        first_text, dash, last_text = ports.partition("-")
        numbers = [first_text, last_text] if dash else [first_text]
        if not all(n.isascii() and n.isdigit() for n in numbers) or (
            slash and proto not in ("tcp", "udp", "sctp")
        ):
            raise InvalidArgument(f"invalid containerPort: {spec}")
        first = int(first_text)
        last = int(last_text or first)
        proto = proto or "tcp"
        if last < first or last > 65535:
            raise InvalidArgument(f"invalid range specified for container port: {spec}")
        out.extend(f"{port}/{proto}" for port in range(first, last + 1))
    return out


def apply(state: ConfigState, node: Node, args: Mapping[str, str] | None = None) -> None:
    """Apply one config instruction to ``state`` (Docker's semantics); ``args`` are the
    build args in scope, for expansion (an ENV of the same name wins over them)."""
    cfg = state.config
    env = {**(args or {}), **state.env_map()}
    op = node.instruction
    if op == "CMD":
        cfg["Cmd"] = _command(node, state)
        state.cmd_set = True
    elif op == "ENTRYPOINT":
        cfg["Entrypoint"] = _command(node, state) or None
        if not state.cmd_set:
            cfg["Cmd"] = None
    elif op == "ENV":
        for key, value in _pairs(node, env):
            state.set_env(key, value)
            env[key] = value
    elif op == "LABEL":
        labels = dict(cfg.get("Labels") or {})
        for key, value in _pairs(node, env):
            labels[key] = value
        cfg["Labels"] = labels
    elif op == "EXPOSE":
        ports = dict(cfg.get("ExposedPorts") or {})
        for port in expand_ports(process_words(node.text, env)):
            ports[port] = {}
        cfg["ExposedPorts"] = ports
    elif op == "USER":
        user = process_word(node.text, env)
        if not user:
            raise InvalidArgument("USER requires exactly one argument")
        cfg["User"] = user
    elif op == "WORKDIR":
        path = process_word(node.text, env)
        if not path:
            raise InvalidArgument("WORKDIR requires exactly one argument")
        cfg["WorkingDir"] = posixpath.normpath(
            posixpath.join("/", cfg.get("WorkingDir") or "/", path)
        )
    elif op == "VOLUME":
        paths = node.json if node.json is not None else process_words(node.text, env)
        if not paths or any(not p.strip() for p in paths):
            raise InvalidArgument("VOLUME specified can not be an empty string")
        volumes = dict(cfg.get("Volumes") or {})
        for p in paths:
            volumes[p] = {}
        cfg["Volumes"] = volumes
    elif op == "STOPSIGNAL":
        from ..signals import parse_signal

        sig = process_word(node.text, env)
        parse_signal(sig)
        cfg["StopSignal"] = sig
    elif op == "ONBUILD":
        inner = parse_line(node.text, node.line)
        if inner.instruction in ("ONBUILD", "FROM", "MAINTAINER"):
            raise InvalidArgument(f"{inner.instruction} isn't allowed as an ONBUILD trigger")
        cfg["OnBuild"] = [*(cfg.get("OnBuild") or []), inner.source]
    else:
        raise InvalidArgument(f"{op} is not a config instruction")


def healthcheck(node: Node) -> dict[str, Any]:
    """HEALTHCHECK's config (``NONE``, or a test with its options)."""
    kind, _, rest = node.text.partition(" ")
    if kind.upper() == "NONE":
        return {"Test": ["NONE"]}
    rest = rest.strip()
    cmd = parse_line("CMD " + rest)
    test = ["CMD", *cmd.json] if cmd.json is not None else ["CMD-SHELL", rest]
    out: dict[str, Any] = {"Test": test}
    for flag, field_name in (
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start-period", "StartPeriod"),
        ("start-interval", "StartInterval"),
    ):
        if flag in node.flags:
            out[field_name] = duration_ns(node.flags[flag])  # checked by instructions.py
    if "retries" in node.flags:
        out["Retries"] = int(node.flags["retries"])
    return out


def apply_changes(config: dict[str, Any], changes: list[str]) -> dict[str, Any]:
    """Apply ``--change`` lines (import, commit) to a copy of ``config``."""
    state = ConfigState(dict(config))
    for text in changes:
        node = parse_line(text)
        if node.instruction not in CHANGE_INSTRUCTIONS:
            raise InvalidArgument(f"{node.instruction} is not a valid change command")
        try:
            apply(state, node)
        except InvalidArgument as e:
            raise InvalidArgument(f"invalid --change {text!r}: {e}") from None
    return state.config
