"""``build --ssh`` and ``RUN --mount=type=ssh``: a real ssh-agent holding a fresh key,
forwarded into RUN steps; ``ssh-add -l`` (the host's, copied into the image with the
libraries it needs) lists the key through the forwarded socket."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import Portside, store_state, write_tree

pytestmark = pytest.mark.usefixtures("busybox")

TOOLS = ("ssh-agent", "ssh-add", "ssh-keygen", "ldd")


@pytest.fixture
def agent() -> Iterator[tuple[str, str]]:
    """An ssh-agent of the test's own with one new key: (its socket, the key's
    fingerprint line as ``ssh-add -l`` prints it); stopped by PID at the end."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"openssh-client is needed for this test: {missing} missing")
    here = Path(tempfile.mkdtemp(prefix="psssh"))  # short: a socket path has 108 bytes
    sock = here / "agent.sock"
    proc = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not sock.exists():
            assert time.monotonic() < deadline, "ssh-agent did not listen"
            time.sleep(0.05)
        key = here / "key"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "build-key", "-f", str(key)],
            check=True,
        )
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
        subprocess.run(["ssh-add", "-q", str(key)], env=env, check=True, capture_output=True)
        listed = subprocess.run(
            ["ssh-add", "-l"], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        yield str(sock), listed
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        shutil.rmtree(here, ignore_errors=True)


def with_ssh_add(ctx: Path) -> None:
    """The host's ssh-add and the libraries it loads, at their paths, in ``ctx``."""
    found = subprocess.run(["ldd", "/usr/bin/ssh-add"], capture_output=True, text=True).stdout
    paths = ["/usr/bin/ssh-add"] + [w for w in found.split() if w.startswith("/")]
    for path in paths:
        dest = ctx / path.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.realpath(path), dest)


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "ctx", {})


def test_the_agent_is_forwarded_into_run(
    portside: Portside, ctx: Path, agent: tuple[str, str]
) -> None:
    sock, listed = agent
    with_ssh_add(ctx)
    tops = " ".join(sorted(p.name for p in ctx.iterdir()))
    (ctx / "Dockerfile").write_text(
        "FROM busybox\n"
        f"COPY --parents {tops} /\n"
        "RUN --mount=type=ssh echo $SSH_AUTH_SOCK > /sock && ssh-add -l > /keys\n"
        "RUN --mount=type=ssh,id=deploy,target=/agent,uid=1000,mode=0660,required "
        "stat -c '%u %a %F' /agent > /agent-stat && ssh-add -l > /keys2\n"
        'RUN --mount=type=ssh,id=absent test -z "$SSH_AUTH_SOCK" && ls / > /root-list\n',
    )
    portside(
        "build",
        "--ssh",
        "default",
        "--ssh",
        f"deploy={sock}",
        "-t",
        "ssh",
        str(ctx),
        env={"SSH_AUTH_SOCK": sock},
    )

    def cat(path: str) -> str:
        return portside("run", "--rm", "ssh", "cat", path).stdout

    assert cat("/sock") == "/run/buildkit/ssh_agent.0\n"
    assert cat("/keys") == listed + "\n" and "build-key (ED25519)" in listed
    assert cat("/agent-stat") == "1000 660 socket\n"
    assert cat("/keys2") == listed + "\n"
    # an absent agent that is not required is left out; no mount point stays behind
    assert "run" not in cat("/root-list").split()  # busybox has no /run
    assert (
        "/agent: No such file" in portside("run", "--rm", "ssh", "ls", "/agent", check=False).stderr
    )


def test_key_files_get_an_agent_of_the_builds_own(
    portside: Portside, ctx: Path, tmp_path: Path
) -> None:
    key = tmp_path / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "file-key", "-f", str(key)],
        check=True,
    )
    with_ssh_add(ctx)
    tops = " ".join(sorted(p.name for p in ctx.iterdir()))
    (ctx / "Dockerfile").write_text(
        f"FROM busybox\nCOPY --parents {tops} /\nRUN --mount=type=ssh ssh-add -l > /keys\n"
    )
    portside("build", "--ssh", f"default={key}", "-t", "keyed", str(ctx), env={"SSH_AUTH_SOCK": ""})
    assert "file-key (ED25519)" in portside("run", "--rm", "keyed", "cat", "/keys").stdout
    # the agent went with the build: nothing of it under the run root
    assert not [p for p in portside.runroot.rglob("*.sock")]

    key.write_text("not a key\n")
    r = portside("build", "--no-cache", "--ssh", f"default={key}", str(ctx), check=False)
    assert r.returncode == 1 and r.stderr.startswith(f"Error: --ssh default={key}: ssh-add: ")
    assert len(r.stderr.splitlines()) == 1


def test_missing_agents_are_refused_in_one_line(
    portside: Portside, ctx: Path, agent: tuple[str, str]
) -> None:
    sock, _ = agent
    (ctx / "Dockerfile").write_text(
        "FROM busybox\nRUN --mount=type=ssh,id=deploy,required=true true\n"
    )
    before = store_state(portside.root)
    env = {"SSH_AUTH_SOCK": ""}
    for flags, message in [
        ([], "Dockerfile:2: ssh agent deploy: not given (build --ssh deploy)"),
        (["--ssh", "default"], "--ssh default: no agent socket given and SSH_AUTH_SOCK is not set"),
        (["--ssh", f"deploy={ctx}"], f"--ssh deploy={ctx}: neither an agent's socket nor a key"),
    ]:
        r = portside("build", *flags, str(ctx), env=env, check=False)
        assert r.returncode == 1, r.stdout
        assert r.stderr.startswith(f"Error: {message}") and len(r.stderr.splitlines()) == 1
    assert store_state(portside.root)[1]["images"] == before[1]["images"]
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN --mount=type=ssh,from=x true\n")
    r = portside("build", "--ssh", f"default={sock}", str(ctx), check=False)
    assert r.stderr == "Error: Dockerfile:2: unexpected key 'from' for mount type 'ssh'\n"
