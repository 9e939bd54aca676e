"""Rootless benchmarks (issue 22): ``run --rm busybox true`` with ``--network none`` and
with each engine's default network, and the notes-app build rows, as an ordinary user
(portside's slirp4netns way out, rootless Podman's slirp4netns per container) beside
root portside.

All three engines run the same way, so the wrapper costs fall on each alike: a private
mount namespace with its own /dev/net/tun node (these machines' node is root's alone;
tests/users.py), then ``runuser`` and ``env -i``. portside runs with Debian's python3
from a compiled copy of src/ that the user can read, as root and as the user.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from builds import bench_engine as build_bench
from builds import make_app, node_rootfs
from containers import busybox_rootfs
from engines import REPO, Engine
from timing import Row, command, medians_in_turn

from tests.users import User, add_user, remove_user, user_portside

ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # root's login
ROOT, ROOTLESS, PODMAN = "portside (root)", "portside (rootless)", "podman (rootless)"
PODMAN_CONF = """[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


def engines(user: User, shared: Path) -> list[Engine]:
    root = User("root")
    store = ["--root", str(shared / "root-store"), "--runroot", str(shared / "root-run")]
    out = [
        Engine(ROOT, root.argv([*user_portside(), *store], path=ROOT_PATH)),
        Engine(ROOTLESS, user.argv(user_portside())),
    ]
    if shutil.which("podman"):
        conf = shared / "containers.conf"
        conf.write_text(PODMAN_CONF)
        conf.chmod(0o644)
        argv = user.argv(["podman", "--runtime", "runc"], env={"CONTAINERS_CONF": str(conf)})
        out.append(Engine(PODMAN, argv))
    return out


def run_rows(group: list[Engine], rootfs: Path, repeat: int) -> list[Row]:
    """The engines take turns (timing.medians_in_turn): a load that comes and goes
    falls on each alike."""
    for engine in group:
        engine.run("import", "--change", 'CMD ["sh"]', str(rootfs), "busybox:latest")
    rows = []
    for name, flags in (
        ("run --rm --network none busybox true", ["--network", "none"]),
        ("run --rm busybox true (default network)", []),
    ):
        runs = {e.name: command(e.cmd("run", "--rm", *flags, "busybox", "true")) for e in group}
        rows.append(Row(name, medians_in_turn(runs, repeat=repeat)))
    return rows


def build_rows(group: list[Engine], shared: Path, repeat: int) -> list[Row]:
    """Root and rootless portside in turn; rootless Podman, whose builds take tens of
    seconds each here, on its own with three tries."""
    rootfs = node_rootfs(shared)
    apps = {}
    for engine in group:
        changes = ["--change", 'CMD ["node"]', "--change", "ENV NODE_ENV=production"]
        engine.run("import", *changes, str(rootfs), "node:18")
        apps[engine.name] = make_app(shared / engine.name.replace(" ", "-").strip("()"))
    ours = [e for e in group if e.name != PODMAN]
    results: dict[str, dict[str, float]] = {}
    for label, extra in (("cold build", ["--no-cache"]), ("fully cached rebuild", [])):
        runs = {e.name: command(e.cmd("build", "-q", *extra, "-t", "bench/app", str(apps[e.name])))
                for e in ours}  # fmt: skip
        results[label] = medians_in_turn(runs, repeat=repeat)
    counter = iter(range(10_000))

    def edit(name: str) -> Callable[[], object]:
        server = apps[name] / "server.js"
        source = server.read_text()
        return lambda: server.write_text(source.replace("app!", f"app, edit {next(counter)}!"))

    runs = {e.name: command(e.cmd("build", "-q", "-t", "bench/app", str(apps[e.name])))
            for e in ours}  # fmt: skip
    results["one source file changed"] = medians_in_turn(
        runs, prepare={e.name: edit(e.name) for e in ours}, repeat=repeat
    )
    for engine in group:
        if engine.name == PODMAN:
            podman = build_bench(engine, apps[engine.name], min(repeat, 3))
            for label in results:
                results[label][PODMAN] = podman[label]
    return [Row(label, by_engine) for label, by_engine in results.items()]


def rootless_rows(work: Path, repeat: int) -> tuple[list[Row], list[str]]:
    """The rows and the engines' names; the user and everything it made removed."""
    user = add_user()
    shared = Path(tempfile.mkdtemp(prefix="portside-bench-", dir="/tmp"))
    shared.chmod(0o755)
    try:
        group = engines(user, shared)
        rootfs = busybox_rootfs(shared)
        rootfs.chmod(0o644)
        rows = run_rows(group, rootfs, repeat) + build_rows(group, shared, repeat)
        return rows, [e.name for e in group]
    finally:
        remove_user(user)
        root_store = ["--root", str(shared / "root-store"), "--runroot", str(shared / "root-run")]
        Engine(ROOT, [str(REPO / ".venv/bin/portside"), *root_store]).run(
            "system", "prune", "-a", "-f", check=False
        )
        shutil.rmtree(shared, ignore_errors=True)


def rootless_table(rows: list[Row], names: list[str]) -> str:
    """Medians, with rootless portside's ratio to root portside and to rootless Podman."""
    lines = [
        "| benchmark | " + " | ".join(names) + " | rootless / root | rootless / Podman |",
        "|---" * (len(names) + 3) + "|",
    ]
    for row in rows:
        r = row.results
        cells = [f"{r[n]:.3f} s" if n in r else "—" for n in names]
        to_root = f"{r[ROOTLESS] / r[ROOT]:.2f}×"
        to_podman = f"{r[ROOTLESS] / r[PODMAN]:.2f}×" if PODMAN in r else "—"
        lines.append(f"| {row.benchmark} | " + " | ".join(cells) + f" | {to_root} | {to_podman} |")
    return "\n".join(lines)


ROOTLESS_NOTE = """As an ordinary user made for the run (with a subordinate ID range), each
engine with its own store; root portside beside it from the same interpreter. portside's
rootless default network is a bridge in the user's own network namespace with one
slirp4netns for the namespace (started once, kept); rootless Podman 4.3 starts a
slirp4netns per container. Goal (issue 22): rootless within 1.2× of root portside and
ahead of rootless Podman on each row."""
