"""portside as an ordinary user: throwaway users (tests/users.py), with and without a
range in /etc/subuid, run the notes' walk through ``runuser`` with their default store,
with Debian's python3 and a copy of src/ that any user can read (tests/users.py). Each
user, its processes and its files are removed at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path

import pytest

from ..conftest import Result, result_of
from ..users import USER_PATH, User, add_user, remove_user, user_portside
from .registries import free_port, serve


class Runner(User):
    """A throwaway user (tests/users.py) and the portside commands it runs."""

    def __call__(
        self,
        *args: str,
        check: bool = True,
        tun: bool = True,
        path: str = USER_PATH,
        cwd: Path | None = None,
    ) -> Result:
        argv = self.argv([*user_portside(), *args], tun=tun, path=path)
        proc = subprocess.run(argv, capture_output=True, timeout=300, cwd=cwd or "/")
        return result_of(proc, f"{self.name}: portside {' '.join(args)}", check)


@pytest.fixture
def make_user() -> Iterator[Callable[..., Runner]]:
    """Makes users (``subids``: with the range useradd gives); removes them, their
    processes and their files at the end."""
    made: list[User] = []

    def make(subids: bool = True) -> Runner:
        try:
            made.append(add_user(subids))
        except RuntimeError as e:
            pytest.fail(str(e))
        return Runner(made[-1].name)

    yield make
    for user in made:
        remove_user(user)


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder every user can read (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="portside-shared-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@pytest.fixture
def shared_busybox(busybox_tar: Path, shared: Path) -> Path:
    """The busybox rootfs tar where users can read it."""
    tar = shared / "busybox.tar"
    shutil.copy(busybox_tar, tar)
    tar.chmod(0o644)
    return tar


@pytest.fixture
def user_tar(busybox_tar: Path, shared: Path) -> Path:
    """busybox's rootfs with three files owned by 1000, 65534 and 200000, and a device."""
    out = shared / "owners.tar"
    with tarfile.open(busybox_tar) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        for name, uid in (("home/u1000", 1000), ("home/nobody", 65534), ("home/big", 200000)):
            info = tarfile.TarInfo(name)
            info.size, info.uid, info.gid, info.mode = 3, uid, uid, 0o644
            dst.addfile(info, BytesIO(b"hi\n"))
        device = tarfile.TarInfo("home/null")  # a user namespace cannot make it: left out
        device.type, device.devmajor, device.devminor, device.mode = tarfile.CHRTYPE, 1, 3, 0o666
        dst.addfile(device)
    out.chmod(0o644)
    return out


def owners(listing: str) -> dict[str, str]:
    """``ls -ln`` lines as name -> "uid:gid"."""
    rows = [line.split() for line in listing.splitlines() if len(line.split()) >= 9]
    return {row[-1]: f"{row[2]}:{row[3]}" for row in rows}


def written_outside(user: Runner, allowed: list[Path]) -> list[str]:
    """Files of the user's (or its subordinate IDs') in the machine's shared scratch
    folders, other than under ``allowed``."""
    found = []
    for top in ("/tmp", "/var/tmp", "/dev/shm"):
        for dirpath, dirnames, filenames in os.walk(top):
            if any(Path(dirpath).is_relative_to(a) for a in allowed):
                dirnames.clear()
                continue
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                if Path(path) in allowed:
                    continue
                try:
                    uid = os.lstat(path).st_uid
                except OSError:
                    continue
                if uid == user.uid or 100000 <= uid < 4000000:
                    found.append(path)
    return found


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(tmp_path_factory.mktemp("rootless-registry")) as address:
        yield address


