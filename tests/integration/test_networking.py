"""Container networking for real: a bridge and veth per container, published ports
through nftables, reached from the host's 127.0.0.1 (and containers' own addresses),
and everything gone after stop, rm or a killed monitor."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import Portside, network_leftovers
from tests.integration.registries import free_port, http_get

HTTPD = ["httpd", "-f", "-p", "80", "-h", "/www"]
# busybox-static 1.35's wget crashes (SIGSEGV) with -T: bound it with timeout instead


@pytest.fixture
def web(portside: Portside, busybox_tar: Path) -> str:
    """busybox with a page in /www and EXPOSE 80 (as an image's Dockerfile would say)."""
    portside(
        "import",
        "--change",
        'CMD ["sh"]',
        "--change",
        "EXPOSE 80",
        str(busybox_tar),
        "web:1",
    )
    return "web:1"


def _refused(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return True
    return False


def _serve(portside: Portside, image: str, page: str, *flags: str) -> str:
    script = f"mkdir -p /www && echo {page} > /www/index.html && exec {' '.join(HTTPD)}"
    return portside("run", "-d", *flags, image, "sh", "-c", script).stdout.strip()


def _inspect(portside: Portside, ref: str) -> dict:  # type: ignore[type-arg]
    return json.loads(portside("inspect", ref).stdout)[0]  # type: ignore[no-any-return]


def _host_state(portside: Portside, *ids: str) -> dict[str, object]:
    """What the store holds on the host: its nft table, its bridges, and the veths of
    containers ``ids`` (other engines' veths come and go on their own)."""
    tag = hashlib.sha256(str(portside.root.resolve()).encode()).hexdigest()[:10]
    tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    links = sorted(os.listdir("/sys/class/net"))
    return {
        "table": f"portside_{tag}" in tables,
        "veths": [n for n in links if any(n.startswith("v" + i[:9]) for i in ids)],
        # this store's (another store's tests may run beside this one)
        "bridges": [name for kind, name in network_leftovers(portside.root) if kind == "bridge"],
    }


def _pruned(portside: Portside, *ids: str) -> dict[str, object]:
    """The host after ``network prune``: the veths of ``ids`` went with their containers,
    the store's bridges stayed up (as docker0 does) until the prune took them down."""
    kept = _host_state(portside, *ids)
    assert kept["veths"] == [] and kept["bridges"], kept
    portside("network", "prune", "-f")
    return _host_state(portside, *ids)


def test_a_published_port_answers_on_loopback_and_an_unpublished_one_does_not(
    portside: Portside, web: str
) -> None:
    before = _host_state(portside)
    port = free_port()
    published = _serve(portside, web, "hello-published", "-p", f"{port}:80")
    assert http_get(f"http://127.0.0.1:{port}/") == "hello-published\n"
    assert portside("port", published).stdout == f"80/tcp -> 0.0.0.0:{port}\n"
    assert portside("port", published, "80").stdout == f"0.0.0.0:{port}\n"
    ps = portside("ps", "--format", "{{.Names}} {{.Ports}}").stdout
    assert f"0.0.0.0:{port}->80/tcp" in ps
    info = _inspect(portside, published)["NetworkSettings"]
    assert info["Ports"] == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(port)}]}
    bridge = info["Networks"]["bridge"]
    assert bridge["IPAddress"] == info["IPAddress"] and info["Gateway"]
    assert bridge["MacAddress"].startswith("02:42:")
    # the other one runs on the same bridge, reachable at its own address only
    other_port = free_port()
    hidden = _serve(portside, web, "hello-hidden")
    hidden_ip = _inspect(portside, hidden)["NetworkSettings"]["IPAddress"]
    assert hidden_ip != bridge["IPAddress"]
    assert http_get(f"http://{hidden_ip}/") == "hello-hidden\n"
    assert _refused(f"http://127.0.0.1:{other_port}/")
    assert "80/tcp" in portside("ps", "--format", "{{.Ports}}", "-f", f"id={hidden}").stdout
    r = portside("port", hidden, "80", check=False)
    assert r.returncode == 1 and "No public port '80/tcp' published" in r.stderr
    # /etc/hosts names the container by its hostname at its address
    hosts = portside("exec", hidden, "cat", "/etc/hosts").stdout
    assert f"{hidden_ip}\t{hidden[:12]}" in hosts
    # bound to one host address: it answers there only (127.0.0.2 is loopback too)
    one = free_port()
    bound = _serve(portside, web, "hello-bound", "-p", f"127.0.0.2:{one}:80")
    assert http_get(f"http://127.0.0.2:{one}/") == "hello-bound\n"
    assert _refused(f"http://127.0.0.1:{one}/")
    # stop: the port no longer answers, and the host is as it was
    portside("rm", "-f", published, hidden, bound)
    assert _refused(f"http://127.0.0.1:{port}/")
    assert _pruned(portside, published, hidden, bound) == before


