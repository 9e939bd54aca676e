"""Shared fixtures: a throwaway store per test, the real CLI, a busybox rootfs tar.

Every test uses its own ``--root`` under pytest's tmp_path: nothing touches
/var/lib/portside or another engine's files.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BUSYBOX = Path("/bin/busybox")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


# A safety net: a registry that is not on loopback (Docker Hub for a missing image) is
# reached through a proxy on a loopback port nothing listens on, so no test traffic can
# leave the machine; loopback registries (the tests' own) are reached directly.
# the machine's /etc/portside/portside.conf and /etc/docker/daemon.json are not the
# tests': every store here is configured by its test alone (subprocesses inherit this)
os.environ["PORTSIDE_CONFIG"] = ""
os.environ["PORTSIDE_DAEMON_JSON"] = ""

OFFLINE = {
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost,::1",
    "no_proxy": "127.0.0.1,localhost,::1",
}


class Portside:
    """Runs the real ``portside`` CLI (``python -m portside``) against one store."""

    def __init__(self, root: Path, runroot: Path | None = None) -> None:
        self.root = root
        self.runroot = runroot or root.parent / "run"

    def argv(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "portside",
            "--root",
            str(self.root),
            "--runroot",
            str(self.runroot),
            *args,
        ]

    def __call__(
        self,
        *args: str,
        input: bytes | None = None,
        check: bool = True,
        env: dict[str, str] | None = None,
        timeout: float = 300,
    ) -> Result:
        full_env = {**os.environ, **OFFLINE, **(env or {})}
        full_env.pop("PORTSIDE_ROOT", None)
        full_env.pop("PORTSIDE_RUNROOT", None)
        proc = subprocess.run(
            self.argv(*args),
            input=input if input is not None else b"",
            capture_output=True,
            env=full_env,
            timeout=timeout,
        )
        return result_of(proc, f"portside {' '.join(args)}", check)


def result_of(proc: subprocess.CompletedProcess[bytes], what: str, check: bool) -> Result:
    """A finished command's Result; with ``check``, an AssertionError showing its output
    when it failed."""
    result = Result(
        proc.returncode,
        proc.stdout.decode(errors="replace"),
        proc.stderr.decode(errors="replace"),
        proc.stdout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{what} exited {proc.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        )
    return result


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """``files`` (relative path -> text) under ``root``, folders made: a build context."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def extract_all(archive: Path, dest: Path) -> None:
    """tarfile's extractall, on Pythons with and without the ``filter`` argument."""
    with tarfile.open(archive) as tf:
        if hasattr(tarfile, "fully_trusted_filter"):
            tf.extractall(dest, filter="fully_trusted")
        else:  # Debian 12's python3 3.11.2
            tf.extractall(dest)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--beside-dockerd",
        action="store_true",
        help="run beside a private dockerd with its iptables rules on (FORWARD policy "
        "DROP), as on a machine that also runs Docker",
    )


_BRIDGES = pytest.StashKey[set[str]]()


def _bridges_on_host() -> set[str]:
    """Links named as portside names its bridges: ``ps`` and 11 hex digits."""
    return {
        n
        for n in os.listdir("/sys/class/net")
        if len(n) == 13 and n.startswith("ps") and all(c in "0123456789abcdef" for c in n[2:])
    }


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_BRIDGES] = _bridges_on_host()


def _session_stores(session: pytest.Session) -> list[Path]:
    """The stores this session's tests made: ``<basetemp>/<test>/<store>/metadata.db``."""
    factory = getattr(session.config, "_tmp_path_factory", None)  # pytest's own
    if factory is None:
        return []
    try:
        base = factory.getbasetemp()
    except (OSError, ValueError):
        return []
    return [db.parent for db in base.glob("*/*/metadata.db")]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Bridges stay up after their last container until ``network prune``: a store a
    test made and did not prune would leave one on the host, which fails the run.

    Only this session's stores count. A bridge that appeared meanwhile may be another
    session's (a second checkout's tests, a benchmark, a user's store): deleting it by
    name, as this hook did, left its FORWARD rules and nft table behind, and the next
    run there admitted the rules a second time."""
    new = _bridges_on_host() - session.config.stash.get(_BRIDGES, set())
    left: list[str] = []
    for root in _session_stores(session):
        leftovers = [x for x in network_leftovers(root) if x[0] != "bridge" or x[1] in new]
        if any(kind == "bridge" for kind, _ in leftovers):
            clean_host(root, leftovers)
            left += [name for kind, name in leftovers if kind == "bridge"]
    if left:
        print(f"\nportside bridges left on the host by the tests (now removed): {sorted(left)}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session", autouse=True)
def beside_dockerd(request: pytest.FixtureRequest) -> Iterator[list[str] | None]:
    """With ``--beside-dockerd``, the whole session runs while a dockerd holds the
    host's iptables as a user's does (its client argv, else None); its rules and
    bridge go when the session ends."""
    from tests.engines import Dockerd, HostNetworkGuard, short_dir

    if not request.config.getoption("--beside-dockerd"):
        # our bridges' FORWARD rules make iptables-nft's filter table; left empty
        tables = HostNetworkGuard()
        yield None
        tables.drop_empty_tables()
        return

    if not Dockerd.installed():
        pytest.fail("--beside-dockerd: dockerd is not installed (apt-get install docker.io)")
    work = short_dir()
    daemon = Dockerd(work, iptables=True)
    try:
        yield daemon.start()
    finally:
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    return tmp_path / "root"


@pytest.fixture
def portside(store_root: Path) -> Iterator[Portside]:
    # a short run root: conmon's attach socket path must fit in 108 bytes
    runroot = Path(tempfile.mkdtemp(prefix="psr-", dir="/tmp"))
    ps = Portside(store_root, runroot)
    yield ps
    remove_everything(ps)
    shutil.rmtree(runroot, ignore_errors=True)


@pytest.fixture(autouse=True)
def _other_stores_bridges(tmp_path: Path) -> Iterator[None]:
    """A store's bridges stay up after its last container, as docker0 does, until
    ``network prune``: those of the other stores a test made in its folder go with it."""
    yield
    for db in tmp_path.glob("*/metadata.db"):
        clean_host(db.parent, network_leftovers(db.parent))


def remove_everything(ps: Portside) -> None:
    """Whatever a test left behind: containers (killed), mounts, runc state; then
    ``network prune``, which must leave none of the store's bridges, rules or table."""
    if not (ps.root / "metadata.db").exists():
        return
    ids = ps("ps", "-aq", "--no-trunc", check=False).stdout.split()
    if ids:
        ps("rm", "-f", *ids, check=False)
    for line in Path("/proc/self/mounts").read_text().splitlines():
        target = line.split()[1]
        if target.startswith(str(ps.root)):
            subprocess.run(["umount", "-l", target], capture_output=True)
    ps("network", "prune", "-f", check=False)
    leaked = network_leftovers(ps.root)
    clean_host(ps.root, leaked)  # clean the machine, then fail the test that leaked
    assert not leaked, f"left on the host after every container was removed: {leaked}"


