"""--cache-to and --cache-from, on the busybox base: a cache exported from one store
(to a folder, a registry, or inline in the image) makes a build in an empty store
fully cached, the same image; with cache-mounts=true what the cache mounts held goes
with it; bad values fail in one line and change nothing."""

from __future__ import annotations

import json
import shutil
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import Portside, remove_everything, store_state
from .registries import serve

pytestmark = pytest.mark.usefixtures("busybox")

# docker init's Python shape: dependencies installed through a cache mount, a second
# stage beside it, the app copied last
DOCKERFILE = """\
FROM busybox AS deps
WORKDIR /app
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache \\
    echo "cache held: $(ls /root/.cache | tr '\\n' ' ')"; \\
    for r in $(cat requirements.txt); do touch /root/.cache/$r; done; \\
    cat /proc/sys/kernel/random/uuid > /app/installed
FROM busybox AS assets
RUN cat /proc/sys/kernel/random/uuid > /assets
FROM busybox
ENV APP=1
COPY --from=deps /app/installed /installed
COPY --from=assets /assets /assets
COPY app.sh /app.sh
CMD ["cat", "/installed", "/assets"]
"""
LAYER_STEPS = 6  # COPY, RUN, RUN, COPY, COPY, COPY


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "Dockerfile").write_text(DOCKERFILE)
    (root / "requirements.txt").write_text("flask\nrequests\n")
    (root / "app.sh").write_text("echo app\n")
    return root


@pytest.fixture
def empty(portside: Portside, tmp_path: Path) -> Iterator[Portside]:
    """Another store, empty but for the same busybox image (saved and loaded)."""
    runroot = Path(tempfile.mkdtemp(prefix="psr-", dir="/tmp"))
    other = Portside(tmp_path / "other-root", runroot)
    archive = tmp_path / "busybox.tar"
    portside("save", "-o", str(archive), "busybox")
    other("load", "-i", str(archive))
    yield other
    remove_everything(other)
    shutil.rmtree(runroot, ignore_errors=True)


def image_id(ps: Portside, name: str) -> str:
    return ps("images", "-q", "--no-trunc", name).stdout.strip()


def assert_fully_cached(output: str) -> None:
    assert "Cache miss" not in output, output
    assert output.count("Using cache") == LAYER_STEPS, output


