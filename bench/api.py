"""Engine API benchmarks: each engine's Docker API socket, side by side. portside's
``portside system service``, the private dockerd's own socket, and ``podman system
service``, each on a socket of its own and the run's throwaway store:

- ``GET /containers/json?all=1`` with 50 containers present (made, not started),
- ``POST /containers/create``, ``/start`` and ``/wait`` of ``true`` in raw HTTP,
- ``docker run --rm busybox true`` with the docker CLI pointed at the socket,
- ``docker cp`` of a 100 MiB file out of a (stopped) container, to stdout.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from containers import busybox_rootfs, import_busybox
from engines import Dockerd, Engine
from timing import Row, command, medians_in_turn

LIST_CONTAINERS = 50
CP_MIB = 100
PING = "GET /_ping (a new connection each)"
LIST = f"GET /containers/json?all=1 ({LIST_CONTAINERS} containers)"
CREATE_START_WAIT = "POST create + start + wait of true (raw HTTP)"
RUN = "docker run --rm busybox true (docker CLI)"
CP = f"docker cp of a {CP_MIB} MiB file out of a container (docker CLI)"
REQUEST_TRIES = 5  # the request rows take milliseconds: this many times more tries


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket, as the docker CLI and docker-py speak to an engine."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=120)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(120)
        sock.connect(self.socket_path)
        self.sock = sock


def request(sock: str, method: str, path: str, body: object = None) -> tuple[int, bytes]:
    """One request on a new connection (as each docker CLI command opens one)."""
    conn = UnixHTTPConnection(sock)
    try:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        conn.request(method, path, body=data, headers=headers)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def ok(sock: str, method: str, path: str, body: object = None) -> bytes:
    status, data = request(sock, method, path, body)
    if status >= 300:
        raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
    return data


def _wait_listening(sock: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if request(sock, "GET", "/_ping")[0] == 200:
                return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{sock}: the service did not answer: {log.read_text()[-500:]}")
        time.sleep(0.05)


@contextmanager
def api_socket(engine: Engine, work: Path) -> Iterator[str]:
    """The engine's API socket: dockerd's own; for portside and Podman a ``system
    service`` started here on the engine's store, stopped by its PID at the end."""
    if engine.name == "docker":
        yield next(a for a in engine.argv if a.startswith("unix://")).removeprefix("unix://")
        return
    sock = work / f"{engine.name}-api.sock"
    log = work / f"{engine.name}-api.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            engine.cmd("system", "service", "--time", "0", f"unix://{sock}"),
            env={**os.environ, **engine.env},
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        _wait_listening(str(sock), proc, log)
        yield str(sock)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        sock.unlink(missing_ok=True)


def _create(sock: str, cmd: list[str], host_config: dict[str, object] | None = None) -> str:
    body = {"Image": "busybox", "Cmd": cmd, "HostConfig": host_config or {}}
    return str(json.loads(ok(sock, "POST", "/containers/create", body))["Id"])


def _remove(sock: str, cid: str) -> None:
    ok(sock, "DELETE", f"/containers/{cid}?force=1")


def _list_ms(socks: dict[str, str], tries: int) -> dict[str, float]:
    made = {
        name: [_create(sock, ["true"]) for _ in range(LIST_CONTAINERS)]
        for name, sock in socks.items()
    }
    try:
        for name, sock in socks.items():
            listed = json.loads(ok(sock, "GET", "/containers/json?all=1"))
            if len(listed) != LIST_CONTAINERS:
                raise RuntimeError(f"{name}: listed {len(listed)} containers")
        runs = {n: _get(sock, "/containers/json?all=1") for n, sock in socks.items()}
        return {n: t * 1000 for n, t in medians_in_turn(runs, repeat=tries).items()}
    finally:
        for name, ids in made.items():
            for cid in ids:
                _remove(socks[name], cid)


def _get(sock: str, path: str) -> Callable[[], object]:
    return lambda: ok(sock, "GET", path)