def clean_host(root: Path, leftovers: list[tuple[str, str]]) -> None:
    """Bridges, FORWARD rules and the nft table of the store at ``root``, removed."""
    for kind, name in leftovers:
        if kind == "bridge":
            subprocess.run(["ip", "link", "del", name], capture_output=True)
        elif kind == "forward-rule":
            subprocess.run(["iptables", "-D", *shlex.split(name.removeprefix("-A "))])
        else:
            subprocess.run(["nft", "delete", "table", "ip", name], capture_output=True)


def network_leftovers(root: Path) -> list[tuple[str, str]]:
    """The bridges of the store at ``root``, their FORWARD rules and its nft table, all
    of which ``network prune`` takes away once no container runs."""
    import hashlib
    import sqlite3

    conn = sqlite3.connect(root / "metadata.db")
    try:
        bridges = [r[0] for r in conn.execute("SELECT bridge FROM networks WHERE bridge != ''")]
    except sqlite3.Error:
        bridges = []
    finally:
        conn.close()
    out = [("bridge", b) for b in bridges if Path("/sys/class/net", b).exists()]
    if shutil.which("iptables") is not None:
        forward = subprocess.run(["iptables", "-S", "FORWARD"], capture_output=True, text=True)
        for rule in forward.stdout.splitlines():
            if any(f'--comment "portside {b}"' in rule for b in bridges):
                out.append(("forward-rule", rule))
    tag = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:10]
    tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    if f"table ip portside_{tag}" in tables:
        out.append(("table", f"portside_{tag}"))
    return out


REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The busybox rootfs tar that scripts/base-images imports (one recipe for both)."""
    if not BUSYBOX.exists():
        pytest.fail("busybox-static is not installed (apt-get install busybox-static)")
    out = tmp_path_factory.mktemp("busybox") / "rootfs.tar"
    subprocess.run(["bash", str(REPO / "scripts/busybox-rootfs"), str(out)], check=True)
    return out


@pytest.fixture
def busybox(portside: Portside, busybox_tar: Path) -> str:
    """The busybox base image imported into the test's store; returns its ID."""
    return portside(
        "import", "--change", 'CMD ["sh"]', str(busybox_tar), "busybox:latest"
    ).stdout.strip()


def assert_run_refused(portside: Portside, flags: list[str], words: str) -> None:
    """``run`` with these flags fails as Docker's does: exit 125, one line naming what
    is wrong, and the store exactly as it was."""
    before = store_state(portside.root)
    r = portside("run", "--rm", *flags, "busybox", "true", check=False)
    assert r.returncode == 125 and words in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert store_state(portside.root) == before


def store_state(root: Path) -> tuple[list[str], dict[str, list[tuple[object, ...]]]]:
    """Everything a test can compare to prove the store did not change: files and rows."""
    files = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if not p.name.startswith(("metadata.db", "store.lock"))
    )
    tables: dict[str, list[tuple[object, ...]]] = {}
    db = root / "metadata.db"
    if db.exists():
        conn = sqlite3.connect(db)
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            tables[name] = sorted(conn.execute(f"SELECT * FROM {name}").fetchall())
        conn.close()
    return files, tables


@pytest.fixture
def snapshot(
    store_root: Path,
) -> Callable[[], tuple[list[str], dict[str, list[tuple[object, ...]]]]]:
    return lambda: store_state(store_root)
