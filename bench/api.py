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
from contextlib import contextmanager
from pathlib import Path

from containers import busybox_rows
from engines import Dockerd, Engine
from timing import Row, command, median_seconds

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


def bench_engine(engine: Engine, work: Path, repeat: int) -> dict[str, float]:
    results: dict[str, float] = {}
    cli_config = work / "docker-cli-config"  # the CLI reads no config of the machine's
    cli_config.mkdir(exist_ok=True)
    with api_socket(engine, work) as sock:
        cli_env = {"DOCKER_HOST": f"unix://{sock}", "DOCKER_CONFIG": str(cli_config)}
        client = Dockerd.client()
        tries = repeat * REQUEST_TRIES

        ping = median_seconds(lambda: ok(sock, "GET", "/_ping"), repeat=tries)
        results[PING] = ping * 1000
        ids = [_create(sock, ["true"]) for _ in range(LIST_CONTAINERS)]
        try:
            listed = json.loads(ok(sock, "GET", "/containers/json?all=1"))
            if len(listed) != LIST_CONTAINERS:
                raise RuntimeError(f"{engine.name}: listed {len(listed)} containers")
            listing = median_seconds(
                lambda: ok(sock, "GET", "/containers/json?all=1"), repeat=tries
            )
            results[LIST] = listing * 1000
        finally:
            for cid in ids:
                _remove(sock, cid)

        made: list[str] = []

        def create_start_wait() -> None:
            cid = _create(sock, ["true"])
            made.append(cid)
            ok(sock, "POST", f"/containers/{cid}/start")
            code = json.loads(ok(sock, "POST", f"/containers/{cid}/wait"))["StatusCode"]
            if code != 0:
                raise RuntimeError(f"{engine.name}: true exited {code}")

        def clean() -> None:
            while made:
                _remove(sock, made.pop())

        results[CREATE_START_WAIT] = median_seconds(create_start_wait, clean, repeat=repeat)
        clean()

        results[RUN] = median_seconds(
            command([client, "run", "--rm", "busybox", "true"], cli_env), repeat=repeat
        )
        results[CP] = _cp_seconds(sock, client, cli_env, repeat)
    return results


def _cp_seconds(sock: str, client: str, env: dict[str, str], repeat: int) -> float:
    dd = f"dd if=/dev/urandom of=/big bs=1M count={CP_MIB} 2>/dev/null"
    cid = _create(sock, ["sh", "-c", dd], {"NetworkMode": "none"})
    try:
        ok(sock, "POST", f"/containers/{cid}/start")
        ok(sock, "POST", f"/containers/{cid}/wait")
        cp: Callable[[], object] = command([client, "cp", f"{cid}:/big", "-"], env)
        return median_seconds(cp, repeat=repeat)
    finally:
        _remove(sock, cid)


def api_rows(engines: list[Engine], work: Path, repeat: int) -> list[Row]:
    units = {PING: "ms", LIST: "ms"}
    return busybox_rows(engines, work, lambda e: bench_engine(e, work, repeat), units)


API_NOTE = f"""Each request goes to the engine's own API socket: portside's `portside system
service` and Podman's `podman system service` started for this table on the run's
throwaway stores, and the private dockerd's socket. The request rows open a new
connection per request (as each docker CLI command does) with Python's `http.client`
over the unix socket, and are medians of {REQUEST_TRIES}× as many tries as the others.
The list holds {LIST_CONTAINERS} containers made by `/containers/create` and not
started. create + start + wait runs `true` on the engine's default network and is
timed from the create request to the wait's answer (the removal after it is not
timed). `docker run --rm` and `docker cp` use Debian's docker 20.10 client with
DOCKER_HOST set to the socket; the copy reads {CP_MIB} MiB that `dd` wrote from
/dev/urandom inside a container, now stopped, and writes the tar to stdout (to
/dev/null), so no disk write on the client's side is timed."""
