"""build on the busybox base: the notes' example with busybox commands, the cache seen
through its effects (a marker a RUN writes stays when the step is cached), and why a
miss missed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from ..conftest import Portside

pytestmark = pytest.mark.usefixtures("busybox")

NOTES_DOCKERFILE = """\
FROM busybox
WORKDIR /app
COPY package.json .
RUN cat /proc/sys/kernel/random/uuid > /app/installed
COPY . /app
RUN cat /proc/sys/kernel/random/uuid > /app/built && ls /app/src > /app/listing
CMD ["cat", "/app/listing"]
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A notes-style app: package.json, a few sources, a .dockerignore."""
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "app"}\n')
    (root / "src" / "server.js").write_text("console.log(1)\n")
    (root / "src" / "util.js").write_text("module.exports = 1\n")
    (root / "src" / "secret.env").write_text("TOKEN=1\n")
    (root / ".dockerignore").write_text("# local only\nsrc/*.env\n")
    (root / "Dockerfile").write_text(NOTES_DOCKERFILE)
    return root


def cat(portside: Portside, image: str, path: str) -> str:
    return portside("run", "--rm", image, "cat", path).stdout


def test_cache_reuses_steps_and_says_why_it_missed(portside: Portside, app: Path) -> None:
    first = portside("build", "-t", "app:1", str(app)).stdout
    assert "Successfully tagged app:1" in first
    assert portside("run", "--rm", "app:1").stdout == "server.js\nutil.js\n"  # .dockerignore
    installed, built = (
        cat(portside, "app:1", "/app/installed"),
        cat(portside, "app:1", "/app/built"),
    )

    again = portside("build", "-t", "app:2", str(app)).stdout
    assert "Cache miss" not in again and again.count("Using cache") == 4
    assert cat(portside, "app:2", "/app/built") == built
    ids = portside("images", "-q", "--no-trunc", "app").stdout.split()
    assert len(set(ids)) == 1  # a rebuild from the cache is the same image, as in Docker

    for path in app.rglob("*"):  # a fresh checkout: same bytes, new times
        os.utime(path, (time.time() + 100, time.time() + 100))
    assert "Cache miss" not in portside("build", str(app)).stdout

    (app / "src" / "server.js").write_text("console.log(2)\n")
    (app / "src" / "new.js").write_text("x\n")
    changed = portside("build", "-t", "app:3", str(app)).stdout
    assert "Cache miss: changed src/server.js (+1 more)" in changed
    assert "Cache miss: after step 5's miss" in changed
    assert cat(portside, "app:3", "/app/installed") == installed  # npm install stayed cached
    assert cat(portside, "app:3", "/app/built") != built
    assert portside("run", "--rm", "app:3").stdout == "new.js\nserver.js\nutil.js\n"

    nocache = portside("build", "--no-cache", str(app)).stdout
    assert nocache.count("Cache miss: --no-cache") == 4  # every step that makes a layer
    assert "Using cache" not in nocache


def test_stat_cache_never_hides_a_change(portside: Portside, app: Path) -> None:
    source = app / "src" / "server.js"
    old = os.stat(source)
    os.utime(source, ns=(old.st_atime_ns, old.st_mtime_ns - 10_000_000_000))  # not racy
    portside("build", str(app))
    portside("build", str(app))  # the second build takes digests from the stat cache
    stamp = os.stat(source)
    source.write_text("console.log(9)\n")  # same size, and the old time put back
    os.utime(source, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert "Cache miss: changed src/server.js" in portside("build", str(app)).stdout


def test_cache_survives_rmi_of_the_tagged_image(portside: Portside, app: Path) -> None:
    portside("build", "-t", "app:1", str(app))
    assert "Deleted:" in portside("rmi", "app:1").stdout  # the image and its own layers go
    portside("image", "prune", "-f")
    assert "Cache miss" not in portside("build", "-t", "app:1", str(app)).stdout
    pruned = portside("builder", "prune", "-a", "-f").stdout
    assert "Deleted build cache objects:" in pruned and "Total reclaimed space:" in pruned
    assert "Cache miss: not built before" in portside("build", str(app)).stdout


def test_build_args_reach_run_and_a_change_misses_there(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nARG GREETING=hello\nRUN echo $GREETING > /greeting\n"
        'RUN cat /proc/sys/kernel/random/uuid > /marker\nCMD ["cat", "/greeting"]\n'
    )
    portside("build", "-t", "args:1", str(tmp_path))
    assert portside("run", "--rm", "args:1").stdout == "hello\n"
    out = portside("build", "--build-arg", "GREETING=bye", "-t", "args:2", str(tmp_path)).stdout
    assert "Cache miss: build arg GREETING changed ('hello' -> 'bye')" in out
    assert portside("run", "--rm", "args:2").stdout == "bye\n"
    env = json.loads(portside("image", "inspect", "args:2").stdout)[0]["Config"].get("Env") or []
    assert not any(e.startswith("GREETING=") for e in env)  # build args are not kept


def test_multistage_copy_from_and_target(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox AS builder\nRUN mkdir /out && echo artifact > /out/bin.txt\n"
        "FROM busybox AS unused\nRUN exit 9\n"
        "FROM busybox\nCOPY --from=builder /out/bin.txt /bin.txt\n"
        'CMD ["cat", "/bin.txt"]\n'
    )
    out = portside("build", "-t", "multi", str(tmp_path)).stdout
    assert "exit 9" not in out  # a stage the target does not need is skipped
    assert portside("run", "--rm", "multi").stdout == "artifact\n"
    portside("build", "--target", "builder", "-t", "multi:builder", str(tmp_path))
    assert cat(portside, "multi:builder", "/out/bin.txt") == "artifact\n"
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nCOPY --from=busybox:latest /bin/busybox /copied-busybox\n"
    )
    portside("build", "-t", "from-image", str(tmp_path))
    assert (
        portside("run", "--rm", "from-image", "cmp", "/bin/busybox", "/copied-busybox").returncode
        == 0
    )
    r = portside("build", "--target", "nosuch", str(tmp_path), check=False)
    assert r.returncode == 1 and "target stage 'nosuch' could not be found" in r.stderr


def test_config_instructions_history_and_heredoc(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nENV A=1 B=two\nLABEL maintainer=me\nEXPOSE 8080\nUSER nobody\n"
        'WORKDIR /tmp\nRUN <<EOF\necho "from a heredoc as $(id -un) in $(pwd)" > /tmp/h\nEOF\n'
        'ENTRYPOINT ["cat"]\nCMD ["/tmp/h"]\n'
    )
    portside("build", "-t", "cfg", str(tmp_path))
    assert portside("run", "--rm", "cfg").stdout == "from a heredoc as nobody in /tmp\n"
    cfg = json.loads(portside("image", "inspect", "cfg").stdout)[0]["Config"]
    assert "A=1" in cfg["Env"] and "B=two" in cfg["Env"]
    assert cfg["Labels"] == {"maintainer": "me"} and "8080/tcp" in cfg["ExposedPorts"]
    assert cfg["User"] == "nobody" and cfg["WorkingDir"] == "/tmp"
    assert cfg["Entrypoint"] == ["cat"] and cfg["Cmd"] == ["/tmp/h"]
    rows = portside(
        "history", "--no-trunc", "--format", "{{.CreatedBy}}", "cfg"
    ).stdout.splitlines()
    assert rows[0] == 'CMD ["/tmp/h"]' and rows[-2] == "ENV A=1 B=two"
    assert len(rows) == 9  # eight steps after FROM, then its one imported layer


def test_steps_that_change_nothing_stack_the_same_empty_layer(
    portside: Portside, tmp_path: Path
) -> None:
    # three RUN steps with no changes give one layer three times, as Docker's builds do;
    # the image mounts and runs (overlayfs would refuse a repeated lower directory)
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN true\nRUN true\nRUN echo x > /x\n")
    portside("build", "-t", "empties", str(tmp_path))
    layers = json.loads(portside("image", "inspect", "empties").stdout)[0]["RootFS"]["Layers"]
    assert len(layers) == 4 and layers[1] == layers[2]
    assert portside("run", "--rm", "empties", "cat", "/x").stdout == "x\n"


def test_workdir_makes_its_directory_for_the_copy_after_it(
    portside: Portside, tmp_path: Path
) -> None:
    # the notes' Dockerfile: COPY package.json /app after WORKDIR /app copies into it
    (tmp_path / "package.json").write_text("{}\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nWORKDIR /app\nCOPY package.json /app\nRUN ls /app > /listing\n"
        "USER nobody\nWORKDIR /home/me\nRUN touch mine\n"
    )
    portside("build", "-t", "wd", str(tmp_path))
    assert portside("run", "--rm", "wd", "cat", "/listing").stdout == "package.json\n"
    owner = portside("run", "--rm", "wd", "stat", "-c", "%U", "/home/me").stdout
    assert owner == "nobody\n"  # made as USER, as BuildKit makes it


def test_heredoc_forms(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nARG WHO=world\n"
        "COPY <<EOF /expanded\nhello $WHO\nEOF\n"
        "COPY <<'EOF' /literal\nhello $WHO\nEOF\n"
        "RUN <<'EOF'\necho script > /script-ran\nEOF\n"
        "RUN <<EOF cat > /from-stdin\npiped in\nEOF\n"
    )
    portside("build", "-t", "heredocs", str(tmp_path))
    assert cat(portside, "heredocs", "/expanded") == "hello world\n"
    assert cat(portside, "heredocs", "/literal") == "hello $WHO\n"
    assert cat(portside, "heredocs", "/script-ran") == "script\n"
    assert cat(portside, "heredocs", "/from-stdin") == "piped in\n"


def test_onbuild_triggers_run_in_the_child(portside: Portside, tmp_path: Path) -> None:
    parent, child = tmp_path / "parent", tmp_path / "child"
    parent.mkdir()
    child.mkdir()
    (parent / "Dockerfile").write_text("FROM busybox\nONBUILD RUN echo triggered > /t\n")
    portside("build", "-t", "base-onbuild", str(parent))
    (child / "Dockerfile").write_text("FROM base-onbuild\n")
    portside("build", "-t", "child-onbuild", str(child))
    assert cat(portside, "child-onbuild", "/t") == "triggered\n"
    cfg = json.loads(portside("image", "inspect", "child-onbuild").stdout)[0]["Config"]
    assert not cfg.get("OnBuild")


def test_failures_tag_nothing_and_say_where(portside: Portside, tmp_path: Path) -> None:
    before = portside("images", "-q").stdout

    def fails(dockerfile: str) -> str:
        (tmp_path / "Dockerfile").write_text(dockerfile)
        r = portside("build", "-t", "broken", str(tmp_path), check=False)
        assert r.returncode == 1, r
        if "RUN echo" in dockerfile:
            assert "\nabout to fail\n" in r.stdout  # the step's output, as it ran
        return r.stderr

    err = fails("FROM busybox\nRUN echo about to fail; exit 3\n")
    assert (
        "Dockerfile:2: The command '/bin/sh -c echo about to fail; exit 3' "
        "returned a non-zero code: 3" in err
    )
    assert "Dockerfile:2: unknown instruction: RUNN" in fails("FROM busybox\nRUNN x\n")
    assert "Dockerfile:2: COPY failed: file not found in build context" in fails(
        "FROM busybox\nCOPY nosuchfile /\n"
    )
    (tmp_path.parent / "outside.txt").write_text("no\n")
    assert "forbidden path outside the build context: ../outside.txt" in fails(
        "FROM busybox\nCOPY ../outside.txt /\n"
    )
    os.symlink("../outside.txt", tmp_path / "escape")
    assert "forbidden path outside the build context" in fails("FROM busybox\nCOPY escape /\n")
    # a missing base image is pulled; here from a loopback port nothing listens on
    assert "Dockerfile:1: 127.0.0.1:1/nosuchimage: cannot reach the registry" in fails(
        "FROM 127.0.0.1:1/nosuchimage\n"
    )
    assert "Dockerfile:3: COPY --from=127.0.0.1:1/nostage: no such stage" in fails(
        "FROM busybox\nRUN true\nCOPY --from=127.0.0.1:1/nostage /a /b\n"  # not Docker Hub
    )
    assert portside("images", "-q").stdout == before  # nothing tagged, nothing half-made
    assert list((portside.root / "tmp").iterdir()) == []  # no layer left half-made
    assert str(portside.root) not in Path("/proc/self/mounts").read_text()


def test_dockerfile_on_stdin_and_quiet_iidfile(portside: Portside, tmp_path: Path) -> None:
    iid = tmp_path / "iid"
    r = portside(
        "build",
        "-q",
        "--iidfile",
        str(iid),
        "-t",
        "stdin-df",
        "-",
        input=b"FROM busybox\nRUN echo piped > /p\n",
    )
    assert r.stdout.strip() == iid.read_text() and r.stdout.startswith("sha256:")
    assert cat(portside, "stdin-df", "/p") == "piped\n"


def test_system_df_counts_images_containers_and_build_cache(portside: Portside, app: Path) -> None:
    def df() -> dict[str, list[str]]:
        lines = portside("system", "df").stdout.splitlines()
        assert lines[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
        return {ln[:16].strip(): ln[16:].split() for ln in lines[1:]}

    portside("build", "-t", "app:1", str(app))
    portside("run", "-d", "--name", "up", "app:1", "sleep", "300")
    usage = df()
    assert usage["Images"][:2] == ["2", "1"]  # busybox and app:1; app:1 in use
    assert usage["Containers"][:2] == ["1", "1"]
    assert int(usage["Build Cache"][0]) > 0
    info = portside("info", "--format", "{{.Containers}} {{.ContainersRunning}}").stdout
    assert info == "1 1\n"
    portside("builder", "prune", "-a", "-f")
    assert df()["Build Cache"][0] == "0"


def test_system_df_format_and_verbose(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo hello > /hello\n")
    portside("build", "-t", "small", str(tmp_path))
    portside("run", "--name", "user", "-v", "vol1:/data", "small", "sh", "-c", "echo hi > /x")
    rows = [
        json.loads(line)
        for line in portside("system", "df", "--format", "{{json .}}").stdout.splitlines()
    ]
    assert [list(r) for r in rows] == [["Active", "Reclaimable", "Size", "TotalCount", "Type"]] * 4
    assert [r["Type"] for r in rows] == ["Images", "Containers", "Local Volumes", "Build Cache"]
    assert [(r["TotalCount"], r["Active"]) for r in rows[:3]] == [
        ("2", "1"),
        ("1", "0"),
        ("1", "1"),
    ]
    assert rows[1]["Size"] == "3B" and rows[1]["Reclaimable"] == "3B (100%)"
    fmt = "table {{.Type}}\t{{.TotalCount}}"
    table = portside("system", "df", "--format", fmt).stdout.splitlines()
    assert table[0].split() == ["TYPE", "TOTAL"] and table[1].split() == ["Images", "2"]
    text = portside("system", "df", "-v").stdout
    sections = text.split("\n\n")
    assert sections[0] == "Images space usage:"
    images = sections[1].splitlines()
    assert re.split(r"\s\s+", images[0])[:4] == ["REPOSITORY", "TAG", "IMAGE ID", "CREATED"]
    assert "SHARED SIZE   UNIQUE SIZE   CONTAINERS" in images[0]
    small = next(line.split() for line in images if line.startswith("small "))
    assert small[:2] == ["small", "latest"] and small[-1] == "1"
    assert sections[2] == "Containers space usage:"
    containers = sections[3].splitlines()
    assert "CONTAINER ID   IMAGE     COMMAND" in containers[0] and "LOCAL VOLUMES" in containers[0]
    assert containers[1].split()[1] == "small" and containers[1].endswith("user")
    assert sections[4] == "Local Volumes space usage:"
    assert sections[5].splitlines()[1].split() == ["vol1", "1", "0B"]
    assert sections[6].startswith("Build cache usage: ")
    assert re.split(r"\s\s+", sections[7].splitlines()[0]) == [
        "CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED"
    ]  # fmt: skip
    verbose = json.loads(portside("system", "df", "-v", "--format", "{{json .}}").stdout)
    assert list(verbose) == ["Images", "Containers", "Volumes", "BuildCache"]
    assert verbose["Volumes"][0]["Name"] == "vol1" and verbose["Volumes"][0]["Links"] == "1"
    assert verbose["Containers"][0]["Names"] == "user"
    assert "echo hello > /hello" in verbose["BuildCache"][-1]["Description"]


def test_image_prune_says_what_the_build_cache_keeps(portside: Portside, tmp_path: Path) -> None:
    """image prune -a of an image built FROM busybox deletes busybox too, but the cached
    RUN step stands on busybox's layer: df's build cache row and prune's summary say so."""
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo hello > /hello\n")
    portside("build", "-t", "small", str(tmp_path))
    busybox_size = json.loads(portside("image", "inspect", "busybox").stdout)[0]["Size"]
    pruned = portside("image", "prune", "-a", "-f")
    out = pruned.stdout
    assert "untagged: busybox:latest" in out and "untagged: small:latest" in out
    # stdout ends as Docker's (clients parse it); the note is on stderr
    assert out.splitlines()[-1] == "Total reclaimed space: 0B"  # every layer is the cache's
    note = pruned.stderr.strip()
    assert note.startswith("Still held by the build cache: ")
    assert note.endswith(" (free it with: portside builder prune -a)")
    df = {
        r["Type"]: r
        for r in map(
            json.loads, portside("system", "df", "--format", "{{json .}}").stdout.splitlines()
        )
    }
    assert df["Images"]["Size"] == "0B"
    held = note.split(": ")[1].split(" (")[0]
    assert df["Build Cache"]["Size"] == df["Build Cache"]["Reclaimable"] == held
    cache = json.loads(portside("system", "df", "-v", "--format", "{{json .BuildCache}}").stdout)
    assert sum(_bytes(e["Size"]) for e in cache) == _bytes(held) >= busybox_size * 0.99
    out = portside("builder", "prune", "-a", "-f").stdout
    assert "Still held" not in portside("image", "prune", "-a", "-f").stderr
    assert (
        json.loads(portside("system", "df", "--format", "{{json .}}").stdout.splitlines()[3])[
            "Size"
        ]
        == "0B"
    )