def _with_program(busybox_tar: Path, out: Path, program: str) -> Path:
    """The busybox rootfs plus a host program and the libraries ldd names for it."""
    import tarfile

    libs = subprocess.run(["ldd", program], capture_output=True, text=True, check=True).stdout
    files = [program] + [p for p in libs.split() if p.startswith("/")]
    with tarfile.open(busybox_tar) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        for path in files:
            real = os.path.realpath(path)
            info = dst.gettarinfo(real, arcname="." + path)
            with open(real, "rb") as f:
                dst.addfile(info, f)
    return out


def test_udp_ranges_and_publish_all(
    portside: Portside, web: str, busybox_tar: Path, tmp_path: Path
) -> None:
    # busybox-static's nc has no UDP: Debian's netcat-openbsd, with its libraries
    rootfs = _with_program(busybox_tar, tmp_path / "nc.tar", "/bin/nc.openbsd")
    portside("import", str(rootfs), "udp:1")
    udp = free_port()
    listener = portside(
        "run",
        "-d",
        "-p",
        f"127.0.0.1:{udp}:5353/udp",
        "udp:1",
        "/bin/nc.openbsd",
        "-u",
        "-l",
        "5353",
    ).stdout.strip()
    deadline = time.monotonic() + 5
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        while "ping-over-udp" not in portside("logs", listener).stdout:
            assert time.monotonic() < deadline, "no datagram reached the container"
            s.sendto(b"ping-over-udp\n", ("127.0.0.1", udp))
            time.sleep(0.1)
    assert portside("port", listener).stdout == f"5353/udp -> 127.0.0.1:{udp}\n"
    # -P: the image's EXPOSE 80 to a free host port
    everything = _serve(portside, web, "hello-all", "-P")
    line = portside("port", everything).stdout
    host_port = int(line.rsplit(":", 1)[1])
    assert line.startswith("80/tcp -> 0.0.0.0:")
    assert http_get(f"http://127.0.0.1:{host_port}/") == "hello-all\n"
    # a range: three host ports to three container ports
    first = free_port()
    while any(not _free(first + i) for i in range(3)):
        first = free_port()
    ranged = portside(
        "run", "-d", "-p", f"{first}-{first + 2}:80-82", web, "sleep", "60"
    ).stdout.strip()
    shown = portside("ps", "--format", "{{.Ports}}", "-f", f"id={ranged}").stdout.strip()
    assert shown == f"0.0.0.0:{first}-{first + 2}->80-82/tcp"


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_a_taken_host_port_and_bad_specs_are_refused_with_nothing_left(
    portside: Portside, web: str
) -> None:
    port = free_port()
    first = _serve(portside, web, "first", "-p", f"{port}:80")
    before = _host_state(portside, first)
    r = portside("run", "-d", "--name", "second", "-p", f"{port}:80", web, "true", check=False)
    assert r.returncode == 125
    assert f"Bind for 0.0.0.0:{port} failed: port is already allocated" in r.stderr
    second = _inspect(portside, "second")
    assert second["State"]["Status"] == "created"
    assert _host_state(portside, first, second["Id"]) == before
    assert http_get(f"http://127.0.0.1:{port}/") == "first\n"
    # a host program holds the port: Docker's proxy error, the container does not start
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        held = holder.getsockname()[1]
        r = portside("run", "-d", "-p", f"127.0.0.1:{held}:80", web, "true", check=False)
    assert r.returncode == 125
    assert f"listen tcp4 127.0.0.1:{held}: bind: address already in use" in r.stderr
    portside("rm", "-f", first)
    count = len(portside("ps", "-aq").stdout.split())
    for spec, message in [
        ("99999:80", "invalid hostPort: 99999"),
        ("abc", "invalid containerPort: abc"),
        ("8000-8002:80-81", "invalid ranges specified for container and host Ports"),
        ("1.2.3:80:80", "invalid IP address: 1.2.3"),
        ("80/sctpx", "invalid proto: sctpx"),
    ]:
        r = portside("run", "-p", spec, web, "true", check=False)
        assert (r.returncode, r.stderr.count("\n")) == (125, 1), r.stderr
        assert message in r.stderr
    assert len(portside("ps", "-aq").stdout.split()) == count  # nothing created
    r = portside("run", "--network", "nosuch", web, "true", check=False)
    assert r.returncode == 125 and "network nosuch not found" in r.stderr


