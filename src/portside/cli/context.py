"""What every verb module gets: settings, the engine (built on first use), and streams;
and the one place that maps errors to messages and exit codes."""

from __future__ import annotations

import sys

from ..cached import cached_property
from ..config import Settings
from ..errors import PortsideError, UsageError
from ..records import replace
from .parser import Parser as Parser  # re-exported: verbs import it from here

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import TextIO

    from ..engine import Engine
    from .verbs import Group


class Context:
    def __init__(
        self,
        root: str | None = None,
        runroot: str | None = None,
        runtime: str | None = None,
        debug: bool = False,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        config: str | None = None,
    ) -> None:
        settings = Settings.from_env(root, runroot, config=config)
        if runtime:
            settings = replace(settings, runtime=runtime)
        self.settings = settings
        self.debug = debug
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.verb = ""
        self.compose_flags: dict[str, list[str]] = {}  # compose's global flags (cli/compose.py)

    @cached_property
    def engine(self) -> Engine:
        from ..engine import Engine

        return Engine(self.settings)

    def error(self, message: str) -> None:
        self.stderr.write(f"Error: {message}\n")


def run_command(ctx: Context, verb: str, module_name: str, argv: list[str]) -> int:
    ctx.verb = verb
    # __import__, not importlib.import_module: the importlib package is not loaded yet
    module = __import__(f"portside.cli.{module_name}", fromlist=("run",))
    try:
        return int(module.run(ctx, argv))
    except UsageError as e:
        ctx.stderr.write(f"{e}\n")
        return e.exit_code
    except PortsideError as e:
        ctx.error(str(e))
        return e.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 141
    finally:
        if "engine" in ctx.__dict__:
            ctx.engine.close()


def run_words(ctx: Context, words: list[str]) -> int:
    """``portside WORDS...``: a verb, or a management command and its verb."""
    from .verbs import GROUP, TOP

    group = GROUP.get(words[0])
    if group is not None and not group.module:
        return dispatch(ctx, group, words[1:])
    module = group.module if group is not None else TOP[words[0]].module
    return run_command(ctx, words[0], module, words[1:])


def dispatch(ctx: Context, group: Group, argv: list[str]) -> int:
    """A management command (``image``, ``container``, ``system``): its help, or one verb."""
    from .verbs import group_usage, group_verb

    if not argv or argv[0] in ("-h", "--help"):
        ctx.stdout.write(group_usage(group))
        return 0
    sub = argv[0]
    verb = group_verb(group, sub)
    if verb is None:
        ctx.stderr.write(
            f"portside: '{group.name} {sub}' is not a portside command.\n"
            f"See 'portside {group.name} --help'\n"
        )
        return 1
    return run_command(ctx, f"{group.name} {verb.name}", verb.module, argv[1:])


def add_tls_verify(p: Parser) -> None:
    """``--tls-verify[=false]`` (Podman's flag): require or skip TLS verification for
    this registry, whatever it is configured as. Unset: by its configuration."""
    p.add_go_bool(
        "--tls-verify",
        None,
        "Require HTTPS and verify certificates when talking to the registry",
    )
