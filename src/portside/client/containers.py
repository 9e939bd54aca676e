"""Containers in the Python library, named as docker-py's high-level API names them.

container = client.containers.run("busybox", "sleep 60", detach=True, name="box")
container.exec_run("echo hi")             # ExecResult(exit_code=0, output=b'hi\\n')
container.stop(); container.wait()        # {'StatusCode': 143, 'Error': None}
out = client.containers.run("busybox", ["echo", "hi"], remove=True)   # b'hi\\n'
"""

from __future__ import annotations

import builtins
import io
import shlex
import subprocess
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from ..errors import ContainerError, InvalidArgument
from .model import Model
from .options import LIMIT_KWARGS, argv, create_options, limits, pairs

if TYPE_CHECKING:
    from ..engine import Engine


class ExecResult(NamedTuple):
    exit_code: int | None
    output: bytes | tuple[bytes | None, bytes | None]


class Container(Model):
    """A container, as docker-py's ``Container``: ``id``, ``name``, ``status``, ``attrs``."""

    collection: ContainerCollection

    @property
    def _engine(self) -> Engine:
        return self.collection.engine

    @property
    def name(self) -> str:
        return str(self.attrs["Name"]).lstrip("/")

    @property
    def status(self) -> str:
        return str(self.attrs["State"]["Status"])

    @property
    def health(self) -> str:
        """docker-py's: the healthcheck's status, "unknown" without one."""
        return str(((self.attrs["State"].get("Health") or {}).get("Status")) or "unknown")

    @property
    def labels(self) -> dict[str, str]:
        return dict((self.attrs.get("Config") or {}).get("Labels") or {})

    @property
    def image(self) -> Any:
        return self.collection.client_images.get(self.attrs["Image"])

    def reload(self) -> None:
        self.attrs = self._engine.containers.inspect(self.id)

    # -- running ------------------------------------------------------------------
    def start(self) -> None:
        self._engine.lifecycle.start(self.id)
        self.reload()

    def stop(self, timeout: int | None = None) -> None:
        self._engine.lifecycle.stop(self.id, timeout)
        self.reload()

    def restart(self, timeout: int | None = None) -> None:
        self._engine.lifecycle.restart(self.id, timeout)
        self.reload()

    def kill(self, signal: str | int = "KILL") -> None:
        self._engine.lifecycle.kill(self.id, str(signal))
        self.reload()

    def pause(self) -> None:
        self._engine.lifecycle.pause(self.id)
        self.reload()

    def unpause(self) -> None:
        self._engine.lifecycle.unpause(self.id)
        self.reload()

    def wait(self) -> dict[str, Any]:
        code = self._engine.lifecycle.wait(self.id)
        return {"StatusCode": code, "Error": None}

    def rename(self, name: str) -> None:
        self._engine.containers.rename(self.id, name)
        self.reload()

    def remove(self, force: bool = False, v: bool = False) -> None:
        self._engine.containers.remove(self.id, force=force, volumes=v)

    def update(self, **kwargs: Any) -> dict[str, Any]:
        """docker-py's ``update(mem_limit=…, nano_cpus=…, pids_limit=…)``."""
        unknown = set(kwargs) - LIMIT_KWARGS - {"restart_policy"}
        if unknown:
            raise TypeError(f"unexpected keyword arguments: {', '.join(sorted(unknown))}")
        policy = kwargs.pop("restart_policy", None) or {}
        restart = policy.get("Name", "")
        self._engine.lifecycle.update(self.id, limits(kwargs), restart)
        self.reload()
        return {"Warnings": []}

    # -- output ---------------------------------------------------------------------
    def logs(
        self,
        stdout: bool = True,
        stderr: bool = True,
        stream: bool = False,
        timestamps: bool = False,
        tail: str | int = "all",
        since: float | None = None,
        follow: bool | None = None,
        until: float | None = None,
    ) -> bytes | Iterator[bytes]:
        """The log as bytes, or with ``stream`` its lines as they come (following until
        the container stops, unless ``follow=False``)."""
        from ..engine.logs import LogOptions

        options = LogOptions(
            follow=stream if follow is None else follow,
            tail=None if tail == "all" else int(tail),
            since=since,
            until=until,
            timestamps=timestamps,
            stdout=stdout,
            stderr=stderr,
        )
        chunks = (chunk.data for chunk in self._engine.logs.read(self.id, options))
        return chunks if stream else b"".join(chunks)

    def exec_run(
        self,
        cmd: str | builtins.list[str],
        stdout: bool = True,
        stderr: bool = True,
        stdin: bool = False,
        tty: bool = False,
        privileged: bool = False,
        user: str = "",
        detach: bool = False,
        environment: dict[str, str] | builtins.list[str] | None = None,
        workdir: str | None = None,
        demux: bool = False,
    ) -> ExecResult:
        """Run ``cmd`` in the running container; its exit code and output."""
        from ..engine.execs import ExecOptions

        if tty:
            raise InvalidArgument("exec_run(tty=True) is not supported yet: use the CLI's exec -t")
        execs = self._engine.execs
        opts = ExecOptions(
            command=argv(cmd) or [],
            env=tuple(pairs(environment)),
            user=user or None,
            workdir=workdir,
            detach=detach,
            privileged=privileged,
        )
        if detach:
            execs.finish(execs.start(self.id, opts))
            return ExecResult(None, b"")
        pipe, drop = subprocess.PIPE, subprocess.DEVNULL
        process = execs.start(
            self.id,
            opts,
            stdin=drop,
            stdout=pipe if stdout else drop,
            stderr=(pipe if demux else subprocess.STDOUT) if stderr else drop,
        )
        out, err = process.proc.communicate()
        code = execs.finish(process)
        if demux:
            return ExecResult(code, (out if stdout else None, err if stderr else None))
        return ExecResult(code, out or b"")

    def top(self, ps_args: str | None = None) -> dict[str, Any]:
        titles, rows = self._engine.lifecycle.top(self.id, shlex.split(ps_args or ""))
        return {"Titles": titles, "Processes": rows}

    # -- files ----------------------------------------------------------------------
    def diff(self) -> builtins.list[dict[str, Any]]:
        kinds = {"C": 0, "A": 1, "D": 2}
        return [{"Path": p, "Kind": kinds[k]} for k, p in self._engine.files.changes(self.id)]

    def get_archive(
        self, path: str, chunk_size: int | None = 2 * 1024 * 1024, encode_stream: bool = False
    ) -> tuple[Iterator[bytes], dict[str, Any]]:
        """A tar of ``path`` in the container, in chunks, and its stat as Docker's:
        ``name``, ``size``, ``mode`` (Go's FileMode bits), ``mtime``, ``linkTarget``.
        (``encode_stream`` compresses docker-py's transfer; here nothing is sent.)"""
        buf = io.BytesIO()
        stat = self._engine.files.archive(self.id, path, buf)
        data = buf.getvalue()
        size = chunk_size or len(data) or 1
        return (data[i : i + size] for i in range(0, len(data), size)), stat.to_json()

    def put_archive(self, path: str, data: bytes | IO[bytes]) -> bool:
        """Extract the tar ``data`` (bytes or a stream) in the container folder ``path``."""
        stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
        self._engine.files.extract_in(self.id, stream, path)  # type: ignore[arg-type]
        return True

    def export(self) -> Iterator[bytes]:
        buf = io.BytesIO()
        self._engine.files.export(self.id, buf)
        return iter([buf.getvalue()])

    def commit(
        self,
        repository: str | None = None,
        tag: str | None = None,
        message: str = "",
        author: str = "",
        pause: bool = True,
        changes: str | builtins.list[str] | None = None,
    ) -> Any:
        reference = f"{repository}:{tag}" if repository and tag else repository
        if isinstance(changes, str):
            changes = [changes]
        engine = self._engine
        image_id = engine.files.commit(
            engine.image_io, self.id, reference, changes, message, author, pause
        )
        return self.collection.client_images.get(image_id)