def test_the_notes_walk_as_an_ordinary_user_with_subordinate_ids(
    make_user: Callable[..., Runner],
    shared: Path,
    shared_busybox: Path,
    user_tar: Path,
    registry: str,
) -> None:
    user = make_user()
    user("import", "--change", 'CMD ["sh"]', str(shared_busybox), "busybox:latest")

    info = user("info").stdout
    assert f"Root Dir: {user.store}" in info
    assert f"Run Root: {user.runroot}" in info
    assert "Rootless: true" in info and f"0 -> {user.uid}, 1-65536 -> " in info

    # image files keep their owners inside the range; one past it belongs to root
    user("import", str(user_tar), "owners:1")
    listing = user("run", "--rm", "owners:1", "ls", "-ln", "/home").stdout
    assert owners(listing) == {"u1000": "1000:1000", "nobody": "65534:65534", "big": "0:0"}

    context = shared / "app"
    context.mkdir(mode=0o755)
    (context / "Dockerfile").write_text(
        "FROM busybox\n"
        "RUN echo 'app:x:1000:1000::/:/bin/sh' >> /etc/passwd && mkdir /data && chown app /data\n"
        "COPY hello.txt /data/\n"
        "USER app\n"
        "RUN id -u > /data/uid && ls -ln /data/uid\n"
        'CMD ["cat", "/data/hello.txt", "/data/uid"]\n'
    )
    (context / "hello.txt").write_text("hello from the build\n")
    for f in context.iterdir():
        f.chmod(0o644)
    built = user("build", "-t", "app:1", ".", cwd=context)
    assert "Successfully tagged app:1" in built.stdout
    assert user("run", "--rm", "app:1").stdout == "hello from the build\n1000\n"

    # a published port, reached from the host's 127.0.0.1
    www = shared / "www"
    www.mkdir(mode=0o755)
    (www / "index.html").write_text("served rootless\n")
    (www / "index.html").chmod(0o644)
    port = free_port()
    user("run", "-d", "--name", "web", "-p", f"{port}:80", "-v", f"{www}:/www:ro",
         "busybox", "httpd", "-f", "-p", "80", "-h", "/www")  # fmt: skip
    assert user("port", "web").stdout == f"80/tcp -> 0.0.0.0:{port}\n"
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                assert answer.read() == b"served rootless\n"
                break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)

    # a user network: containers find each other by name
    user("network", "create", "appnet")
    user("run", "-d", "--name", "db", "--network", "appnet", "busybox", "sleep", "60")
    pinged = user("run", "--rm", "--network", "appnet", "busybox", "ping", "-c1", "-W2", "db")
    assert "1 packets received" in pinged.stdout

    # ps, logs, exec, cp, stop/start, commit
    user("run", "-d", "--name", "box", "busybox", "sh", "-c", "echo started; sleep 60")
    assert {"web", "db", "box"} <= set(user("ps", "--format", "{{.Names}}").stdout.split())
    assert "started" in user("logs", "box").stdout
    assert user("exec", "box", "id", "-u").stdout == "0\n"
    # top and stats find the container's processes by PID namespace (no cgroup of its own)
    top = user("top", "box").stdout.splitlines()
    assert len(top) == 2 and top[1].endswith("sleep 60")
    stats = user("stats", "--no-stream", "--format", "{{.PIDs}} {{.MemUsage}}", "box").stdout
    pids, used = stats.split()[0], stats.split()[1]
    assert pids == "1" and used.endswith(("KiB", "MiB")) and float(used[:-3]) < 100
    note = shared / "note.txt"
    note.write_text("copied in\n")
    note.chmod(0o644)
    user("cp", str(note), "box:/note.txt")
    assert user("exec", "box", "cat", "/note.txt").stdout == "copied in\n"
    out = user("cp", "box:/note.txt", "-").stdout_bytes
    with tarfile.open(fileobj=BytesIO(out)) as tf:
        member = tf.extractfile("note.txt")
        assert member is not None and member.read() == b"copied in\n"
    user("stop", "-t", "1", "box")
    user("start", "box")
    user("commit", "box", "box:snap")
    assert user("run", "--rm", "box:snap", "cat", "/note.txt").stdout == "copied in\n"

    # push and pull through the host's loopback
    name = f"{registry}/rootless/app:1"
    user("tag", "app:1", name)
    user("push", name)
    user("rmi", name, "app:1")
    user("pull", name)
    assert user("run", "--rm", name).stdout == "hello from the build\n1000\n"

    # save and load
    saved = user.home / "app.tar"
    user("save", "-o", str(saved), name)
    user("rmi", name)
    assert f"Loaded image: {name}" in user("load", "-i", str(saved)).stdout

    user("rm", "-f", "web", "db", "box")
    user("network", "rm", "appnet")
    user("container", "prune", "-f")
    user("image", "prune", "-a", "-f")
    assert user("ps", "-a", "-q").stdout == ""

    root_owned = [p for p in user.store.rglob("*") if p.lstat().st_uid == 0]
    assert root_owned == []
    assert written_outside(user, [user.runroot, shared]) == []


