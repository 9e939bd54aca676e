"""portside compose [OPTIONS] COMMAND: Docker Compose's global flags (``-f``, ``-p``,
``--project-directory``, ``--env-file``, ``--profile``) read here, then the command's
own module (cli/compose_*.py) parses the rest and calls the compose package.

The project is loaded by the command, after its flags parse, so ``--help`` and the
completion script read no file.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from ..errors import UsageError
from .context import Context
from .verbs import GROUP, group_usage, group_verb

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from ..compose.model import Options, Project

GLOBAL_HELP = """
Options:
      --env-file stringArray           Specify an alternate environment file
  -f, --file stringArray               Compose configuration files
      --profile stringArray            Specify a profile to enable
  -p, --project-name string            Project name
      --project-directory string       Specify an alternate working directory
"""

_VALUED = {
    "-f": "files",
    "--file": "files",
    "-p": "project_name",
    "--project-name": "project_name",
    "--project-directory": "project_directory",
    "--env-file": "env_files",
    "--profile": "profiles",
}


def run(ctx: Context, argv: list[str]) -> int:
    given: dict[str, list[str]] = {}
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        flag, eq, value = argv[i].partition("=")
        if flag in ("-h", "--help"):
            break
        if flag not in _VALUED:
            raise UsageError(f"unknown flag: {flag}\nSee 'portside compose --help'.")
        if not eq:
            i += 1
            if i >= len(argv):
                raise UsageError(f"flag needs an argument: {flag}")
            value = argv[i]
        given.setdefault(_VALUED[flag], []).append(value)
        i += 1
    rest = argv[i:]
    group = GROUP["compose"]
    if not rest or rest[0] in ("-h", "--help"):
        text = group_usage(group).replace("compose COMMAND", "compose [OPTIONS] COMMAND", 1)
        ctx.stdout.write(text.replace("\nCommands:", GLOBAL_HELP + "\nCommands:"))
        return 0 if rest else 1
    verb = group_verb(group, rest[0])
    if verb is None:
        raise UsageError(f'unknown docker command: "compose {rest[0]}"')
    ctx.compose_flags = given
    ctx.verb = f"compose {verb.name}"
    module = importlib.import_module(f"portside.cli.{verb.module}")
    return int(module.run(ctx, rest[1:]))


def options(ctx: Context) -> Options:
    from ..compose.model import Options

    given = ctx.compose_flags
    return Options(
        files=tuple(given.get("files", ())),
        project_name=(given.get("project_name") or [""])[-1],
        project_directory=(given.get("project_directory") or [""])[-1],
        env_files=tuple(given.get("env_files", ())),
        profiles=tuple(p for v in given.get("profiles", ()) for p in v.split(",") if p),
    )


def project(ctx: Context, requested: list[str] | tuple[str, ...] = ()) -> Project:
    """The project the global flags and the working directory name."""
    from ..compose.model import load_project

    def warn(text: str) -> None:
        ctx.stderr.write(f"WARN[0000] {text}\n")

    return load_project(options(ctx), os.environ, Path.cwd(), warn, requested)
