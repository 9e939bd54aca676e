"""``/containers/...``: create, list, inspect, stop/kill/restart/pause/unpause, remove,
wait and logs, each one engine call (start and attach are in api/attach.py)."""

from __future__ import annotations

import json
import os
import struct
import time
from collections.abc import Iterator

from ..engine.container_state import ACTIVE, status_text
from ..engine.containers import command_of
from ..engine.lifecycle import WAIT_CONDITIONS, WaitAbandoned
from ..engine.logs import LogOptions
from ..engine.rows import ContainerRow
from ..errors import PortsideError
from ..timefmt import format_rfc3339, parse_rfc3339
from .commit_config import commit_config
from .create import create_options
from .server import BadRequest, Request

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

STDOUT, STDERR = 1, 2


def create(req: Request) -> None:
    opts = create_options(req.json(), req.query.get("name"))
    row = req.engine.containers.create(opts)  # no pull: Docker's create answers 404
    req.send_json({"Id": row.id, "Warnings": []}, 201)


def list_(req: Request) -> None:
    engine = req.engine
    rows = engine.containers.list(all=req.flag("all"), filters=req.filters())
    limit = req.int_arg("limit")
    if limit is not None and limit > 0:
        rows = rows[:limit]
    ports = engine.containers.ports()
    # each network's endpoint settings, as Docker's list gives them (clients such as
    # testcontainers read a container's Gateway and IPAddress from the list)
    settings = engine.containers.endpoints.settings_of(rows)
    mounts = engine.containers.mounts_json_of(rows)
    req.send_json(
        [_summary(r, ports.get(r.id) or {}, settings[r.id]["Networks"], mounts[r.id]) for r in rows]
    )


def _summary(
    row: ContainerRow, ports: dict[str, Any], networks: dict[str, Any], mounts: list[Any]
) -> dict[str, Any]:
    path, args = command_of(row)
    mode = row.host_config.get("NetworkMode") or "default"
    return {
        "Id": row.id,
        "Names": ["/" + row.name],
        "Image": row.image_ref or row.image_id,
        "ImageID": row.image_id,
        "Command": " ".join([path, *args]),
        "Created": int(parse_rfc3339(row.created) or 0),
        "Ports": _ports(ports),
        "Labels": row.config.get("Labels") or {},
        "State": row.status,
        "Status": status_text(row),
        "HostConfig": {"NetworkMode": mode},
        "NetworkSettings": {"Networks": networks},
        "Mounts": mounts,
    }


