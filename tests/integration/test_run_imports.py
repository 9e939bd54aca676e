"""What the commands that run a container load (issue 24). ``run``, ``start``, ``stop``
and conmon's exit command (``container cleanup``) start a new interpreter each time, as
the short commands do (test_short_commands.py, docs/architecture.md "What a short
command loads"). They need ctypes (mount); they start conmon, runc, ip and nft through
spawn.py rather than subprocess, and attach through ``_socket`` rather than socket. This
guards the modules they do without. Not a timing: the modules a command leaves in
``sys.modules`` after it ran."""

from __future__ import annotations

import pytest

from tests.conftest import Portside
from tests.integration.test_short_commands import loaded_by

# json: fastjson; hashlib: the bridges' tag is hashed by CPython's _sha256; pathlib
# (with fnmatch, urllib.parse): the paths of a start are strings; subprocess (with
# signal, threading, selectors, locale, re, enum, contextlib): spawn.py; socket:
# _socket. ipaddress comes with the default bridge's addresses.
NOT_FOR_RUN = {
    "subprocess",
    "signal",
    "threading",
    "selectors",
    "locale",
    "re",
    "enum",
    "contextlib",
    "socket",
    "json",
    "hashlib",
    "datetime",
    "shutil",
    "typing",
    "dataclasses",
    "tomllib",
    "pathlib",
    "fnmatch",
    "urllib.parse",
}


@pytest.mark.parametrize("network", ["none", "bridge"])
def test_run_rm_loads_none_of_them(portside: Portside, busybox: str, network: str) -> None:
    out, heavy = loaded_by(portside, "run", "--rm", "--network", network, "busybox", "echo", "hi")
    assert out == "hi\n"
    assert NOT_FOR_RUN.isdisjoint(heavy), f"run --network {network} loaded {heavy}"


def test_run_d_stop_start_and_cleanup_load_none_of_them(portside: Portside, busybox: str) -> None:
    out, heavy = loaded_by(portside, "run", "-d", "busybox", "sleep", "60")
    container = out.strip()
    assert NOT_FOR_RUN.isdisjoint(heavy), f"run -d loaded {heavy}"
    for verb in (["stop", "-t", "1"], ["start"], ["stop", "-t", "1"], ["container", "cleanup"]):
        out, heavy = loaded_by(portside, *verb, container)
        assert NOT_FOR_RUN.isdisjoint(heavy), f"{' '.join(verb)} loaded {heavy}"
    assert portside("inspect", "--format", "{{.State.Status}}", container).stdout == "exited\n"
