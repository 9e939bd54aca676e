"""Networking benchmarks: HTTP through a published port to busybox httpd in a container
(requests per second with 8 connections at once, and the latency of one at a time,
both with ``ab`` from apache2-utils on 127.0.0.1), and the time ``run -d -p`` takes
beside ``run -d --network none``.
"""

from __future__ import annotations

import re
import socket
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from containers import busybox_rows
from engines import Engine
from timing import Row, median_seconds

REQUESTS = 3000
THROUGHPUT = "published port: µs per request, 8 at once (ab -c 8)"
LATENCY = "published port: µs per request, one at a time (ab -c 1)"
RUN_P = "run -d -p 127.0.0.1::80 busybox (then rm)"
RUN_NONE = "run -d --network none busybox (then rm)"
ADDED = "what -p adds to run -d + rm (the two rows above)"
IDLE = "trap exit TERM; sleep 60 & wait"  # PID 1 ends on SIGTERM: rm -f does not wait
SERVE = "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(port: int) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1"):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")
        time.sleep(0.1)


def _ab_ms(port: int, concurrency: int, requests: int) -> float:
    """ab's mean time per request, across all concurrent requests, in ms."""
    out = subprocess.run(
        ["ab", "-q", "-n", str(requests), "-c", str(concurrency), f"http://127.0.0.1:{port}/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Time per request:\s+([\d.]+) \[ms\] \(mean, across", out)
    if not found or "Failed requests:        0" not in out:
        raise RuntimeError(f"ab failed:\n{out}")
    return float(found.group(1))


def _median_of(repeat: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(repeat))


def bench_engine(engine: Engine, repeat: int) -> dict[str, float]:
    results: dict[str, float] = {}
    port = _free_port()
    cid = (
        engine.run("run", "-d", "-p", f"127.0.0.1:{port}:80", "busybox", "sh", "-c", SERVE)
        .stdout.decode()
        .strip()
    )
    try:
        _wait_http(port)
        _ab_ms(port, 8, 500)  # warm up
        results[THROUGHPUT] = _median_of(repeat, lambda: _ab_ms(port, 8, REQUESTS)) * 1000
        results[LATENCY] = _median_of(repeat, lambda: _ab_ms(port, 1, REQUESTS // 3)) * 1000
    finally:
        engine.run("rm", "-f", cid, check=False)
    for name, flags in ((RUN_P, ["-p", "127.0.0.1::80"]), (RUN_NONE, ["--network", "none"])):

        def run_one(flags: list[str] = flags) -> None:
            out = engine.run("run", "-d", *flags, "busybox", "sh", "-c", IDLE).stdout
            engine.run("rm", "-f", out.decode().strip())

        results[name] = median_seconds(run_one, repeat=repeat)
    results[ADDED] = results[RUN_P] - results[RUN_NONE]
    return results


def network_rows(engines: list[Engine], work: Path, repeat: int) -> list[Row]:
    return busybox_rows(
        engines, work, lambda e: bench_engine(e, repeat), {THROUGHPUT: "µs", LATENCY: "µs"}
    )


NETWORK_NOTE = """busybox httpd serves a 6-byte page in each engine's container through
`-p 127.0.0.1:PORT:80`; `ab` (HTTP/1.0, a new connection per request, as busybox httpd
closes each) asks from the host's 127.0.0.1: the first row is the time per request with
8 in flight (the inverse of requests per second), the second the latency of one at a
time. portside forwards in the kernel (nftables DNAT); Docker's private dockerd runs
without iptables rules, so its docker-proxy relays in userland; Podman uses netavark's
iptables DNAT. The `run` rows time `run -d` and the `rm -f` after it, with a published
port and without a network."""