def _ports(ports: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key, bindings in ports.items():
        number, _, proto = key.partition("/")
        for b in bindings or [None]:
            entry: dict[str, Any] = {"PrivatePort": int(number), "Type": proto or "tcp"}
            if b:
                entry.update(IP=b.get("HostIp") or "0.0.0.0", PublicPort=int(b["HostPort"]))
            out.append(entry)
    return out


def inspect(req: Request) -> None:
    data = req.engine.containers.inspect(req.params["id"])
    log_config = (data.get("HostConfig") or {}).get("LogConfig")
    if isinstance(log_config, dict):
        # /logs reads every container's log; docker-py's run() reads logs only for
        # the drivers it knows can be read back, json-file among them
        log_config["Type"] = "json-file"
    req.send_json(data)


def stop(req: Request) -> None:
    row = req.engine.containers.get(req.params["id"])
    if row.status not in ACTIVE:
        req.send_empty(304)
        return
    req.engine.lifecycle.stop(row.id, req.int_arg("t"))
    req.send_empty()


def kill(req: Request) -> None:
    req.engine.lifecycle.kill(req.params["id"], req.query.get("signal") or "KILL")
    req.send_empty()


def restart(req: Request) -> None:
    req.engine.lifecycle.restart(req.params["id"], req.int_arg("t"))
    req.send_empty()


def pause(req: Request) -> None:
    req.engine.lifecycle.pause(req.params["id"])
    req.send_empty()


def unpause(req: Request) -> None:
    req.engine.lifecycle.unpause(req.params["id"])
    req.send_empty()


def remove(req: Request) -> None:
    req.engine.containers.remove(req.params["id"], force=req.flag("force"), volumes=req.flag("v"))
    req.send_empty()


def wait(req: Request) -> None:
    """The headers at once, the body at the exit: the docker CLI waits for the headers
    before it starts the container (``run``: create, attach, wait, start)."""
    condition = req.query.get("condition") or "not-running"
    if condition not in WAIT_CONDITIONS:
        raise BadRequest(f"invalid condition: {condition!r}")
    row = req.engine.containers.get(req.params["id"])

    def body() -> Iterator[bytes]:
        try:
            code = req.engine.lifecycle.wait_for(row.id, condition, stopped=req.client_gone)
            yield json.dumps({"StatusCode": code, "Error": None}).encode() + b"\n"
        except WaitAbandoned:
            return
        except PortsideError as e:
            answer = {"StatusCode": -1, "Error": {"Message": str(e)}}
            yield json.dumps(answer).encode() + b"\n"

    req.stream(body(), "application/json")


def logs(req: Request) -> None:
    engine = req.engine
    row = engine.containers.get(req.params["id"])
    tail = req.query.get("tail", "all")
    since = req.int_arg("since")
    until = req.int_arg("until")
    options = LogOptions(
        follow=req.flag("follow"),
        tail=None if tail in ("all", "") else _int(tail, "tail"),
        since=float(since) if since else None,
        until=float(until) if until else None,
        timestamps=req.flag("timestamps"),
        stdout=req.flag("stdout"),
        stderr=req.flag("stderr"),
    )
    chunks = engine.logs.read(row.id, options, req.client_gone)
    if row.config.get("Tty"):
        req.stream((c.data for c in chunks), "application/vnd.docker.raw-stream")
    else:
        req.stream(_frames(chunks), "application/vnd.docker.multiplexed-stream")


def _frames(chunks: Iterator[Any]) -> Iterator[bytes]:
    for c in chunks:
        yield frame(STDERR if c.stream == "stderr" else STDOUT, c.data)


def frame(stream: int, data: bytes) -> bytes:
    """One frame of a multiplexed stream: stream byte, 3 zero bytes, big-endian length."""
    return struct.pack(">BxxxI", stream, len(data)) + data


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadRequest(f"invalid value for {name}: {text!r}") from None


def rename(req: Request) -> None:
    name = req.query.get("name") or ""
    if not name:
        raise BadRequest("name is required")
    req.engine.containers.rename(req.params["id"], name)
    req.send_empty()


def top(req: Request) -> None:
    ps_args = (req.query.get("ps_args") or "-ef").split()
    titles, processes = req.engine.lifecycle.top(req.params["id"], ps_args)
    req.send_json({"Titles": titles, "Processes": processes})


def prune(req: Request) -> None:
    removed, freed = req.engine.containers.prune(req.filters())
    req.send_json({"ContainersDeleted": removed or None, "SpaceReclaimed": freed})


def changes(req: Request) -> None:
    kinds = {"C": 0, "A": 1, "D": 2}
    found = req.engine.files.changes(req.params["id"])
    req.send_json([{"Path": path, "Kind": kinds[kind]} for kind, path in found] or None)


def export(req: Request) -> None:
    engine = req.engine
    engine.containers.get(req.params["id"])  # a missing one: 404 before the 200
    with req.writer("application/x-tar") as out:
        engine.files.export(req.params["id"], out)  # type: ignore[arg-type]


def commit(req: Request) -> None:
    """``POST /commit``: the docker CLI sends no body, docker-py its ``conf`` (Docker's
    container Config), applied over the container's as Docker does."""
    ref = req.query.get("container") or ""
    if not ref:
        raise BadRequest("container is required")
    repo = req.query.get("repo") or ""
    tag = req.query.get("tag") or ""
    reference = (f"{repo}:{tag}" if tag else repo) or None
    # repeated (the docker CLI), or one value of lines
    changes = [c for v in req.query_all("changes") for c in v.split("\n") if c.strip()]
    engine = req.engine
    image_id = engine.files.commit(
        engine.image_io,
        ref,
        reference,
        changes,
        req.query.get("comment") or "",
        req.query.get("author") or "",
        pause=req.flag("pause", True),
        config=commit_config(req.json()),
    )
    req.send_json({"Id": image_id}, 201)


def archive_head(req: Request) -> None:
    stat = req.engine.files.stat(req.params["id"], _path(req))
    req.http.send_response(200)
    req.http.send_header("X-Docker-Container-Path-Stat", _stat_header(stat.to_json()))
    req.http.send_header("Content-Length", "0")
    req.http.end_headers()
    req.answered = True


def archive_get(req: Request) -> None:
    engine = req.engine
    path = _path(req)
    stat = engine.files.stat(req.params["id"], path)  # a missing path: 404 before the 200
    h = req.http
    h.send_response(200)
    h.send_header("Content-Type", "application/x-tar")
    h.send_header("X-Docker-Container-Path-Stat", _stat_header(stat.to_json()))
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    req.answered = True
    from .server import ChunkedWriter

    with ChunkedWriter(h) as out:
        engine.files.archive(req.params["id"], path, out)  # type: ignore[arg-type]


def archive_put(req: Request) -> None:
    """``docker cp - C:DEST``: the body's tar streams into the engine's extraction (a
    staging folder, merged in only once the whole tar is read)."""
    body = req.body_stream()
    req.engine.files.extract_in(req.params["id"], body, _path(req), archive=req.flag("copyUIDGID"))
    req.send_empty(200)


def _path(req: Request) -> str:
    path = req.query.get("path") or ""
    if not path:
        raise BadRequest("path is required")
    return path


def _stat_header(stat: dict[str, Any]) -> str:
    import base64

    return base64.b64encode(json.dumps(stat).encode()).decode()


def stats(req: Request) -> None:
    """Docker's stats JSON, one object (``stream=0``) or one a second; the engine's CPU
    share is given as the deltas from which clients compute it back."""
    from ..engine.stats import sample

    engine = req.engine
    row = engine.containers.get(req.params["id"])
    ncpu = os.cpu_count() or 1

    def one() -> bytes:
        current = engine.containers.get(row.id)
        s = sample([current], 0.5)[0]
        now = format_rfc3339(time.time())
        system = int(1e9 * ncpu)
        cpu = {
            "cpu_usage": {"total_usage": int(s.cpu_percent / 100 * 1e9)},
            "system_cpu_usage": system,
            "online_cpus": ncpu,
        }
        pre = {"cpu_usage": {"total_usage": 0}, "system_cpu_usage": 0, "online_cpus": ncpu}
        return (
            json.dumps(
                {
                    "id": current.id,
                    "name": "/" + current.name,
                    "read": now,
                    "preread": now,
                    "cpu_stats": cpu,
                    "precpu_stats": pre,
                    "memory_stats": {"usage": s.memory, "limit": s.memory_limit, "stats": {}},
                    "networks": {"eth0": {"rx_bytes": s.net_rx, "tx_bytes": s.net_tx}},
                    "blkio_stats": {
                        "io_service_bytes_recursive": [
                            {"major": 0, "minor": 0, "op": "read", "value": s.block_read},
                            {"major": 0, "minor": 0, "op": "write", "value": s.block_write},
                        ]
                    },
                    "pids_stats": {"current": s.pids},
                }
            ).encode()
            + b"\n"
        )

    if not req.flag("stream", True):
        req.send(200, one(), "application/json")
        return

    def every_second() -> Iterator[bytes]:
        while True:
            yield one()
            time.sleep(0.5)  # the sample itself takes the other half second

    req.stream(every_second(), "application/json")
