"""The configuration files (issue 25): portside.conf with daemon.json's key names,
Docker's own daemon.json read for the keys that mean the same, one line for a bad file,
and registry mirrors with a local registry standing in for a mirror of Docker Hub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import Portside
from .registries import serve


def _info(portside: Portside, *global_flags: str, env: dict[str, str] | None = None) -> str:
    r = portside(*global_flags, "info", env=env, check=False)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    return tmp_path / "portside.conf"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("dns = [", "not valid TOML"),
        ('registry-mirrors = ["http://m:5000"]\nfrobnicate = 1\n', "frobnicate: unknown key"),
        ("max-concurrent-downloads = 0\n", "max-concurrent-downloads: must be a whole number"),
        ('dns = ["8.8.8.x"]\n', "dns: '8.8.8.x' is not an IP address"),
        ('registry-mirrors = ["mirror.local"]\n', "registry-mirrors: 'mirror.local' is not an"),
        ('[log-opts]\nmax-size = "ten"\n', "log-opts.max-size: 'ten' is not a size"),
        ('log-driver = "journald"\n', "log-driver: 'journald' is not a log driver"),
    ],
)
def test_a_bad_file_is_one_line_naming_it_and_nothing_runs(
    portside: Portside, conf: Path, text: str, words: str
) -> None:
    conf.write_text(text)
    r = portside("--config", str(conf), "volume", "create", "never", check=False)
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith(f"Error: {conf}: ") and words in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert portside("volume", "ls", "-q").stdout == ""  # nothing ran


def test_a_named_file_that_is_missing_is_an_error(portside: Portside, tmp_path: Path) -> None:
    r = portside("--config", str(tmp_path / "nope.conf"), "ps", check=False)
    assert r.returncode == 1 and "cannot read the configuration" in r.stderr, r.stderr


def test_info_says_where_each_setting_came_from(portside: Portside, tmp_path: Path) -> None:
    conf = tmp_path / "portside.conf"
    conf.write_text('max-concurrent-downloads = 5\ndns = ["192.0.2.53"]\n')
    daemon = tmp_path / "daemon.json"
    # Docker's own file: what means the same here is read, the rest left to Docker
    daemon.write_text(
        json.dumps({"insecure-registries": ["reg.example:5000"], "dns": ["192.0.2.1"],
                    "iptables": False, "storage-driver": "overlay2"})
    )  # fmt: skip
    out = _info(portside, env={"PORTSIDE_CONFIG": str(conf), "PORTSIDE_DAEMON_JSON": str(daemon)})
    assert f" max-concurrent-downloads: {conf}" in out
    assert f" dns: {conf}" in out  # portside.conf wins over daemon.json
    assert f" insecure-registries: {daemon}" in out
    assert "iptables" not in out and "storage-driver" not in out
    assert "Configuration: defaults" in _info(portside)


def test_dns_from_the_configuration_reaches_a_container(
    portside: Portside, busybox: str, conf: Path
) -> None:
    conf.write_text('dns = ["192.0.2.53"]\ndns-search = ["corp.example"]\n')
    r = portside(
        "--config", str(conf), "run", "--rm", "busybox", "cat", "/etc/resolv.conf", check=False
    )
    assert r.returncode == 0, r.stderr
    assert "nameserver 192.0.2.53" in r.stdout and "search corp.example" in r.stdout
    r = portside(
        "--config", str(conf), "run", "--rm", "--dns", "192.0.2.9", "busybox",
        "cat", "/etc/resolv.conf", check=False)  # fmt: skip
    assert "192.0.2.9" in r.stdout and "192.0.2.53" not in r.stdout  # --dns wins


def test_default_ulimits_apply_where_run_gives_none(
    portside: Portside, busybox: str, conf: Path
) -> None:
    conf.write_text(
        '[default-ulimits.nofile]\nName = "nofile"\nSoft = 321\nHard = 654\n'
        '[default-ulimits.nproc]\nName = "nproc"\nSoft = 500\nHard = 500\n'
    )
    script = "ulimit -n; ulimit -Hn; ulimit -u"
    r = portside("--config", str(conf), "run", "--rm", "busybox", "sh", "-c", script)
    assert r.stdout.split() == ["321", "654", "500"], r.stderr
    r = portside(
        "--config", str(conf), "run", "--rm", "--ulimit", "nofile=100:200", "busybox",
        "sh", "-c", script,
    )  # fmt: skip
    assert r.stdout.split() == ["100", "200", "500"], r.stderr  # --ulimit wins for its name


def test_networks_take_their_subnets_from_the_address_pools(
    portside: Portside, busybox: str, conf: Path
) -> None:
    conf.write_text('default-address-pools = [{ base = "10.201.0.0/16", size = 26 }]\n')
    cfg = ("--config", str(conf))
    portside(*cfg, "network", "create", "pooled")
    try:
        r = portside(*cfg, "run", "--rm", "--network", "pooled", "busybox", "ip", "-4", "addr")
        assert "inet 10.201.0.2/26" in r.stdout, r.stdout + r.stderr
        ipam = json.loads(portside(*cfg, "network", "inspect", "pooled").stdout)[0]["IPAM"]
        assert ipam["Config"][0]["Subnet"] == "10.201.0.0/26"
    finally:
        portside(*cfg, "network", "rm", "pooled")


def test_bip_places_the_default_bridge_and_log_driver_is_the_default(
    portside: Portside, busybox: str, conf: Path
) -> None:
    conf.write_text('bip = "10.202.7.1/24"\nlog-driver = "k8s-file"\n')
    cfg = ("--config", str(conf))
    r = portside(*cfg, "run", "--name", "b1", "busybox", "ip", "-4", "route")
    assert "default via 10.202.7.1" in r.stdout and "10.202.7.0/24" in r.stdout, r.stdout
    log = json.loads(portside(*cfg, "inspect", "b1").stdout)[0]["HostConfig"]["LogConfig"]
    assert log["Type"] == "k8s-file"
    ipam = json.loads(portside(*cfg, "network", "inspect", "bridge").stdout)[0]["IPAM"]
    assert ipam["Config"][0] == {"Subnet": "10.202.7.0/24", "Gateway": "10.202.7.1"}
    portside(*cfg, "rm", "b1")


def test_default_runtime_names_one_of_the_runtimes(
    portside: Portside, busybox: str, conf: Path, tmp_path: Path
) -> None:
    import shutil

    # a runtime under a name of its own: runc by another path, which the run must use
    own = tmp_path / "bin" / "my-runc"
    own.parent.mkdir()
    own.symlink_to(shutil.which("runc") or "/usr/sbin/runc")
    conf.write_text(f'default-runtime = "mine"\n[runtimes.mine]\npath = "{own}"\n')
    cfg = ("--config", str(conf))
    assert portside(*cfg, "info", "--format", "{{.DefaultRuntime}}").stdout.strip() == "my-runc"
    assert portside(*cfg, "run", "--rm", "busybox", "echo", "ran").stdout == "ran\n"
    conf.write_text(f'default-runtime = "mine"\n[runtimes.mine]\npath = "{tmp_path}/nope"\n')
    r = portside(*cfg, "run", "--rm", "busybox", "true", check=False)
    assert r.returncode != 0 and "nope" in r.stderr, r.stderr


def test_docker_hub_through_a_mirror(
    portside: Portside, busybox: str, conf: Path, tmp_path: Path
) -> None:
    """A local registry stands in for a mirror of docker.io: ``pull busybox`` is served
    by it; with the mirror down the origin is tried (unreachable here: a clear error);
    a blob tampered with on the mirror is refused."""
    (tmp_path / "reg").mkdir()
    with serve(tmp_path / "reg") as mirror:
        portside("tag", "busybox", f"{mirror}/library/busybox:latest")
        portside("push", f"{mirror}/library/busybox:latest")
        digest = (
            portside(
                "image", "inspect", "-f", "{{index .RepoDigests 0}}", f"{mirror}/library/busybox"
            )
            .stdout.strip()
            .split("@")[1]
        )
        portside("rmi", "busybox", f"{mirror}/library/busybox:latest")
        conf.write_text(f'registry-mirrors = ["http://{mirror}"]\n')
        r = portside("--config", str(conf), "pull", "busybox", check=False)
        assert r.returncode == 0, r.stderr
        assert "docker.io/library/busybox:latest" in r.stdout
        r = portside(
            "--config", str(conf), "run", "--rm", "busybox", "echo", "mirrored", check=False
        )
        assert r.stdout == "mirrored\n", r.stderr
        portside("rmi", "busybox")
        # tamper with the layer the mirror holds: its digest no longer matches
        blobs = sorted(
            (tmp_path / "reg/data").glob("docker/registry/v2/blobs/sha256/*/*/data"),
            key=lambda p: p.stat().st_size,
        )
        layer = blobs[-1]
        layer.write_bytes(layer.read_bytes()[:-10] + b"0123456789")
        r = portside("--config", str(conf), "pull", f"busybox@{digest}", check=False)
        assert r.returncode == 1 and f"mirror {mirror}" in r.stderr, r.stderr
        assert r.stderr.strip().splitlines()[-1].startswith("Error: "), r.stderr
        assert portside("images", "-q").stdout == ""  # nothing half-pulled is an image
    # the mirror gone: the origin is tried, and the error says both
    r = portside("--config", str(conf), "pull", "busybox", check=False)
    assert r.returncode == 1 and f"mirror {mirror}" in r.stderr, r.stderr


def test_a_short_name_alias_pulls_and_runs_what_it_stands_for(
    portside: Portside, busybox: str, conf: Path, tmp_path: Path
) -> None:
    (tmp_path / "reg").mkdir()
    with serve(tmp_path / "reg") as registry:
        full = f"{registry}/team/busybox"
        portside("tag", "busybox", f"{full}:1")
        portside("push", f"{full}:1")
        portside("rmi", f"{full}:1")
        conf.write_text(f'[aliases]\n"mybox" = "{full}"\n')
        cfg = ("--config", str(conf))
        r = portside(*cfg, "pull", "mybox:1", check=False)
        assert r.returncode == 0 and f"{full}:1" in r.stdout, r.stdout + r.stderr
        r = portside(*cfg, "run", "--rm", "mybox:1", "echo", "aliased", check=False)
        assert r.stdout == "aliased\n", r.stderr
        assert f"{full}:1" in portside("images", "--format", "{{.Repository}}:{{.Tag}}").stdout
        # without the configuration the short name is Docker Hub's, as Docker's
        r = portside("image", "inspect", "mybox:1", check=False)
        assert r.returncode == 1 and "No such image" in r.stderr
