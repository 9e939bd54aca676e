"""portside completion bash: a bash completion script made from the commands' own parsers.

Each verb's flags come from the parser its ``run`` builds (caught at ``parse_args``, see
``Parser.describing``), and what its arguments are (containers, images, networks,
volumes, files) from its Docker usage line, so the script cannot drift from the CLI.
Names are asked of portside itself at TAB time, with the ``--root``/``--runroot`` typed.
"""

from __future__ import annotations

import io
import re
import shlex

from .context import Context, run_words
from .parser import Described, Parser
from .verbs import GROUPS, TOP, paths

# a usage word (its first name, before ":" or "|" or "[") -> what completes it
ARGUMENT_KINDS = {
    "CONTAINER": "container",
    "IMAGE": "image",
    "SOURCE_IMAGE": "image",
    "TARGET_IMAGE": "image",
    "REPOSITORY": "image",
    "NETWORK": "network",
    "VOLUME": "volume",
    "PATH": "file",
    "SRC_PATH": "file",
    "DEST_PATH": "file",
    "file": "file",
}
# these take a command line of their own after this argument: stop completing names there
COMMAND_WORDS = ("COMMAND", "ps OPTIONS")
# a flag's value -> what completes it
VALUE_KINDS = {
    "--network": "network",
    "--volumes-from": "container",
    "--file": "file",
    "--output": "file",
    "--input": "file",
    "--env-file": "file",
    "--cidfile": "file",
    "--label-file": "file",
}

USAGE = """\
Usage:  portside completion COMMAND

Generate the autocompletion script for portside for the specified shell.

Commands:
  bash        Generate the autocompletion script for bash
"""

BASH_USAGE = """\
Usage:  portside completion bash

Generate the autocompletion script for the bash shell. It needs bash 4 or later.

To load completions in your current shell session:

  source <(portside completion bash)

To load completions for every new session, execute once:

  portside completion bash > /etc/bash_completion.d/portside
"""


