"""``import portside``: the same operations as the CLI, named as docker-py names them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import portside
from portside.errors import ImageNotFound


def test_public_names_are_exported() -> None:
    assert sorted(portside.__all__) == sorted(
        [
            "Client",
            "Conflict",
            "ContainerError",
            "ContainerNotFound",
            "DockerfileError",
            "ImageNotFound",
            "InvalidArchive",
            "InvalidArgument",
            "InvalidReference",
            "NotFound",
            "PortsideError",
            "__version__",
            "from_env",
        ]
    )
    for name in portside.__all__:
        assert getattr(portside, name) is not None


def test_from_env_takes_docker_pys_arguments(tmp_path: Path) -> None:
    env = {"PORTSIDE_ROOT": str(tmp_path / "root"), "PORTSIDE_RUNROOT": str(tmp_path / "run")}
    with portside.from_env(environment=env, timeout=5) as client:
        assert client.images.list() == []
        assert client.engine.settings.root == str(tmp_path / "root")
    with portside.client.DockerClient.from_env(environment=env) as client:
        assert client.engine.settings.runroot == str(tmp_path / "run")


def test_images_through_the_library(tmp_path: Path, busybox_tar: Path) -> None:
    with portside.Client(root=tmp_path / "root") as client:
        image = client.images.import_image(
            str(busybox_tar), "busybox", "latest", changes=['CMD ["sh"]']
        )
        assert image.id.startswith("sha256:") and len(image.id) == 71
        assert image.short_id == image.id[:17]
        assert image.tags == ["busybox:latest"]
        assert image.attrs["Config"]["Cmd"] == ["sh"]
        assert image.tag("me/bb", "1") is True
        assert sorted(client.images.get("me/bb:1").tags) == ["busybox:latest", "me/bb:1"]
        assert [i.id for i in client.images.list()] == [image.id]
        assert client.images.list(name="nomatch") == []
        data = b"".join(image.save(named="busybox:latest"))
        removed = client.images.remove(image.id, force=True)
        assert {"Deleted": image.id} in removed
        assert client.images.list() == []
        with pytest.raises(ImageNotFound):
            client.images.get("busybox")
        loaded = client.images.load(data)
        assert [i.tags for i in loaded] == [["busybox:latest"]]
        assert loaded[0].id == image.id
        assert client.images.get("busybox").history()[0]["Comment"] == "Imported from -"


def test_from_env_uses_portside_root(tmp_path: Path, busybox_tar: Path) -> None:
    code = (
        "import portside; c = portside.from_env(); "
        f"c.images.import_image({str(busybox_tar)!r}, 'envtest'); "
        "print(c.images.get('envtest').tags)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PORTSIDE_ROOT": str(tmp_path / "envroot"), "PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.strip() == "['envtest:latest']"
    assert (tmp_path / "envroot" / "metadata.db").exists()


def test_concurrent_imports_and_removals_keep_the_store_consistent(
    tmp_path: Path, busybox_tar: Path
) -> None:
    """Eight processes import and remove at once; every command succeeds, the store is sound."""
    root = tmp_path / "root"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "portside",
                "--root",
                str(root),
                "import",
                str(busybox_tar),
                f"img{i}:1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(8)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    removers = [
        subprocess.Popen(
            [sys.executable, "-m", "portside", "--root", str(root), "rmi", f"img{i}:1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(0, 8, 2)
    ]
    for p in removers:
        p.communicate(timeout=120)
        assert p.returncode == 0
    with portside.Client(root=root) as client:
        tags = sorted(t for i in client.images.list() for t in i.tags)
        assert tags == [f"img{i}:1" for i in range(1, 8, 2)]
        for image in client.images.list():
            for lower in image.attrs["GraphDriver"]["Data"]["LowerDirs"]:
                assert Path(lower, "bin/busybox").exists()
    assert len(list((root / "layers").iterdir())) == 1  # one shared layer, not leaked
    assert list((root / "tmp").iterdir()) == [] and list((root / "content/ingest").iterdir()) == []