def test_without_subordinate_ids_one_id_with_a_notice(
    make_user: Callable[..., Runner], shared: Path, user_tar: Path
) -> None:
    user = make_user(subids=False)
    first = user("import", str(user_tar), "owners:1")
    notice = [line for line in first.stderr.splitlines() if "/etc/subuid" in line]
    assert len(notice) == 1 and "one user ID" in notice[0]
    second = user("run", "--rm", "--network", "none", "owners:1", "ls", "-ln", "/home")
    assert "/etc/subuid" not in second.stderr  # once per store
    assert owners(second.stdout) == {"u1000": "0:0", "nobody": "0:0", "big": "0:0"}
    assert user("run", "--rm", "owners:1", "id", "-u").stdout == "0\n"

    refused = user("run", "--rm", "--user", "1000", "owners:1", "id", check=False)
    assert refused.returncode == 125
    assert refused.stderr.count("\n") == 1
    assert "uid 1000 is not mapped" in refused.stderr and "/etc/subuid" in refused.stderr
    assert user("ps", "-a", "-q").stdout == ""

    # the rest of the walk with one ID: build, a detached container, commit, save, load
    context = shared / "one-id"
    context.mkdir(mode=0o755)
    (context / "Dockerfile").write_text("FROM owners:1\nRUN echo built > /built\n")
    (context / "Dockerfile").chmod(0o644)
    user("build", "-t", "one:1", ".", cwd=context)
    user("run", "-d", "--name", "box", "one:1", "sleep", "60")
    assert user("exec", "box", "cat", "/built").stdout == "built\n"
    user("stop", "-t", "1", "box")
    user("start", "box")
    user("commit", "box", "one:2")
    user("save", "-o", str(user.home / "one.tar"), "one:2")
    user("rm", "-f", "box")
    user("rmi", "one:2")
    assert "Loaded image: one:2" in user("load", "-i", str(user.home / "one.tar")).stdout
    assert user("run", "--rm", "one:2", "cat", "/built").stdout == "built\n"
    assert [p for p in user.store.rglob("*") if p.lstat().st_uid == 0] == []


def test_network_none_works_where_tun_cannot_be_opened(
    make_user: Callable[..., Runner], shared: Path, shared_busybox: Path
) -> None:
    user = make_user()
    user("import", str(shared_busybox), "busybox:latest", tun=False)
    ran = user("run", "--rm", "--network", "none", "busybox", "echo", "ok", tun=False)
    assert ran.stdout == "ok\n"
    refused = user("run", "--rm", "busybox", "true", tun=False, check=False)
    assert refused.returncode != 0
    assert refused.stderr.count("\n") == 1
    assert "/dev/net/tun" in refused.stderr and "--network none" in refused.stderr
    assert user("ps", "-a", "-q", tun=False).stdout == ""

    # the walk with --network none: build, a detached container, exec, logs, stop, start
    context = shared / "no-net"
    context.mkdir(mode=0o755)
    (context / "Dockerfile").write_text("FROM busybox\nRUN echo built > /built\n")
    (context / "Dockerfile").chmod(0o644)
    user("build", "--network", "none", "-t", "nonet:1", ".", cwd=context, tun=False)
    user("run", "-d", "--name", "box", "--network", "none", "nonet:1", "sh", "-c",
         "cat /built; sleep 60", tun=False)  # fmt: skip
    assert user("exec", "box", "cat", "/built", tun=False).stdout == "built\n"
    user("stop", "-t", "1", "box", tun=False)
    user("start", "box", tun=False)
    assert user("logs", "box", tun=False).stdout == "built\nbuilt\n"
    user("rm", "-f", "box", tun=False)