def _interfaces(proc_net_dev: str) -> list[str]:
    return sorted(line.split(":")[0].strip() for line in proc_net_dev.splitlines()[2:])


def test_network_none_and_host(portside: Portside, web: str) -> None:
    none = portside("run", "--rm", "--network", "none", web, "cat", "/proc/net/dev").stdout
    interfaces = [line.split(":")[0].strip() for line in none.splitlines()[2:]]
    assert interfaces == ["lo"]
    default = portside("run", "--rm", web, "cat", "/proc/net/dev").stdout
    assert sorted(line.split(":")[0].strip() for line in default.splitlines()[2:]) == [
        "eth0",
        "lo",
    ]
    # the host's own interfaces (read around the run: other tools may add or remove one)
    for _ in range(5):
        before = _interfaces(Path("/proc/net/dev").read_text())
        host = portside("run", "--rm", "--network", "host", web, "cat", "/proc/net/dev").stdout
        if _interfaces(Path("/proc/net/dev").read_text()) == before:
            break
    assert _interfaces(host) == before
    # container:NAME shares that container's namespace: its 127.0.0.1 is the server's
    server = _serve(portside, web, "shared", "--name", "server")
    joined = ["run", "--rm", "--network", "container:server", web]
    fetch = ["timeout", "5", "wget", "-q", "-O", "-", "http://127.0.0.1/"]
    assert portside(*joined, *fetch).stdout == "shared\n"
    r = portside("run", "--network", "container:server", "-p", "80", web, "true", check=False)
    assert r.returncode == 125 and "port publishing and the container type network mode" in r.stderr
    portside("stop", "-t", "0", server)
    r = portside(*joined, "true", check=False)
    assert r.returncode == 125 and "cannot join network of a non running container" in r.stderr


