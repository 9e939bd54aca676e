"""Parsed nodes -> a checked build plan: ARGs before the first FROM, then the stages.

Everything that can be known without running anything is checked here, before the
first step runs: each instruction's flags and argument count, FROM's form and stage
names, HEALTHCHECK's type and options, ONBUILD's trigger, SHELL's JSON form, RUN's
``--mount`` options (mounts.py), ``--network`` and ``--security``. Every error
is ``Dockerfile:LINE: ...`` (messages as Docker's builder words them).
"""

from __future__ import annotations

from ..errors import DockerfileError, InvalidArgument
from ..records import dataclass, field
from ..timefmt import duration_ns
from .dockerfile import Dockerfile
from .parser import Node, parse_line
from .shell import process_words

FLAGS: dict[str, frozenset[str]] = {
    "FROM": frozenset({"platform"}),
    "RUN": frozenset({"mount", "network", "security"}),
    "COPY": frozenset({"from", "chown", "chmod", "link", "parents", "exclude"}),
    "ADD": frozenset({"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude"}),
    "HEALTHCHECK": frozenset({"interval", "timeout", "start-period", "start-interval", "retries"}),
}
# these take their whole argument text as one value (a WORKDIR may hold spaces)
EXACTLY_ONE = frozenset({"USER", "WORKDIR", "STOPSIGNAL", "MAINTAINER"})
AT_LEAST_ONE = frozenset({"RUN", "ENV", "LABEL", "ARG", "EXPOSE", "VOLUME", "ONBUILD"})
# a stage name: [a-z][a-z0-9-_.]* (checked by hand: re is not loaded for a build)
_STAGE_REST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")
BOOL_FLAGS = ("parents", "link", "keep-git-dir")  # COPY/ADD flags that are on or off
# ADD --checksum: a digest (a URL's or a file's bytes), or a git commit (hex)
_CHECKSUM = r"^(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128}|[0-9a-f]{7,64})$"


@dataclass
class Stage:
    base: str  # the image or earlier stage it starts from, unexpanded
    name: str | None  # FROM ... AS name (lower case)
    index: int
    line: int
    platform: str | None = None
    nodes: list[Node] = field(default_factory=list)


@dataclass
class BuildPlan:
    global_args: list[Node]  # ARGs before the first FROM
    stages: list[Stage]

    def stage(self, ref: str) -> Stage | None:
        """A stage by name or index, as ``--target`` and ``COPY --from`` name them."""
        for stage in self.stages:
            if stage.name == ref.lower() or str(stage.index) == ref:
                return stage
        return None


def plan(dockerfile: Dockerfile) -> BuildPlan:
    name = dockerfile.name
    if not dockerfile.nodes:
        raise DockerfileError(name, 1, "the Dockerfile cannot be empty")
    global_args: list[Node] = []
    stages: list[Stage] = []
    for node in dockerfile.nodes:
        check(node, name, dockerfile.escape)
        if node.instruction == "FROM":
            stage = _stage(node, len(stages), name)
            if stage.name and any(s.name == stage.name for s in stages):
                raise DockerfileError(name, node.line, f'duplicate stage name "{stage.name}"')
            stages.append(stage)
        elif not stages:
            if node.instruction != "ARG":
                raise DockerfileError(
                    name, node.line, f"{node.instruction}: no build stage in current context"
                )
            global_args.append(node)
        else:
            stages[-1].nodes.append(node)
    if not stages:
        raise DockerfileError(name, dockerfile.nodes[-1].line, "no build stage: FROM is missing")
    return BuildPlan(global_args, stages)


def _stage_name(name: str) -> bool:
    return "a" <= name[:1] <= "z" and _STAGE_REST.issuperset(name[1:])


def _checksum(text: str) -> bool:
    import re  # only for ADD --checksum

    return re.match(_CHECKSUM, text) is not None


def _stage(node: Node, index: int, file: str) -> Stage:
    words = node.text.split()
    if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
        raise DockerfileError(file, node.line, "FROM requires either one or three arguments")
    stage_name = words[2].lower() if len(words) == 3 else None
    if stage_name is not None and not _stage_name(stage_name):
        raise DockerfileError(
            file,
            node.line,
            f'invalid name for build stage: "{words[2]}", '
            "name can't start with a number or contain symbols",
        )
    return Stage(words[0], stage_name, index, node.line, node.flags.get("platform"))


