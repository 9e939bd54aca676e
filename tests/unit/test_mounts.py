"""-v, --mount and --tmpfs parsed as Docker parses them (engine/mounts.py)."""

from __future__ import annotations

import pytest

from portside.engine.mounts import mount_row, parse_mount, parse_tmpfs, parse_volume, resolve
from portside.errors import InvalidArgument
from portside.store.volumes import MountRow


def test_volume_forms() -> None:
    assert parse_volume("/src/:/app") == MountRow("bind", "/src", "/app", propagation="rprivate")
    assert parse_volume("/src:/app:ro,rshared") == MountRow(
        "bind", "/src", "/app", True, "ro,rshared", "rshared"
    )
    assert parse_volume("data:/var/lib/db") == MountRow("volume", "data", "/var/lib/db", mode="z")
    assert parse_volume("data:/d:ro,nocopy") == MountRow(
        "volume", "data", "/d", True, "ro,nocopy", options="nocopy"
    )
    assert parse_volume("/cache") == MountRow("volume", "", "/cache")


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("/a:/b:ro,rw", "invalid mode: ro,rw"),
        ("/a:/b:shared,slave", "invalid mode: shared,slave"),
        ("vol:/b:rshared", "invalid mode: rshared"),
        ("x:/b", '"x" includes invalid characters'),  # one character: too short a name
        ("", "invalid volume specification: ''"),
    ],
)
def test_bad_volume_specs(spec: str, words: str) -> None:
    with pytest.raises(InvalidArgument, match=words.replace("(", r"\(")):
        parse_volume(spec)


def test_mount_forms() -> None:
    assert parse_mount("type=bind,source=/s,target=/t,readonly,bind-propagation=rslave") == (
        MountRow("bind", "/s", "/t", True, propagation="rslave")
    )
    assert parse_mount("src=vol,dst=/t,volume-nocopy=true") == MountRow(
        "volume", "vol", "/t", options="nocopy"
    )
    assert parse_mount("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770") == MountRow(
        "tmpfs", "", "/t", options="size=67108864,mode=1770"
    )
    assert parse_tmpfs("/run:rw,size=1m") == MountRow("tmpfs", "", "/run", options="rw,size=1m")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("type=bind,src=rel,dst=/t", "invalid mount path: 'rel' mount path must be absolute"),
        ("type=tmpfs,src=/s,dst=/t", "field Source must not be specified"),
        ("type=volume,dst=/t,bind-propagation=shared", "field BindOptions must not be specified"),
        ("type=nfs,dst=/t", "type 'nfs'"),
        ("type=bind,src=/s,dst=/t,readonly=maybe", "invalid value for readonly"),
        ("type=volume,dst=/t,volume-driver=other", 'plugin "other" not found'),
        ("type=bind,readonly=maybe", "field Target must not be empty"),  # the target first
        ("type=volume,dst=/t,tmpfs-size=big", "field TmpfsOptions must not be specified"),
        ("type=tmpfs,src=/s,dst=/t,tmpfs-size=big", "field Source must not be specified"),
        ("type=tmpfs,dst=/t,tmpfs-size=big", "invalid tmpfs-size"),
    ],
)
def test_bad_mounts(text: str, words: str) -> None:
    with pytest.raises(InvalidArgument, match=words):
        parse_mount(text)


def test_precedence_given_then_inherited_then_image_volumes() -> None:
    inherited = [MountRow("volume", "shared", "/data"), MountRow("volume", "other", "/logs")]
    given = [parse_volume("/h:/data"), parse_tmpfs("/tmp")]
    rows = resolve(given, inherited, ["/logs", "/var/db/"])
    assert [(r.type, r.source, r.destination) for r in rows] == [
        ("bind", "/h", "/data"),
        ("tmpfs", "", "/tmp"),
        ("volume", "other", "/logs"),
        ("volume", "", "/var/db"),
    ]


def test_the_engine_api_fields_make_the_same_mounts_as_the_flag() -> None:
    """What docker-py sends (a Mount's fields) and what --mount says come out alike."""
    assert mount_row("tmpfs", "/t", tmpfs_size=64 << 20, tmpfs_mode=0o1770) == parse_mount(
        "type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770"
    )
    assert mount_row("bind", "/t/", "/s", True, "rslave") == parse_mount(
        "type=bind,src=/s,dst=/t,ro,bind-propagation=rslave"
    )
    assert mount_row("volume", "/t", "vol", nocopy=True) == parse_mount(
        "src=vol,dst=/t,volume-nocopy"
    )
    with pytest.raises(InvalidArgument, match="field Source must not be empty"):
        mount_row("bind", "/t")
    with pytest.raises(InvalidArgument, match="field TmpfsOptions must not be specified"):
        mount_row("volume", "/t", tmpfs_size=1)