def run(ctx: Context, argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        ctx.stdout.write(USAGE)
        return 0
    if argv[0] != "bash":
        ctx.error(f"portside completes bash only, not {argv[0]}")
        return 1
    if argv[1:] in (["-h"], ["--help"]):
        ctx.stdout.write(BASH_USAGE)
        return 0
    Parser("completion bash", "", "").parse_args(argv[1:])  # no flags: Docker's errors
    ctx.stdout.write(script(ctx))
    return 0


def commands() -> list[str]:
    """Every command path users type: "ps", "image ls", "builder prune" …"""
    return paths()


def describe(ctx: Context, path: str) -> Parser | None:
    """The parser that ``portside PATH`` builds, without running the command: it is
    caught at ``parse_args``, before the verb opens the store or writes a word."""
    words = path.split()
    quiet = Context(root=str(ctx.settings.root), runroot=str(ctx.settings.runroot))
    quiet.stdout = quiet.stderr = io.StringIO()
    Parser.describing = True
    try:
        run_words(quiet, words)
    except Described as d:
        return d.parser
    finally:
        Parser.describing = False
    return None


def _flags(parser: Parser) -> tuple[list[str], list[str]]:
    """(every flag, the flags that take a value)."""
    every: list[str] = []
    valued: list[str] = []
    for flag in parser.flags:
        if flag.hidden:
            continue
        every.extend(flag.names)
        if flag.takes_value:
            valued.extend(flag.names)
    return every, valued


def _arguments(usage: str) -> list[str]:
    """What each argument of a usage line is; "..." means more of the one before."""
    if "CONTAINER:" in usage:
        return ["copy", "copy"]  # cp: CONTAINER:PATH or a local path, either way round
    tail = usage.split(" [OPTIONS]", 1)[-1] if "[OPTIONS]" in usage else usage
    kinds: list[str] = []
    for token in re.findall(r"\[ps OPTIONS\]|\S+", tail):
        bare = token.strip("[]")
        word = re.split(r"[:|\[\]]", bare, maxsplit=1)[0].removesuffix("...")
        if bare in COMMAND_WORDS or word in COMMAND_WORDS:
            kinds.append("stop")
            break
        if word == "NAME":
            kind = "object" if "|ID" in token else "image"
        elif word in ARGUMENT_KINDS:
            kind = ARGUMENT_KINDS[word]
        elif word.isupper():
            kind = "none"
        else:
            continue  # "|", "-"
        if bare.endswith("..."):
            kinds += ["..."] if kinds and kinds[-1] == kind else [kind, "..."]
        else:
            kinds.append(kind)
    return kinds


def script(ctx: Context) -> str:
    tables: list[str] = []
    every_path = commands()
    for path in every_path:
        parser = describe(ctx, path)
        if parser is None:
            continue
        every, valued = _flags(parser)
        usage = (parser.usage or "").removeprefix(f"portside {path}")
        key = shlex.quote(path)
        tables.append(f"  [{key}]={shlex.quote(' '.join(every))}")
        tables.append(f"  [{key}:valued]={shlex.quote(' '.join(valued))}")
        tables.append(f"  [{key}:args]={shlex.quote(' '.join(_arguments(usage)))}")
    for group in GROUPS:
        subs = " ".join(p.split()[1] for p in every_path if p.startswith(group.name + " "))
        tables.append(f"  [{group.name}:subcommands]={shlex.quote(subs)}")
    top = " ".join([*TOP, *(group.name for group in GROUPS)])
    values = " ".join(f"[{flag}]={kind}" for flag, kind in VALUE_KINDS.items())
    return (
        TEMPLATE.replace("@TABLES@", "\n".join(tables))
        .replace("@TOP@", top)
        .replace("@VALUES@", values)
    )


TEMPLATE = r"""# bash completion for portside; made by `portside completion bash`
declare -gA _portside_table=(
@TABLES@
)
declare -gA _portside_values=(@VALUES@)
_portside_top="@TOP@"

# the names portside knows of one kind, from the store the command line names
_portside_names() {
  local -a store=()
  local i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --root|--runroot) store+=("${COMP_WORDS[i]}" "${COMP_WORDS[i+1]}") ;;
      --root=*|--runroot=*) store+=("${COMP_WORDS[i]}") ;;
    esac
  done
  local exe=${COMP_WORDS[0]}
  case $1 in
    container) "$exe" "${store[@]}" ps -a --format '{{.Names}}' 2>/dev/null ;;
    image) "$exe" "${store[@]}" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null \
             | grep -v '<none>' ;;
    network) "$exe" "${store[@]}" network ls --format '{{.Name}}' 2>/dev/null ;;
    volume) "$exe" "${store[@]}" volume ls -q 2>/dev/null ;;
    object) _portside_names container; _portside_names image ;;
  esac
}

_portside_complete_kind() {  # kind, the word being typed
  case $1 in
    file) COMPREPLY=($(compgen -f -- "$2")) ;;
    copy)  # cp: a local path, or a container's name and a colon
      COMPREPLY=($(compgen -f -- "$2") $(compgen -S : -W "$(_portside_names container)" -- "$2"))
      [[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *: ]] && compopt -o nospace ;;
    none|stop|"") COMPREPLY=() ;;
    *) COMPREPLY=($(compgen -W "$(_portside_names "$1")" -- "$2")) ;;
  esac
}

_portside() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local path="" i word nargs=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ -z $path ]]; then
      case $word in
        --root|--runroot|--runtime|--log-level|--config) ((i++)) ;;
        -*) ;;
        *) path=$word ;;
      esac
    elif [[ -n ${_portside_table[$path:subcommands]+x} ]]; then
      [[ $word == -* ]] || path="$path $word"
    elif [[ $word == -* ]]; then
      [[ $word != *=* && " ${_portside_table[$path:valued]} " == *" $word "* ]] && ((i++))
    else
      ((nargs++))
    fi
  done
  if [[ -z $path ]]; then
    case $prev in
      --root|--runroot) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "--root --runroot --version --help" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$_portside_top" -- "$cur"))
    fi
    return
  fi
  if [[ $path == completion ]]; then COMPREPLY=($(compgen -W "bash" -- "$cur")); return; fi
  if [[ -n ${_portside_table[$path:subcommands]+x} ]]; then
    COMPREPLY=($(compgen -W "${_portside_table[$path:subcommands]}" -- "$cur"))
    return
  fi
  if [[ $prev == -* && " ${_portside_table[$path:valued]} " == *" $prev "* ]]; then
    _portside_complete_kind "${_portside_values[$prev]:-none}" "$cur"
    return
  fi
  local -a kinds=(${_portside_table[$path:args]})
  local kind=none
  for ((i = 0; i <= nargs && i < ${#kinds[@]}; i++)); do
    kind=${kinds[i]}
    if [[ $kind == stop ]]; then  # the container's own command line: files
      COMPREPLY=($(compgen -f -- "$cur"))
      return
    fi
    [[ $kind == "..." ]] && { kind=${kinds[i-1]}; break; }
  done
  if ((nargs >= ${#kinds[@]})) && [[ ${kinds[*]} != *... ]]; then kind=none; fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${_portside_table[$path]}" -- "$cur"))
  else
    _portside_complete_kind "$kind" "$cur"
  fi
}
complete -F _portside portside
"""