class ContainerCollection:
    def __init__(self, engine: Engine, client_images: Any) -> None:
        self.engine = engine
        self.client_images = client_images

    def _container(self, container_id: str) -> Container:
        return Container(self.engine.containers.inspect(container_id), self)

    def create(
        self, image: str, command: str | list[str] | None = None, **kwargs: Any
    ) -> Container:
        """A new container; as docker-py's, it never pulls (``run`` does)."""
        row = self.engine.containers.create(create_options(image, command, kwargs))
        return self._container(row.id)

    def run(
        self,
        image: str,
        command: str | builtins.list[str] | None = None,
        stdout: bool = True,
        stderr: bool = False,
        remove: bool = False,
        detach: bool = False,
        **kwargs: Any,
    ) -> Container | bytes:
        """Detached: the started container. Otherwise its output once it ends (raising
        ``ContainerError`` for a non-zero exit), as docker-py does. An image the store
        lacks is pulled first."""
        from ..engine.creating import create_container

        if detach and remove:
            kwargs["auto_remove"] = True
        opts = create_options(image, command, kwargs)
        container = self._container(create_container(self.engine, opts, "missing").id)
        try:
            container.start()
        except BaseException:
            if remove or kwargs.get("auto_remove"):
                container.remove(force=True)
            raise
        if detach:
            return container
        code = container.wait()["StatusCode"]
        out = container.logs(stdout=stdout, stderr=stderr)
        err = container.logs(stdout=False, stderr=True) if code else b""
        assert isinstance(out, bytes) and isinstance(err, bytes)  # not streamed
        if remove:
            container.remove(force=True)
        if code != 0:
            raise ContainerError(container, code, command, image, err)
        return out

    def get(self, container_id: str) -> Container:
        return self._container(self.engine.containers.get(container_id).id)

    def list(
        self, all: bool = False, limit: int = -1, filters: dict[str, Any] | None = None
    ) -> builtins.list[Container]:
        normalized = {
            key: [str(v) for v in (value if isinstance(value, builtins.list) else [value])]
            for key, value in (filters or {}).items()
        }
        show_all = all or "status" in normalized or "exited" in normalized
        rows = self.engine.containers.list(all=show_all, filters=normalized)
        if limit >= 0:
            rows = rows[:limit]
        return [self._container(r.id) for r in rows]

    def prune(self, filters: dict[str, Any] | None = None) -> dict[str, Any]:
        removed, reclaimed = self.engine.containers.prune()
        return {"ContainersDeleted": removed or None, "SpaceReclaimed": reclaimed}
