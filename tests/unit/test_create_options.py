"""The typed options of create/run (engine/container_options.py): the CLI's flags and
docker-py's keyword arguments parsed into the same records, refused with Docker's words."""

from __future__ import annotations

import pytest

from portside.client.options import create_options
from portside.engine.container_options import (
    CreateOptions,
    Mount,
    PublishedPort,
    RestartPolicy,
    build_config,
    build_host_config,
)
from portside.errors import InvalidArgument


def test_published_ports_from_p_and_from_docker_py() -> None:
    assert PublishedPort.parse("127.0.0.1:8000-8001:80-81/udp") == (
        PublishedPort("80/udp", "127.0.0.1", "8000"),
        PublishedPort("81/udp", "127.0.0.1", "8001"),
    )
    assert PublishedPort.parse("80") == (PublishedPort.of(80),)
    assert PublishedPort.parse("3000:80") == (PublishedPort.of("80/tcp", "", 3000),)
    with pytest.raises(InvalidArgument, match="invalid IP address: nope"):
        PublishedPort.of(80, "nope", 1)
    with pytest.raises(InvalidArgument, match="invalid hostPort: x"):
        PublishedPort.of(80, "", "x")
    with pytest.raises(InvalidArgument, match="Invalid port: 80/bogus"):
        PublishedPort.of("80/bogus")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("sometimes", "invalid restart policy 'sometimes'"),
        ("always:3", "maximum retry count cannot be used with restart policy 'always'"),
        ("always:0", "maximum retry count cannot be used with restart policy 'always'"),
        ("on-failure:x", "maximum retry count must be an integer"),
    ],
)
def test_bad_restart_policies(text: str, words: str) -> None:
    with pytest.raises(InvalidArgument, match=words):
        RestartPolicy.parse(text)


def test_restart_policies() -> None:
    assert RestartPolicy.parse("on-failure:3") == RestartPolicy("on-failure", 3)
    assert RestartPolicy.parse("") == RestartPolicy()
    with pytest.raises(InvalidArgument, match="cannot be used with restart policy 'no'"):
        RestartPolicy("no", 2)


def test_docker_py_arguments_and_flags_give_the_same_container_json() -> None:
    """docker-py's dicts never pass through CLI strings, yet come out as the flags do."""
    from_flags = CreateOptions(
        image="busybox",
        publish=(*PublishedPort.parse("127.0.0.1:8080:80"), *PublishedPort.parse("53/udp")),
        mounts=(
            Mount.parse_volume("data:/data:ro"),
            Mount.parse_mount("type=tmpfs,dst=/t,tmpfs-size=1m"),
            Mount.parse_tmpfs("/run2:size=1m"),
        ),
        restart=RestartPolicy.parse("on-failure:2"),
    )
    from_kwargs = create_options(
        "busybox",
        None,
        {
            "ports": {"80/tcp": ("127.0.0.1", 8080), "53/udp": None},
            "volumes": {"data": {"bind": "/data", "mode": "ro"}},
            "mounts": [{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 1 << 20}}],
            "tmpfs": {"/run2": "size=1m"},
            "restart_policy": {"Name": "on-failure", "MaximumRetryCount": 2},
        },
    )
    assert from_kwargs == from_flags
    host = build_host_config(from_kwargs)
    assert host["PortBindings"] == {
        "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}],
        "53/udp": [{"HostIp": "", "HostPort": ""}],
    }
    assert host["Binds"] == ["data:/data:ro"] and host["Tmpfs"] == {"/run2": "size=1m"}
    assert host["Mounts"] == [{"Type": "tmpfs", "Source": "", "Target": "/t"}]
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    config = build_config(from_kwargs, {"Cmd": ["sh"]}, "0" * 64)
    assert config["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}


def test_docker_py_arguments_are_refused_with_dockers_words() -> None:
    with pytest.raises(InvalidArgument, match="field Source must not be empty"):
        create_options("busybox", None, {"mounts": [{"Type": "bind", "Target": "/x"}]})
    with pytest.raises(InvalidArgument, match="Duplicate mount point: /x"):
        create_options("busybox", None, {"volumes": ["/a:/x"], "tmpfs": ["/x"]})
    with pytest.raises(InvalidArgument, match="restart policy 'always'"):
        create_options(
            "busybox", None, {"restart_policy": {"Name": "always", "MaximumRetryCount": 1}}
        )


def test_limits_from_flags_and_from_docker_py() -> None:
    from portside.client.options import limits
    from portside.engine.resources import Limits, Ulimit

    from_flags = Limits.parse(
        memory="64m", memory_swap="-1", pids_limit=20, ulimits=["nofile=10:20"], shm_size="1m"
    )
    assert from_flags == Limits(
        64 << 20, -1, None, None, "", 20, (Ulimit("nofile", 10, 20),), 1 << 20
    )
    assert from_flags == limits(
        {
            "mem_limit": "64m",
            "memswap_limit": -1,
            "pids_limit": 20,
            "ulimits": [{"Name": "nofile", "Soft": 10, "Hard": 20}],
            "shm_size": 1 << 20,
        }
    )
    assert limits({"nano_cpus": 5 * 10**8}) == Limits(nano_cpus=5 * 10**8)
    with pytest.raises(InvalidArgument, match='invalid argument "lots" for "-m, --memory" flag'):
        Limits.parse(memory="lots")
    with pytest.raises(InvalidArgument, match="soft limit must be less than or equal"):
        limits({"ulimits": [{"Name": "nofile", "Soft": 20, "Hard": 10}]})


def test_devices_parsed_at_the_edge() -> None:
    from portside.engine.isolation import Device

    assert Device.parse("/dev/fuse") == Device("/dev/fuse")
    assert Device.parse("/dev/fuse:r") == Device("/dev/fuse", "", "r")
    assert Device.parse("/dev/sda:/dev/xvda:rw") == Device("/dev/sda", "/dev/xvda", "rw")
    with pytest.raises(InvalidArgument, match="invalid device mode: rwx"):
        Device.parse("/dev/fuse:/dev/f:rwx")
    with pytest.raises(InvalidArgument, match="invalid device specification"):
        Device.parse("/a:/b:r:x")


def test_isolation_from_docker_py() -> None:
    from portside.engine.isolation import Device, Isolation

    opts = create_options(
        "busybox",
        None,
        {"devices": ["/dev/fuse:/dev/f:r"], "group_add": [10], "pid_mode": "host"},
    )
    assert opts.isolation == Isolation(
        pid="host", devices=(Device("/dev/fuse", "/dev/f", "r"),), group_add=("10",)
    )
    with pytest.raises(InvalidArgument, match="--pid: invalid PID mode: nope"):
        create_options("busybox", None, {"pid_mode": "nope"})