def test_teardown_after_stop_rm_and_a_killed_monitor(portside: Portside, web: str) -> None:
    before = _host_state(portside)
    port = free_port()
    cid = _serve(portside, web, "x", "-p", f"{port}:80")
    during = _host_state(portside, cid)
    assert during["table"] and len(during["veths"]) == 1  # type: ignore[arg-type]
    assert len(during["bridges"]) == len(before["bridges"]) + 1  # type: ignore[arg-type]
    portside("stop", "-t", "0", cid)
    assert _host_state(portside, cid) == {**during, "veths": []}  # the bridge stays up
    assert _refused(f"http://127.0.0.1:{port}/")
    # started again: the same host port, a working path
    portside("start", cid)
    assert http_get(f"http://127.0.0.1:{port}/") == "x\n"
    # the monitor killed: the next command finds the container dead and cleans up
    pid = _inspect(portside, cid)["State"]["Pid"]
    monitor = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    os.kill(monitor, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while "Exited" not in portside("ps", "-a", "--format", "{{.Status}}").stdout:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert _host_state(portside, cid) == {**during, "veths": []}
    assert _refused(f"http://127.0.0.1:{port}/")
    # the address is free again: a new container gets the first one
    again = _serve(portside, web, "y")
    first_ip = _inspect(portside, again)["NetworkSettings"]["IPAddress"]
    assert first_ip.endswith(".2")
    portside("rm", "-f", again, cid)
    assert _pruned(portside, again, cid) == before


def test_user_networks_find_containers_by_name_and_stay_apart(portside: Portside, web: str) -> None:
    network_id = portside("network", "create", "appnet").stdout.strip()
    assert len(network_id) == 64
    portside("network", "create", "--subnet", "10.123.7.0/24", "othernet")
    listed = portside("network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}").stdout
    assert listed.split("\n")[:-1] == [
        "appnet bridge local",
        "bridge bridge local",
        "host host local",
        "none null local",
        "othernet bridge local",
    ]
    server = _serve(portside, web, "by-name", "--network", "appnet", "--name", "server")
    fetch = ["timeout", "3", "wget", "-q", "-O", "-"]
    got = portside("run", "--rm", "--network", "appnet", web, *fetch, "http://server/")
    assert got.stdout == "by-name\n"
    info = json.loads(portside("network", "inspect", "appnet").stdout)[0]
    assert info["Id"] == network_id and info["Driver"] == "bridge"
    address = info["Containers"][server]["IPv4Address"]
    assert info["Containers"][server]["Name"] == "server" and address.endswith("/24")
    ip = address.split("/")[0]
    assert _inspect(portside, server)["NetworkSettings"]["Networks"]["appnet"]["IPAddress"] == ip
    # another network reaches neither the name nor the address; nor does the default bridge
    # (--init: timeout must not be PID 1, which ignores the SIGTERM it would send)
    other = portside(
        "run", "--rm", "--init", "--network", "othernet", web, *fetch, f"http://{ip}/", check=False
    )
    assert other.returncode == 143  # killed by timeout: the packets were dropped
    subnet = json.loads(portside("network", "inspect", "othernet").stdout)[0]["IPAM"]["Config"]
    assert subnet == [{"Subnet": "10.123.7.0/24", "Gateway": "10.123.7.1"}]
    # (looked up in the files, not by wget: an unknown name would go to the host's DNS)
    on_bridge = portside("run", "--rm", web, "cat", "/etc/hosts").stdout
    on_appnet = portside("run", "--rm", "--network", "appnet", web, "cat", "/etc/hosts").stdout
    assert f"{ip}\tserver {server[:12]}\n" in on_appnet and "server" not in on_bridge
    # in use, pre-defined, overlapping, unknown: Docker's refusals
    r = portside("network", "rm", "appnet", check=False)
    assert r.returncode == 1 and "has active endpoints" in r.stderr
    r = portside("network", "rm", "bridge", check=False)
    assert r.returncode == 1 and "bridge is a pre-defined network and cannot be removed" in r.stderr
    r = portside("network", "create", "--subnet", "10.123.7.128/25", "third", check=False)
    assert r.returncode == 1 and "Pool overlaps with other one on this address space" in r.stderr
    r = portside("network", "create", "appnet", check=False)
    assert r.returncode == 1 and "network with name appnet already exists" in r.stderr
    r = portside("network", "inspect", "nosuch", check=False)
    assert r.returncode == 1 and "network nosuch not found" in r.stderr
    # stopped, the network can go; prune takes the unused one
    portside("rm", "-f", server)
    assert portside("network", "rm", "appnet").stdout == "appnet\n"
    assert portside("network", "prune", "-f").stdout == "Deleted Networks:\nothernet\n"
    names = portside("network", "ls", "--format", "{{.Name}}").stdout.split()
    assert names == ["bridge", "host", "none"]


def test_network_ls_filters_and_formats_and_a_missing_network(
    portside: Portside, busybox: str
) -> None:
    portside("network", "create", "--label", "team=a", "front")
    back = portside("network", "create", "back").stdout.strip()
    portside("create", "--network", "back", "--name", "user", busybox, "true")

    def names(*flags: str) -> list[str]:
        return portside("network", "ls", *flags, "--format", "{{.Name}}").stdout.split()

    assert names("-f", "type=custom") == ["back", "front"]
    assert names("--filter", "type=builtin") == ["bridge", "host", "none"]
    assert names("-f", "dangling=true") == ["front"]  # pre-defined ones never dangle
    assert names("-f", "dangling=false") == ["back", "bridge", "host", "none"]
    assert names("-f", "label=team=a") == names("-f", "label=team") == ["front"]
    assert names("-f", "driver=null") == ["none"]
    assert names("-f", "name=o", "-f", "driver=bridge") == ["front"]  # every key holds
    assert names("-f", f"id={back[:10]}") == ["back"]
    assert portside("network", "ls", "-q", "-f", "name=back").stdout == back[:12] + "\n"
    assert portside("network", "ls", "-q", "--no-trunc", "-f", "name=back").stdout == back + "\n"
    table = portside("network", "ls", "-f", "name=front").stdout.splitlines()
    assert table[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]
    out = portside("network", "ls", "-f", "name=front", "--format", "{{json .}}").stdout
    row = json.loads(out)
    assert list(row) == [
        "CreatedAt", "Driver", "ID", "IPv6", "Internal", "Labels", "Name", "Scope"
    ]  # fmt: skip
    assert (row["Name"], row["Driver"], row["Labels"], row["Scope"]) == (
        "front",
        "bridge",
        "team=a",
        "local",
    )
    assert row["CreatedAt"].endswith(" +0000 UTC")
    for flag, words in [
        ("foo=bar", "Invalid filter 'foo'"),
        ("type=bogus", "invalid filter: 'type'='bogus'"),
        ("dangling=maybe", "invalid value for filter 'dangling'"),
    ]:
        r = portside("network", "ls", "-f", flag, check=False)
        assert r.returncode == 1 and words in r.stderr, (flag, r.stderr)
    # a missing network in current Docker's words, which client libraries match on
    r = portside("network", "inspect", "nosuch", check=False)
    assert (r.returncode, r.stdout, r.stderr) == (1, "[]\n", "Error: network nosuch not found\n")
    r = portside("network", "rm", "nosuch", "front", check=False)
    assert (r.returncode, r.stdout, r.stderr) == (1, "front\n", "Error: network nosuch not found\n")


def test_connect_and_disconnect_running_and_stopped_containers(
    portside: Portside, web: str
) -> None:
    before = _host_state(portside)
    portside("network", "create", "back")
    db = _serve(
        portside, web, "db-page", "--network", "back", "--name", "db", "--network-alias", "database"
    )
    app = portside("run", "-d", "--name", "app", web, "sleep", "300").stdout.strip()
    hosts = ["exec", app, "cat", "/etc/hosts"]
    assert "database" not in portside(*hosts).stdout
    # connected while it runs: a second interface, names both ways
    portside("network", "connect", "--alias", "api", "back", "app")
    assert "eth1" in portside("exec", app, "ip", "-o", "link").stdout
    fetch = ["exec", app, "timeout", "3", "wget", "-q", "-O", "-"]
    assert portside(*fetch, "http://database/").stdout == "db-page\n"
    assert f"\tapp api {app[:12]}\n" in portside("exec", db, "cat", "/etc/hosts").stdout
    networks = _inspect(portside, app)["NetworkSettings"]["Networks"]
    assert list(networks) == ["bridge", "back"] and networks["back"]["Aliases"] == ["api", app[:12]]
    on_back = portside("ps", "--filter", "network=back", "--format", "{{.Names}}").stdout
    assert sorted(on_back.split()) == ["app", "db"]
    assert (
        portside("ps", "--filter", "name=app", "--format", "{{.Networks}}").stdout
        == "bridge,back\n"
    )
    # Docker's refusals, exit 1
    for argv, words in [
        (["connect", "back", "app"], "endpoint with name app already exists in network back"),
        (["connect", "--alias", "x", "bridge", db], "network-scoped alias is supported only"),
        (["connect", "host", "app"], "connected to host network"),
        (["disconnect", "nosuch", "app"], "network nosuch not found"),
        (["rm", "back"], "has active endpoints"),
    ]:
        r = portside("network", *argv, check=False)
        assert r.returncode == 1 and words in r.stderr, (argv, r.stderr)
    r = portside("run", "--network-alias", "x", web, "true", check=False)
    assert r.returncode == 125 and "network-scoped alias is supported only" in r.stderr
    # off the network: its interface, its names and its path to db are gone
    db_ip = _inspect(portside, db)["NetworkSettings"]["Networks"]["back"]["IPAddress"]
    portside("network", "disconnect", "back", app)
    assert "eth1" not in portside("exec", app, "ip", "-o", "link").stdout
    assert "database" not in portside(*hosts).stdout
    assert "app" not in portside("exec", db, "cat", "/etc/hosts").stdout
    assert portside(*fetch, f"http://{db_ip}/", check=False).returncode != 0
    r = portside("network", "disconnect", "back", "app", check=False)
    assert r.returncode == 1 and f"container {app} is not connected to network back" in r.stderr
    # stopped: connected now, plugged at its next start
    portside("stop", "-t", "0", app)
    portside("network", "connect", "back", app)
    portside("start", app)
    assert portside(*fetch, "http://database/").stdout == "db-page\n"
    # off its first network, the default route moves to the one left
    portside("network", "disconnect", "bridge", app)
    gateway = _inspect(portside, app)["NetworkSettings"]["Networks"]["back"]["Gateway"]
    route = portside("exec", app, "ip", "route").stdout
    assert f"default via {gateway} dev eth1" in route and "eth0" not in route
    portside("rm", "-f", app, db)
    assert portside("network", "rm", "back").stdout == "back\n"
    assert _pruned(portside, app, db) == before


def test_build_run_steps_are_on_the_default_bridge(
    portside: Portside, web: str, tmp_path: Path
) -> None:
    before = _host_state(portside)
    server = _serve(portside, web, "from-a-container")
    ip = _inspect(portside, server)["NetworkSettings"]["IPAddress"]
    (tmp_path / "Dockerfile").write_text(
        f"FROM {web}\nRUN timeout 3 wget -q -O /page http://{ip}/ && ip -o link > /links\n"
    )
    portside("build", "-t", "fetched", str(tmp_path))
    got = portside("run", "--rm", "fetched", "cat", "/page", "/links").stdout
    assert got.startswith("from-a-container\n") and "lo:" in got and "eth0" in got
    # --network none: only lo, so the same step fails (and says where)
    r = portside("build", "--no-cache", "--network", "none", str(tmp_path), check=False)
    assert r.returncode == 1 and "Dockerfile:2" in r.stderr
    r = portside("build", "--network", "appnet", str(tmp_path), check=False)
    assert r.returncode == 1 and 'network mode "appnet" not supported' in r.stderr
    portside("rm", "-f", server)
    assert _pruned(portside, server) == before


def test_hostname_add_host_and_dns_options(portside: Portside, web: str) -> None:
    files = "cat /etc/hostname /etc/hosts /etc/resolv.conf"
    out = portside(
        "run",
        "--rm",
        "--hostname",
        "box",
        "--add-host",
        "db.local:10.1.2.3",
        "--add-host",
        "host.docker.internal:host-gateway",
        "--dns",
        "10.9.9.9",
        "--dns-search",
        "corp.example",
        web,
        "sh",
        "-c",
        files,
    ).stdout
    lines = out.splitlines()
    assert lines[0] == "box"
    assert "10.1.2.3\tdb.local" in lines
    gateway = next(x for x in lines if x.endswith("\thost.docker.internal")).split("\t")[0]
    assert gateway.startswith("10.99.") and gateway.endswith(".1")
    assert any(x.endswith("\tbox") for x in lines)
    assert "search corp.example" in lines and "nameserver 10.9.9.9" in lines
    assert [x for x in lines if x.startswith("nameserver")] == ["nameserver 10.9.9.9"]
    r = portside("run", "--rm", "--add-host", "nohost", web, "true", check=False)
    assert r.returncode == 125 and 'bad format for add-host: "nohost"' in r.stderr


def _forward_rules() -> list[str]:
    done = subprocess.run(["iptables", "-S", "FORWARD"], capture_output=True, text=True)
    return done.stdout.splitlines()


def test_beside_docker_both_engines_containers_talk_and_docker_rules_stay(
    portside: Portside, web: str, busybox_tar: Path, beside_dockerd: list[str] | None
) -> None:
    """A dockerd decides FORWARD (policy DROP): our containers reach each other through
    the accept rules of our bridges, Docker's reach theirs before, while and after ours
    come and go, and FORWARD ends as it began."""
    if beside_dockerd is None:
        pytest.skip("needs --beside-dockerd (scripts/test runs the networking tests so)")
    docker = beside_dockerd

    def docker_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*docker, *args], capture_output=True, text=True, timeout=120)

    assert "-P FORWARD DROP" in _forward_rules()
    assert docker_run("import", "--change", 'CMD ["sh"]', str(busybox_tar), "dkweb").returncode == 0
    served = docker_run("run", "-d", "dkweb", "sh", "-c", "echo from-docker > /i && httpd -f -h /")
    docker_ids = [served.stdout.strip()]
    try:
        docker_ip = docker_run(
            "inspect", "-f", "{{.NetworkSettings.IPAddress}}", docker_ids[0]
        ).stdout.strip()
        fetch = ["timeout", "3", "wget", "-q", "-O", "-", f"http://{docker_ip}/i"]

        def docker_reaches_docker() -> str:
            return docker_run("run", "--rm", "dkweb", *fetch).stdout

        forward_before = _forward_rules()
        assert docker_reaches_docker() == "from-docker\n"
        # ours on the default bridge and on a network of their own, Docker's beside them
        portside("network", "create", "mine")
        server = _serve(portside, web, "from-portside", "--network", "mine", "--name", "srv")
        got = portside(
            "run",
            "--rm",
            "--network",
            "mine",
            web,
            "timeout",
            "3",
            "wget",
            "-q",
            "-O",
            "-",
            "http://srv/",
        )
        assert got.stdout == "from-portside\n"
        bridge = next(r.split()[3] for r in _forward_rules() if '--comment "portside ps' in r)
        ours = [r for r in _forward_rules() if f'"portside {bridge}"' in r]
        assert len(ours) == 3 and all(r.endswith("-j ACCEPT") for r in ours)
        assert docker_reaches_docker() == "from-docker\n"
        # gone: FORWARD exactly as it was, and Docker's containers still talk
        portside("rm", "-f", server)
        portside("network", "rm", "mine")
        assert _forward_rules() == forward_before
        assert docker_reaches_docker() == "from-docker\n"
    finally:
        docker_run("rm", "-f", *docker_ids)
        docker_run("rmi", "dkweb")


def test_prune_withdraws_every_copy_of_a_bridges_forward_rules(
    portside: Portside, web: str
) -> None:
    """A bridge whose accept rules were added twice (two test sessions on one host left
    that once) loses every copy when it goes. The second admission is made through the
    module: it cannot be brought about on purpose from the CLI."""
    if subprocess.run(["which", "iptables"], capture_output=True).returncode != 0:
        pytest.skip("no iptables: no FORWARD rules to withdraw")
    from portside.network import host_firewall

    cid = _serve(portside, web, "x")
    bridges = _host_state(portside, cid)["bridges"]
    assert len(bridges) == 1, bridges  # type: ignore[arg-type]
    host_firewall.admit(bridges[0])  # type: ignore[index]
    rules = [r for k, r in network_leftovers(portside.root) if k == "forward-rule"]
    assert len(rules) == 6, rules
    portside("rm", "-f", cid)
    portside("network", "prune", "-f")
    assert network_leftovers(portside.root) == []