def _create_start_wait(socks: dict[str, str], repeat: int) -> dict[str, float]:
    made: dict[str, list[str]] = {name: [] for name in socks}

    def run(name: str) -> Callable[[], None]:
        def once() -> None:
            sock = socks[name]
            cid = _create(sock, ["true"])
            made[name].append(cid)
            ok(sock, "POST", f"/containers/{cid}/start")
            code = json.loads(ok(sock, "POST", f"/containers/{cid}/wait"))["StatusCode"]
            if code != 0:
                raise RuntimeError(f"{name}: true exited {code}")

        return once

    def clean(name: str) -> Callable[[], None]:
        def remove_made() -> None:
            while made[name]:
                _remove(socks[name], made[name].pop())

        return remove_made

    try:
        return medians_in_turn(
            {n: run(n) for n in socks}, {n: clean(n) for n in socks}, repeat=repeat
        )
    finally:
        for name in socks:
            clean(name)()


def _cp(socks: dict[str, str], cli: dict[str, dict[str, str]], repeat: int) -> dict[str, float]:
    dd = f"dd if=/dev/urandom of=/big bs=1M count={CP_MIB} 2>/dev/null"
    made: dict[str, str] = {}
    try:
        for name, sock in socks.items():
            made[name] = _create(sock, ["sh", "-c", dd], {"NetworkMode": "none"})
            ok(sock, "POST", f"/containers/{made[name]}/start")
            ok(sock, "POST", f"/containers/{made[name]}/wait")
        client = Dockerd.client()
        for name, cid in made.items():  # the client exits 0 on a stream cut short: check once
            out = subprocess.run(
                [client, "cp", f"{cid}:/big", "-"],
                env={**os.environ, **cli[name]},
                capture_output=True,
                check=True,
            ).stdout
            if len(out) < CP_MIB << 20:
                raise RuntimeError(f"{name}: docker cp gave {len(out)} bytes")
        runs = {n: command([client, "cp", f"{cid}:/big", "-"], cli[n]) for n, cid in made.items()}
        return medians_in_turn(runs, repeat=repeat)
    finally:
        for name, cid in made.items():
            _remove(socks[name], cid)


def api_rows(engines: list[Engine], work: Path, repeat: int) -> list[Row]:
    rootfs = busybox_rootfs(work)
    for engine in engines:
        import_busybox(engine, rootfs)
    cli_config = work / "docker-cli-config"  # the CLI reads no config of the machine's
    cli_config.mkdir(exist_ok=True)
    results: dict[str, dict[str, float]] = {}
    with ExitStack() as stack:
        socks = {e.name: stack.enter_context(api_socket(e, work)) for e in engines}
        cli = {
            n: {"DOCKER_HOST": f"unix://{sock}", "DOCKER_CONFIG": str(cli_config)}
            for n, sock in socks.items()
        }
        tries = repeat * REQUEST_TRIES
        ping = medians_in_turn({n: _get(sock, "/_ping") for n, sock in socks.items()}, repeat=tries)
        results[PING] = {n: t * 1000 for n, t in ping.items()}
        results[LIST] = _list_ms(socks, tries)
        results[CREATE_START_WAIT] = _create_start_wait(socks, repeat)
        run = [Dockerd.client(), "run", "--rm", "busybox", "true"]
        results[RUN] = medians_in_turn({n: command(run, cli[n]) for n in socks}, repeat=repeat)
        results[CP] = _cp(socks, cli, repeat)
    units = {PING: "ms", LIST: "ms"}
    return [Row(name, values, units.get(name, "s")) for name, values in results.items()]


API_NOTE = f"""Each request goes to the engine's own API socket: portside's `portside system
service` and Podman's `podman system service` started for this table on the run's
throwaway stores, and the private dockerd's socket; the three serve side by side and
take turns, one try each a round (the order turned each round), so a load that comes
and goes on the machine falls on all three alike. The request rows open a new
connection per request (as each docker CLI command does) with Python's `http.client`
over the unix socket, and are medians of {REQUEST_TRIES}× as many tries as the others.
The list holds {LIST_CONTAINERS} containers made by `/containers/create` and not
started. create + start + wait runs `true` on the engine's default network and is
timed from the create request to the wait's answer (the removal after it is not
timed). `docker run --rm` and `docker cp` use Debian's docker 20.10 client with
DOCKER_HOST set to the socket; the copy reads {CP_MIB} MiB that `dd` wrote from
/dev/urandom inside a container, now stopped, and writes the tar to stdout (to
/dev/null), so no disk write on the client's side is timed."""