def test_cgroup_limits_are_refused_in_one_line(
    make_user: Callable[..., Runner], shared_busybox: Path
) -> None:
    user = make_user()
    user("import", str(shared_busybox), "busybox:latest")
    refused = user("run", "--rm", "--memory", "64m", "--pids-limit", "10", "busybox", "true",
                   check=False)  # fmt: skip
    assert refused.returncode == 125
    assert refused.stderr.count("\n") == 1
    assert "--memory, --pids-limit" in refused.stderr and "delegate" in refused.stderr
    assert user("ps", "-a", "-q").stdout == ""
    assert user("run", "--rm", "--ulimit", "nofile=256:256", "busybox", "true").returncode == 0


def test_a_user_without_newuidmap_is_told_what_to_install(
    make_user: Callable[..., Runner], shared: Path
) -> None:
    user = make_user()
    bin_dir = shared / "bin"  # everything of /usr/bin the first command needs, but newuidmap
    bin_dir.mkdir(mode=0o755)
    for tool in ("sleep", "nsenter"):
        (bin_dir / tool).symlink_to(shutil.which(tool) or tool)
    refused = user("images", path=str(bin_dir), check=False)
    assert refused.returncode == 125
    assert refused.stderr.count("\n") == 1
    assert "newuidmap is not installed" in refused.stderr and "uidmap" in refused.stderr
    assert user.processes() == []  # no pause left behind


def test_a_range_holding_the_users_own_id_is_named(make_user: Callable[..., Runner]) -> None:
    user = make_user(subids=False)
    first = user.uid - 10
    subprocess.run(
        ["usermod", "--add-subuids", f"{first}-{first + 65535}",
         "--add-subgids", f"{first}-{first + 65535}", user.name],
        check=True,
    )  # fmt: skip
    refused = user("images", check=False)
    assert refused.returncode == 125
    assert refused.stderr.count("\n") == 1
    assert f"{user.name}:{first}:65536 holds {user.name}'s own ID {user.uid}" in refused.stderr
    assert user.processes() == []


def test_two_users_keep_apart(make_user: Callable[..., Runner], shared_busybox: Path) -> None:
    alice, bob = make_user(), make_user()
    for user in (alice, bob):
        user("import", str(shared_busybox), "busybox:latest")
        user("run", "-d", "--name", "same", "--network", "none", "busybox", "sleep", "60")
    for user, other in ((alice, bob), (bob, alice)):
        mine = user("ps", "-a", "--no-trunc", "-q").stdout.split()
        theirs = other("ps", "-a", "--no-trunc", "-q").stdout.split()
        assert len(mine) == 1 and not set(mine) & set(theirs)
        assert user("inspect", "--format", "{{.Id}}", "same").stdout.split() == mine
    peek = subprocess.run(
        ["runuser", "-u", bob.name, "--", "ls", str(alice.store)], capture_output=True, text=True
    )
    assert peek.returncode != 0 and "Permission denied" in peek.stderr


def test_the_engine_api_as_an_ordinary_user(
    make_user: Callable[..., Runner], shared_busybox: Path
) -> None:
    """``system service`` in the user's namespace, driven by the Debian docker CLI."""
    user = make_user()
    user("import", "--change", 'CMD ["sh"]', str(shared_busybox), "busybox:latest")
    sock = user.runroot / "portside.sock"
    service = subprocess.Popen(
        user.argv([*user_portside(), "system", "service"]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while not sock.exists():
            assert service.poll() is None and time.monotonic() < deadline, "no socket"
            time.sleep(0.05)
        env = {**os.environ, "DOCKER_HOST": f"unix://{sock}"}
        ran = subprocess.run(
            ["/usr/bin/docker", "run", "--rm", "busybox", "echo", "via the API"],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        assert ran.stdout == "via the API\n", ran.stderr
    finally:
        service.terminate()
        _, err = service.communicate(timeout=15)
    assert b"control of your containers and files" in err
    assert user("ps", "-a", "-q").stdout == ""