def _bytes(human: str) -> float:
    """A size as Docker prints it (``1.98MB``, ``6B``) back in bytes, roughly."""
    units = {"kB": 1e3, "MB": 1e6, "GB": 1e9, "B": 1.0}
    for unit, factor in units.items():
        if human.endswith(unit):
            return float(human[: -len(unit)]) * factor
    raise ValueError(human)


def test_context_as_a_tar_on_stdin_and_dockerfile_outside_it(
    portside: Portside, app: Path, tmp_path: Path
) -> None:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        tf.add(app, arcname=".")
    portside("build", "-t", "from-tar", "-", input=buf.getvalue())
    assert portside("run", "--rm", "from-tar").stdout == "server.js\nutil.js\n"
    outside = tmp_path / "elsewhere.Dockerfile"
    outside.write_text('FROM busybox\nCOPY package.json /\nCMD ["cat", "/package.json"]\n')
    portside("build", "-f", str(outside), "-t", "outside", str(app))
    assert portside("run", "--rm", "outside").stdout == '{"name": "app"}\n'
    outside.write_text("FROM busybox\nBOGUS x\n")
    r = portside("build", "-f", str(outside), str(app), check=False)
    assert r.returncode == 1 and "elsewhere.Dockerfile:2: unknown instruction: BOGUS" in r.stderr


