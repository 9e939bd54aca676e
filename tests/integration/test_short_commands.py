"""What the short commands load. ``ps``, ``images``, ``inspect``, ``rm`` and ``version``
answer in an interpreter start plus a few milliseconds (issue 24); each of these
standard-library modules would cost one to eight of them (docs/architecture.md,
"What a short command loads"). Not a timing: the modules a command leaves in
``sys.modules`` after it ran and printed its usual output."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import Portside

# re (with enum), json, pathlib (with fnmatch, urllib.parse, ipaddress), datetime,
# shutil, contextlib, typing, subprocess (with signal, threading, selectors, locale),
# socket, ctypes, hashlib, dataclasses, tarfile, tempfile
HEAVY = (
    "re enum json pathlib fnmatch urllib.parse ipaddress datetime shutil contextlib typing"
    " subprocess signal threading selectors locale socket ctypes hashlib dataclasses"
    " sqlite3.dbapi2 tomllib tarfile tempfile"
).split()
# main() as bin/portside calls it, then the heavy modules it loaded, on the last line
PROBE = (
    "import sys\n"
    "from portside.cli.main import main\n"
    "try:\n"
    "    code = main()\n"
    "finally:\n"
    "    sys.stdout.flush()\n"
    f"    print('LOADED', *sorted(set({HEAVY!r}) & set(sys.modules)), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def loaded_by(portside: Portside, *args: str) -> tuple[str, list[str]]:
    argv = portside.argv(*args)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv[3:]], capture_output=True, text=True, timeout=60
    )
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("LOADED"), proc.stderr
    return proc.stdout, last.split()[1:]


@pytest.mark.parametrize(
    "command",
    [
        ["ps", "-a"],
        ["images"],
        ["inspect", "CONTAINER"],
        ["inspect", "busybox"],
        ["version"],
        ["rm", "CONTAINER"],
    ],
)
def test_a_short_command_loads_none_of_the_heavy_modules(
    portside: Portside, busybox: str, command: list[str]
) -> None:
    container = portside("create", "--name", "short", "busybox", "true").stdout.strip()
    args = [container if word == "CONTAINER" else word for word in command]
    out, heavy = loaded_by(portside, *args)
    assert heavy == [], f"portside {' '.join(command)} loaded {heavy}"
    # and it did its work
    if command[0] == "ps":
        assert container[:12] in out and "short" in out
    elif command == ["images"]:
        assert "busybox" in out
    elif command[0] == "inspect":
        assert (container if command[1] == "CONTAINER" else busybox) in out
    elif command[0] == "rm":
        assert out.strip() == container
        assert portside("ps", "-aq").stdout.strip() == ""
    else:
        assert "Version" in out
