"""RUN --mount (cache, bind, tmpfs, secret), RUN --network and --security, on the
busybox base: the golden Dockerfiles of tests/golden/build-mounts (docker init's Python,
Node and Go templates, with shell standing in for the package managers) and the rules
each mount type keeps — what persists, what never lands in a layer, what the cache key
sees, and the one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ..conftest import Portside, store_state

pytestmark = pytest.mark.usefixtures("busybox")

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "build-mounts"
SECRET = b"s3cr3t-9f4c1d7e-do-not-leak"


def golden(name: str, tmp_path: Path) -> Path:
    context = tmp_path / name
    shutil.copytree(GOLDEN / name, context)
    return context


def downloads(output: str) -> list[str]:
    return [line.split(" ", 1)[1] for line in output.splitlines() if line.startswith("Downloading")]


def files_in(portside: Portside, image: str, *paths: str) -> str:
    return portside(
        "run", "--rm", "--entrypoint", "sh", image, "-c", f"ls -d {' '.join(paths)} 2>&1; true"
    ).stdout


def one_line_failure(portside: Portside, *args: str) -> str:
    r = portside("build", *args, check=False)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0].removeprefix("Error: ")


def test_python_template_cache_persists_and_binds_stay_out(
    portside: Portside, tmp_path: Path
) -> None:
    app = golden("python", tmp_path)
    first = portside("build", "-t", "py:1", str(app)).stdout
    assert downloads(first) == ["flask", "requests"]
    assert portside("run", "--rm", "py:1").stdout == 'flask\nrequests\nprint("hello from app.py")\n'
    # the cache mount and the bind mount's file are not in the image
    left = files_in(portside, "py:1", "/root/.cache", "/usr/lib/site-packages/flask")
    assert "/root/.cache: No such file" in left and "/usr/lib/site-packages/flask\n" in left
    config = json.loads(portside("image", "inspect", "py:1").stdout)[0]["Config"]
    assert config["User"] == "appuser"

    again = portside("build", "-t", "py:2", str(app)).stdout
    assert "Cache miss" not in again and downloads(again) == []

    # a new dependency: the bind mount's file changed, so the step runs again, and the
    # cache mount still holds what the first build downloaded
    (app / "requirements.txt").write_text("flask\nrequests\nclick\n")
    third = portside("build", "-t", "py:3", str(app)).stdout
    assert "Cache miss: changed requirements.txt" in third
    assert downloads(third) == ["click"]
    assert "click" in portside("run", "--rm", "py:3").stdout


def test_node_template(portside: Portside, tmp_path: Path) -> None:
    app = golden("node", tmp_path)
    first = portside("build", "-t", "node:1", str(app)).stdout
    assert downloads(first) == ["express-4.19.2.tgz", "left-pad-1.3.0.tgz"]
    out = portside("run", "--rm", "node:1").stdout
    assert out.startswith("express-4.19.2.tgz\nleft-pad-1.3.0.tgz\n")
    left = files_in(portside, "node:1", "/root/.npm", "/usr/src/app/package-lock.json")
    # package-lock.json is in the image through COPY . ., not through the bind mount
    assert "/root/.npm: No such file" in left and "/usr/src/app/package-lock.json\n" in left

    lock = app / "package-lock.json"
    lock.write_text(lock.read_text().replace("left-pad-1.3.0", "left-pad-1.3.1"))
    second = portside("build", "-t", "node:2", str(app)).stdout
    assert "Cache miss: changed package-lock.json" in second
    assert downloads(second) == ["left-pad-1.3.1.tgz"]


def test_go_template_binds_the_whole_context(portside: Portside, tmp_path: Path) -> None:
    app = golden("go", tmp_path)
    first = portside("build", "-t", "go:1", str(app)).stdout
    assert downloads(first) == [
        "github.com/gorilla/mux",
        "golang.org/x/text",
        "ca-certificates",
    ]
    served = portside("run", "--rm", "go:1").stdout
    assert 'println("hello from main.go")' in served
    assert "module github.com_gorilla_mux" in served  # the build saw the cache mount

    # a source change reruns the build step only: go.mod's download stays cached
    (app / "main.go").write_text('package main\n\nfunc main() { println("v2") }\n')
    second = portside("build", "-t", "go:2", str(app)).stdout
    steps = second.split("\nStep ")
    download = next(s for s in steps if "source=go.sum" in s)
    assert "Using cache" in download and "Cache miss: changed main.go" in second
    assert downloads(second) == []
    assert 'println("v2")' in portside("run", "--rm", "go:2").stdout

    # the build stage's image has no trace of the mounts: /src stays as WORKDIR made it
    portside("build", "--target", "build", "-t", "go:build", str(app))
    left = files_in(portside, "go:build", "/src/main.go", "/src/go.mod", "/go")
    assert left.count("No such file") == 3, left


def test_cache_mount_is_listed_sized_and_pruned(portside: Portside, tmp_path: Path) -> None:
    app = golden("python", tmp_path)
    portside("build", str(app))
    df = portside("system", "df", "-v", "--format", "{{json .}}").stdout
    mounts = [e for e in json.loads(df)["BuildCache"] if e["CacheType"] == "exec.cachemount"]
    assert len(mounts) == 1 and mounts[0]["Description"] == "cached mount /root/.cache/pip"
    assert mounts[0]["Size"] != "0B"
    assert "Build Cache" in portside("system", "df").stdout

    # the cache's content is not in the key: with it gone the build is still cached
    pruned = portside("builder", "prune", "-f", "--filter", "type=exec.cachemount").stdout
    assert mounts[0]["ID"][:25] in pruned
    assert not list((portside.root / "cache-mounts").iterdir())
    assert "Cache miss" not in portside("build", str(app)).stdout
    # a step that runs again starts from an empty cache
    out = portside("build", "--no-cache", str(app)).stdout
    assert downloads(out) == ["flask", "requests"]
    # builder prune (no filter) takes cache mounts as well as steps
    assert "Total reclaimed space" in portside("builder", "prune", "-a", "-f").stdout
    assert not list((portside.root / "cache-mounts").iterdir())


def test_cache_mount_options(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox AS seed\nRUN mkdir -p /seed && echo seeded > /seed/s\n"
        "FROM busybox\n"
        "RUN --mount=type=cache,target=/c,id=shared-id,uid=123,gid=45,mode=0710 "
        "stat -c '%u %g %a' /c > /owner && echo one > /c/one\n"
        "RUN --mount=type=cache,target=/other,id=shared-id,uid=123,gid=45,mode=0710 "
        "ls /other > /seen\n"
        "RUN --mount=type=cache,target=/s,from=seed,source=/seed,sharing=locked "
        "cat /s/s > /seeded\n"
        "RUN --mount=type=cache,target=/r,ro,sharing=private sh -c '! touch /r/x' && touch /ro-ok\n"
        'CMD ["cat", "/owner", "/seen", "/seeded"]\n'
    )
    portside("build", "-t", "opts", str(tmp_path))
    assert portside("run", "--rm", "opts").stdout == "123 45 710\none\nseeded\n"


def test_bind_mounts(portside: Portside, tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    (context / "conf").mkdir(parents=True)
    (context / "conf" / "a.txt").write_text("from the context\n")
    (context / "conf" / "local.env").write_text("TOKEN=1\n")
    (context / ".dockerignore").write_text("**/*.env\n")
    (context / "Dockerfile").write_text(
        "FROM busybox AS builder\nRUN mkdir /out && echo artifact > /out/bin.txt\n"
        "FROM busybox\n"
        "RUN --mount=type=bind,from=builder,source=/out,target=/in cp /in/bin.txt /copied\n"
        "RUN --mount=type=bind,from=busybox,target=/img ls /img/bin/busybox > /from-image\n"
        "RUN --mount=type=bind,source=conf,target=/conf,rw "
        "sh -c 'echo changed > /conf/a.txt && rm -f /conf/gone && cat /conf/a.txt > /rw'\n"
        "RUN --mount=type=bind,source=conf,target=/conf sh -c '! touch /conf/x' && "
        "cat /conf/a.txt > /ro\n"
        "RUN --mount=type=bind,target=/ctx [ -e /ctx/conf/a.txt ] && [ ! -e /ctx/conf/local.env ]\n"
        'CMD ["cat", "/copied", "/from-image", "/rw", "/ro"]\n'
    )
    portside("build", "-t", "binds", str(context))
    assert portside("run", "--rm", "binds").stdout == (
        "artifact\n/img/bin/busybox\nchanged\nfrom the context\n"
    )
    assert (context / "conf" / "a.txt").read_text() == "from the context\n"  # rw discarded
    left = files_in(portside, "binds", "/in", "/img", "/conf")
    assert left.count("No such file") == 3, left
    # a change in the bound folder reruns the steps that mount it, not the others
    (context / "conf" / "a.txt").write_text("edited\n")
    out = portside("build", "-t", "binds:2", str(context)).stdout
    assert out.count("Using cache") == 3 and "Cache miss: changed conf/a.txt" in out
    # a file .dockerignore leaves out is neither shown nor in the key
    (context / "conf" / "local.env").write_text("TOKEN=2\n")
    assert "Cache miss" not in portside("build", str(context)).stdout
    # a change in the stage a bind mounts reruns the step, and says why
    dockerfile = (context / "Dockerfile").read_text()
    (context / "Dockerfile").write_text(dockerfile.replace("artifact", "artifact2"))
    out = portside("build", str(context)).stdout
    assert "Cache miss: the bind mount's from=builder changed" in out


def test_tmpfs_mount(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nRUN --mount=type=tmpfs,target=/scratch,size=1m "
        'sh -c \'df -k /scratch | grep -q "tmpfs *1024" && echo x > /scratch/f && '
        "cat /scratch/f > /used'\n"
        # a mount inside another's target goes on after it, whatever the order written
        "RUN --mount=type=bind,source=Dockerfile,target=/w/in/Dockerfile "
        "--mount=type=tmpfs,target=/w grep -q tmpfs /w/in/Dockerfile && touch /nested\n"
    )
    portside("build", "-t", "tmp", str(tmp_path))
    left = files_in(portside, "tmp", "/used", "/nested", "/scratch", "/w")
    assert "/used\n" in left and "/nested\n" in left and left.count("No such file") == 2


def every_file_holds(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_secrets_never_reach_the_store(portside: Portside, tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    secret_file = tmp_path / "npmrc"
    secret_file.write_bytes(SECRET)
    (context / "Dockerfile").write_text(
        "FROM busybox\n"
        "RUN --mount=type=secret,id=npmrc,target=/root/.npmrc "
        "--mount=type=secret,id=token,env=TOKEN "
        "--mount=type=secret,id=npmrc,uid=65534,mode=0440 "
        "sh -c 'wc -c < /root/.npmrc > /npmrc-length && echo ${#TOKEN} > /token-length && "
        'stat -c "%u %a" /run/secrets/npmrc > /perm && '
        '[ "$(cat /run/secrets/npmrc)" = "$TOKEN" ]\'\n'
        "RUN --mount=type=secret,id=absent ls /run/secrets > /optional 2>&1 || true\n"
        'CMD ["cat", "/npmrc-length", "/token-length", "/perm"]\n'
    )
    env = {"MY_TOKEN": SECRET.decode()}
    args = ["--secret", f"id=npmrc,src={secret_file}", "--secret", "id=token,env=MY_TOKEN"]
    out = portside("build", *args, "-t", "sec", str(context), env=env).stdout
    assert SECRET.decode() not in out
    assert portside("run", "--rm", "sec").stdout == f"{len(SECRET)}\n{len(SECRET)}\n65534 440\n"
    assert every_file_holds(portside.root, SECRET) == []
    inspect = portside("image", "inspect", "sec").stdout + portside("history", "sec").stdout
    assert SECRET.decode() not in inspect
    left = files_in(portside, "sec", "/root/.npmrc", "/run/secrets")
    assert left.count("No such file") == 2, left

    # the value is not in the key: another value, the same steps
    secret_file.write_bytes(b"another value")
    env = {"MY_TOKEN": "another value"}
    assert "Cache miss" not in portside("build", *args, str(context), env=env).stdout

    # type=env, and id alone naming a variable
    (context / "Dockerfile").write_text(
        "FROM busybox\nRUN --mount=type=secret,id=A,env=A --mount=type=secret,id=B,env=B "
        '[ "$A$B" = ab ]\n'
    )
    portside(
        "build",
        "--secret",
        "type=env,id=A,src=VAR_A",
        "--secret",
        "id=B",
        str(context),
        env={"VAR_A": "a", "B": "b"},
    )


def test_a_missing_required_secret_is_one_line(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nRUN true\nRUN --mount=type=secret,id=npmrc,required cat /run/secrets/npmrc\n"
    )
    line = one_line_failure(portside, str(tmp_path))
    assert line == "Dockerfile:3: secret npmrc: not found"
    missing = one_line_failure(portside, "--secret", "id=x,src=/nonexistent", str(tmp_path))
    assert "secret x" in missing and "/nonexistent" in missing


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("RUN --mount=type=volume,target=/x true", 'unsupported mount type "volume"'),
        ("RUN --mount=type=cache,target=/x,colour=blue true", "unexpected key 'colour'"),
        ("RUN --mount=type=bind,target=/x,mode=0700 true", 'mode not allowed for "bind"'),
        ("RUN --network=bridge0 true", 'unsupported network mode "bridge0"'),
        ("RUN --security=insecure true", "--allow security.insecure"),
        ("RUN --mount=type=bind,source=nope,target=/x true", '"nope" not found'),
    ],
)
def test_bad_mounts_fail_in_one_line_and_write_nothing(
    portside: Portside, tmp_path: Path, line: str, error: str
) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM busybox\n{line}\n")
    before = store_state(portside.root)
    failure = one_line_failure(portside, str(tmp_path))
    assert failure.startswith("Dockerfile:2: ") and error in failure, failure
    after = store_state(portside.root)
    # the build's stat cache of the context is the only file a failed plan may touch
    assert [f for f in after[0] if not f.startswith("build-stat")] == [
        f for f in before[0] if not f.startswith("build-stat")
    ]
    assert after[1] == before[1]


def test_run_network_and_security(portside: Portside, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\n"
        "RUN --network=none sh -c 'cat /proc/net/dev > /none'\n"
        "RUN mkdir /m && ! mount -t tmpfs t /m 2>/dev/null && touch /sandboxed\n"
        "RUN --security=insecure mount -t tmpfs t /m && umount /m && touch /insecure\n"
        "RUN --network=host cat /proc/net/dev > /host\n"
        'CMD ["cat", "/none"]\n'
    )
    refused = one_line_failure(portside, str(tmp_path))
    assert refused == (
        "Dockerfile:4: RUN --security=insecure needs the build's --allow security.insecure"
    )
    allow = ["--allow", "security.insecure"]
    refused = one_line_failure(portside, *allow, str(tmp_path))
    assert refused == "Dockerfile:5: RUN --network=host needs the build's --allow network.host"
    portside("build", *allow, "--allow", "network.host", "-t", "net", str(tmp_path))
    interfaces = portside("run", "--rm", "net").stdout
    assert "lo:" in interfaces and "eth0" not in interfaces
    assert files_in(portside, "net", "/insecure", "/sandboxed") == "/insecure\n/sandboxed\n"
    host = portside("run", "--rm", "net", "cat", "/host").stdout
    routes = Path("/proc/net/route").read_text().splitlines()[1:]
    default = next(r.split()[0] for r in routes if r.split()[1] == "00000000")
    assert f"{default}:" in host  # the host's own interface


def test_cache_sharing_modes(portside: Portside, tmp_path: Path) -> None:
    """What a step does when another holds the cache (the test holds its lock as a
    running step would): shared goes on, private takes a new instance, locked waits."""
    import fcntl
    import time

    def dockerfile(sharing: str) -> Path:
        (tmp_path / "Dockerfile").write_text(
            f"FROM busybox\nRUN --mount=type=cache,target=/c,id=one,sharing={sharing} "
            "sh -c 'ls /c; touch /c/mark'\n"
        )
        return tmp_path

    portside("build", "--no-cache", str(dockerfile("shared")))
    (instance,) = (portside.root / "cache-mounts").iterdir()
    fd = os.open(instance / "lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # a step using it with sharing=shared
        assert "\nmark\n" in portside("build", "--no-cache", str(dockerfile("shared"))).stdout
        fcntl.flock(fd, fcntl.LOCK_EX)  # with sharing=private or locked
        private = portside("build", "--no-cache", str(dockerfile("private"))).stdout
        assert "\nmark\n" not in private  # a fresh instance of its own
        assert len(list((portside.root / "cache-mounts").iterdir())) == 2
        df = portside("system", "df", "-v", "--format", "{{json .}}").stdout
        in_use = {e["ID"]: e["InUse"] for e in json.loads(df)["BuildCache"]}
        assert in_use[instance.name[:25]] == "true"
        # prune spares a cache a step holds, and takes the other one
        portside("builder", "prune", "-f", "--filter", "type=exec.cachemount")
        assert list((portside.root / "cache-mounts").iterdir()) == [instance]
        waiting = subprocess.Popen(
            portside.argv("build", "--no-cache", str(dockerfile("locked"))),
            stdout=subprocess.PIPE,
        )
        time.sleep(3)
        assert waiting.poll() is None  # waits for the holder
    finally:
        os.close(fd)
    out, _ = waiting.communicate(timeout=120)
    assert waiting.returncode == 0 and b"\nmark\n" in out