def check(node: Node, file: str, escape: str = "\\") -> None:
    """One instruction's flags and arguments, before anything runs."""
    op = node.instruction

    def fail(message: str) -> DockerfileError:
        return DockerfileError(file, node.line, message)

    allowed = FLAGS.get(op, frozenset())
    for flag in node.flags:
        if flag not in allowed:
            raise fail(f"unknown flag: --{flag}")
    text = node.text
    if op in AT_LEAST_ONE and not text:
        raise fail(f"{op} requires at least one argument")
    if op in EXACTLY_ONE and not text:
        raise fail(f"{op} requires exactly one argument")
    if op in ("COPY", "ADD"):
        args = node.json if node.json is not None else text.split()
        if len(args) < 2 and not (node.heredocs and len(args) == 1):
            if len(args) == 1:
                raise fail(
                    f"{op} requires at least two arguments, but only one was provided. "
                    "Destination could not be determined."
                )
            raise fail(f"{op} requires at least two arguments")
        if "from" in node.flags and op == "COPY" and not node.flags["from"]:
            raise fail("COPY --from needs a stage name, index or image")
        for flag in BOOL_FLAGS:
            if flag in node.flags and flag_on(node, flag) is None:
                raise fail(f"invalid --{flag}={node.flags[flag]}: true or false")
        checksum = node.flags.get("checksum")
        if checksum is not None and not _checksum(checksum):
            raise fail(
                f"invalid --checksum={checksum}: sha256:<64 hex digits> (or sha384, sha512), "
                "or a git commit"
            )
    elif op == "RUN":
        from .mounts import parse_mount, parse_run_flags

        try:
            parse_run_flags(node.flags)
            for value in node.flag_values("mount"):
                parse_mount(value, None)
        except InvalidArgument as e:
            raise fail(str(e)) from None
    elif op == "SHELL":
        if node.json is None or not node.json:
            raise fail("SHELL requires the arguments to be in JSON form")
    elif op == "ENV":
        if "=" not in text.split(None, 1)[0] and len(text.split(None, 1)) < 2:
            raise fail("ENV must have two arguments")
    elif op == "LABEL":
        for word in _words(node, file, escape):
            if "=" not in word:
                raise fail(
                    f'Syntax error - can\'t find = in "{word}". Must be of the form: name=value'
                )
    elif op == "HEALTHCHECK":
        _check_healthcheck(node, file)
    elif op == "ONBUILD":
        inner = parse_line(text, node.line)
        if inner.instruction == "ONBUILD":
            raise fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
        if inner.instruction in ("FROM", "MAINTAINER"):
            raise fail(f"{inner.instruction} isn't allowed as an ONBUILD trigger")
        check(inner, file, escape)


def flag_on(node: Node, flag: str) -> bool | None:
    """A flag that is on or off (``--parents``, ``--parents=false``); None: neither."""
    value = node.flags.get(flag, "false").lower()
    return True if value in ("", "true", "1") else False if value in ("false", "0") else None


def _words(node: Node, file: str, escape: str) -> list[str]:
    try:
        return process_words(node.text, {}, escape)
    except Exception as e:  # noqa: BLE001 - a quoting error, with its line
        raise DockerfileError(file, node.line, str(e)) from None


def _check_healthcheck(node: Node, file: str) -> None:
    def error(message: str) -> DockerfileError:
        return DockerfileError(file, node.line, message)

    kind, _, rest = node.text.partition(" ")
    kind = kind.upper()
    if not kind:
        raise error("HEALTHCHECK requires at least one argument")
    if kind == "NONE":
        if rest.strip() or node.flags:
            raise error("HEALTHCHECK NONE takes no arguments")
        return
    if kind != "CMD":
        raise error(f'Unknown type "{kind}" in HEALTHCHECK (try CMD)')
    if not rest.strip():
        raise error("Missing command after HEALTHCHECK CMD")
    for flag in ("interval", "timeout", "start-period", "start-interval"):
        value = node.flags.get(flag)
        if value is not None and duration_ns(value) is None:
            raise error(f'invalid --{flag} "{value}": a duration such as 30s or 1m30s')
    retries = node.flags.get("retries")
    if retries is not None and not retries.isdigit():
        raise error(f'invalid --retries "{retries}": a whole number')