def test_healthcheck_shell_and_stopsignal_reach_the_config(
    portside: Portside, tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text(
        'FROM busybox\nSHELL ["/bin/sh", "-ec"]\nRUN echo $0 > /shell\n'
        "HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost || exit 1\n"
        "STOPSIGNAL SIGINT\n"
    )
    portside("build", "-t", "hc", str(tmp_path))
    cfg = json.loads(portside("image", "inspect", "hc").stdout)[0]["Config"]
    assert cfg["Healthcheck"]["Test"] == ["CMD-SHELL", "wget -q localhost || exit 1"]
    assert cfg["Healthcheck"]["Interval"] == 5_000_000_000
    assert cfg["Healthcheck"]["Retries"] == 2
    assert cfg["StopSignal"] == "SIGINT" and cfg["Shell"] == ["/bin/sh", "-ec"]


def test_add_downloads_a_url_and_extracts_local_archives(
    portside: Portside, tmp_path: Path, http_files: tuple[Path, str]
) -> None:
    import io
    import tarfile

    served, base = http_files
    (served / "data.txt").write_text("first\n")
    url = f"{base}/data.txt"
    context = tmp_path / "ctx"
    context.mkdir()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("inside/packed.txt")
        info.size = 7
        tf.addfile(info, io.BytesIO(b"packed\n"))
    (context / "bundle.tar.gz").write_bytes(buf.getvalue())
    (context / "Dockerfile").write_text(
        f"FROM busybox\nADD {url} /data/\nADD bundle.tar.gz /opt/\n"
    )
    portside("build", "-t", "added", str(context))
    assert cat(portside, "added", "/data/data.txt") == "first\n"
    assert cat(portside, "added", "/opt/inside/packed.txt") == "packed\n"
    mode = portside("run", "--rm", "added", "stat", "-c", "%a", "/data/data.txt").stdout
    assert mode == "600\n"
    assert "Cache miss" not in portside("build", str(context)).stdout
    (served / "data.txt").write_text("second\n")
    assert f"Cache miss: changed {url}" in portside("build", "-t", "added", str(context)).stdout
    assert cat(portside, "added", "/data/data.txt") == "second\n"
    (context / "Dockerfile").write_text(f"FROM busybox\nCOPY {url} /\n")
    r = portside("build", str(context), check=False)
    assert r.returncode == 1 and "source can't be a URL for COPY" in r.stderr


def test_a_built_image_is_valid_for_skopeo(portside: Portside, app: Path, tmp_path: Path) -> None:
    from .test_archives import run, tool

    portside("build", "-t", "app:1", str(app))
    archive = tmp_path / "app.tar"
    portside("save", "-o", str(archive), "app:1")
    config = json.loads(
        run(tool("skopeo"), "inspect", "--config", f"docker-archive:{archive}").stdout
    )
    assert config["config"]["Cmd"] == ["cat", "/app/listing"]
    steps = [h for h in config["history"] if not h.get("empty_layer")]
    assert len(steps) == len(config["rootfs"]["diff_ids"])  # one history row per layer
    info = json.loads(run(tool("skopeo"), "inspect", f"docker-archive:{archive}").stdout)
    assert len(info["Layers"]) == 5  # busybox, COPY, RUN, COPY, RUN


def test_a_killed_build_leaves_nothing_the_next_one_does_not_reap(
    portside: Portside, tmp_path: Path
) -> None:
    """kill -9 of a build in a RUN step leaves runc run and its container running (they
    are not the builder's to take down); the next build's RUN reaps them and the store
    sweeps the step's mounted root."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN sleep 300\n")
    build = subprocess.Popen(
        portside.argv("build", "--network", "none", str(ctx)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    runc_root = portside.runroot / "runc"

    def left() -> list[str]:
        names = os.listdir(runc_root) if runc_root.exists() else []
        return [n for n in names if n.startswith(f"build-{build.pid}-")]

    try:
        deadline = time.monotonic() + 60
        while not left() and time.monotonic() < deadline:
            time.sleep(0.05)
        build.kill()
        build.wait()
        assert left(), "the killed build's RUN container should still be there"
        assert str(portside.root) in Path("/proc/self/mounts").read_text()

        (ctx / "Dockerfile").write_text("FROM busybox\nRUN true\n")
        portside("build", "--network", "none", str(ctx))
        assert not [n for n in os.listdir(runc_root) if n.startswith("build-")]
        assert str(portside.root) not in Path("/proc/self/mounts").read_text()
        assert os.listdir(portside.root / "tmp") == []
    finally:  # the test's own leftovers should it fail before the reap
        build.kill()
        build.wait()
        for name in left():
            subprocess.run(["runc", "--root", str(runc_root), "delete", "--force", name])