def test_local_cache_fills_an_empty_store(
    portside: Portside, empty: Portside, app: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    out = portside(
        "build", "-t", "app", "--cache-to", f"type=local,dest={cache},cache-mounts=true", str(app)
    ).stdout
    assert f"Exported the build cache (mode=min) to type=local,dest={cache}: 9 steps" in out
    assert "1 cache mounts" in out
    # an OCI image layout, as BuildKit's local cache
    assert json.loads((cache / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads((cache / "index.json").read_text())
    (entry,) = index["manifests"]
    assert entry["annotations"] == {"org.opencontainers.image.ref.name": "latest"}
    manifest = json.loads((cache / "blobs" / entry["digest"].replace(":", "/")).read_text())
    assert manifest["config"]["mediaType"] == "application/vnd.portside.build-cache.v1+json"
    busybox_layer = json.loads(portside("image", "inspect", "busybox").stdout)[0]["RootFS"]
    assert busybox_layer["Layers"][0] not in {d["digest"] for d in manifest["layers"]}  # min

    pulled = empty("build", "-t", "app", "--cache-from", f"type=local,src={cache}", str(app))
    assert_fully_cached(pulled.stdout)
    assert f"Importing the build cache from type=local,src={cache}: 9 steps" in pulled.stdout
    assert image_id(empty, "app") == image_id(portside, "app")
    assert empty("run", "--rm", "app").stdout == portside("run", "--rm", "app").stdout

    # a changed dependency list: the install runs again, and finds what the cache
    # mount held in the other store (buildkit#1474: BuildKit cannot carry it)
    (app / "requirements.txt").write_text("flask\nrequests\nnumpy\n")
    again = empty("build", "--cache-from", f"type=local,src={cache}", str(app)).stdout
    assert "Cache miss: changed requirements.txt" in again
    assert "cache held: flask requests" in again

    # mode=max carries the base images' layers too: a cache that stands on its own
    full = tmp_path / "full"
    portside("build", "--cache-to", f"type=local,dest={full},mode=max", str(app))
    index = json.loads((full / "index.json").read_text())
    manifest = json.loads(
        (full / "blobs" / index["manifests"][0]["digest"].replace(":", "/")).read_text()
    )
    assert busybox_layer["Layers"][0] in {d["digest"] for d in manifest["layers"]}


def test_without_cache_mounts_the_cache_mount_starts_empty(
    portside: Portside, empty: Portside, app: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    portside("build", "--cache-to", f"type=local,dest={cache}", str(app))
    (app / "requirements.txt").write_text("flask\nnumpy\n")
    out = empty("build", "--cache-from", f"type=local,src={cache}", str(app)).stdout
    # why it missed, from the imported cache's record of the step
    assert "[deps]  ---> Cache miss: changed requirements.txt" in out
    assert "[deps]  ---> Running in" in out  # the install ran again
    assert "cache held: " in out and "cache held: flask" not in out


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(tmp_path_factory.mktemp("registry")) as address:
        yield address


def test_registry_cache(portside: Portside, empty: Portside, app: Path, registry: str) -> None:
    ref = f"{registry}/team/app:buildcache"
    portside("build", "-t", "app", "--cache-to", f"type=registry,ref={ref}", str(app))
    request = urllib.request.Request(
        f"http://{registry}/v2/team/app/manifests/buildcache",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    with urllib.request.urlopen(request) as r:
        manifest = json.loads(r.read())
    assert manifest["config"]["mediaType"] == "application/vnd.portside.build-cache.v1+json"
    # gzipped as a push sends them, each with its diff ID (BuildKit's annotation)
    assert {d["mediaType"] for d in manifest["layers"]} == {
        "application/vnd.oci.image.layer.v1.tar+gzip"
    }
    assert all("containerd.io/uncompressed" in d["annotations"] for d in manifest["layers"])
    out = empty("build", "-t", "app", "--cache-from", f"type=registry,ref={ref}", str(app))
    assert_fully_cached(out.stdout)
    assert image_id(empty, "app") == image_id(portside, "app")


def test_inline_cache(portside: Portside, empty: Portside, app: Path, registry: str) -> None:
    """The records in the image's config, its layers the image's own: pushed with it.
    (Only the steps whose layers are the image's: a stage it copies from is not.)"""
    (app / "Dockerfile").write_text(
        "FROM busybox\nWORKDIR /app\nCOPY requirements.txt .\n"
        "RUN cat /proc/sys/kernel/random/uuid > /app/installed\nCOPY app.sh .\n"
    )
    name = f"{registry}/team/app:1"
    portside("build", "-t", name, "--cache-to", "type=inline", str(app))
    config = json.loads(portside("image", "inspect", name).stdout)[0]
    portside("push", name)
    out = empty("build", "-t", name, "--cache-to", "type=inline", "--cache-from", name, str(app))
    assert "Cache miss" not in out.stdout and out.stdout.count("Using cache") == 3
    assert image_id(empty, name) == config["Id"]


def test_a_missing_cache_is_a_warning(portside: Portside, app: Path, tmp_path: Path) -> None:
    out = portside("build", "--cache-from", f"type=local,src={tmp_path}/nothing", str(app)).stdout
    assert f"WARNING: no build cache at type=local,src={tmp_path}/nothing" in out
    assert "Successfully built" in out

    # an export that fails fails the build (the image is built), unless ignore-error=true
    (tmp_path / "a-file").write_text("")
    dest = f"type=local,dest={tmp_path}/a-file"
    r = portside("build", "--cache-to", dest, str(app), check=False)
    assert r.returncode == 1, r
    assert f"failed to export the build cache to {dest}: Not a directory" in r.stderr
    # as a CI line written for buildx has it: BuildKit's format keys are read
    lenient = f"{dest},ignore-error=true,image-manifest=true,oci-mediatypes=true"
    out = portside("build", "--cache-to", lenient, str(app)).stdout
    assert f"WARNING: failed to export the build cache to {dest}: Not a directory" in out


@pytest.mark.parametrize(
    ("flag", "error"),
    [
        ("--cache-to=type=gha", 'cache type "gha" is not supported: local, registry, inline'),
        ("--cache-to=type=local", "dest required for type=local"),
        ("--cache-to=type=local,dest=/x,mode=mid", "mode must be min or max"),
        ("--cache-to=type=local,dest=/x,colour=blue", "unexpected key 'colour'"),
        ("--cache-to=type=inline,mode=max", "an inline cache holds mode=min"),
        ("--cache-to=mode=max", "type required"),
        ("--cache-from=type=local,dest=/x", "unexpected key 'dest'"),
        ("--cache-from=type=inline", 'cache type "inline" is not supported: local, registry'),
    ],
)
def test_bad_cache_options_fail_in_one_line(
    portside: Portside, app: Path, flag: str, error: str
) -> None:
    before = store_state(portside.root)
    r = portside("build", flag, str(app), check=False)
    assert r.returncode == 1, r
    assert len(r.stderr.strip().splitlines()) == 1 and error in r.stderr, r.stderr
    assert store_state(portside.root) == before


def test_compose_build_cache_from_and_to(
    portside: Portside, empty: Portside, app: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    (app / "compose.yaml").write_text(
        "services:\n  app:\n    build:\n      context: .\n"
        f"      cache_to: ['type=local,dest={cache}']\n"
        f"      cache_from: ['type=local,src={cache}']\n"
    )
    compose = ["compose", "-p", "shop", "-f", str(app / "compose.yaml")]
    first = portside(*compose, "build").stderr
    assert f"Exported the build cache (mode=min) to type=local,dest={cache}" in first
    again = empty(*compose, "build").stderr
    assert_fully_cached(again)
    assert image_id(empty, "shop-app") == image_id(portside, "shop-app")

    (app / "compose.yaml").write_text(
        "services:\n  app:\n    build:\n      context: .\n      cache_to: [type=gha]\n"
    )
    r = portside(*compose, "build", check=False)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r
    assert "compose.yaml:5: services.app.build.cache_to: invalid --cache-to" in r.stderr, r
