"""``compose up`` and ``compose down``: make the store match the model, and take it away.

``up`` works service by service in dependency order. For each it compares what should
be (the configuration hash of the service, the ID of its image, its number of
replicas) with the containers that carry its labels: an unchanged running container is
left alone, a changed one is replaced, a missing one is made, a stopped one started,
and one past the replica count removed. Before a service starts, each service it
depends on must meet its condition: started, healthy (``State.Health.Status`` of
inspect), or exited with 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from ..errors import Conflict, DependencyFailed, InvalidArgument, NotFound
from ..records import dataclass, replace
from . import labels as L
from .model import Project
from .options import create_options, image_of, make_bind_sources, networks_of, replicas
from .project_state import (
    Say,
    containers,
    hash_of,
    image_id,
    number_of,
    service_of,
    start_order,
    with_dependencies,
)

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

    from ..engine import Engine
    from ..engine.rows import ContainerRow


@dataclass(frozen=True)
class UpOptions:
    services: tuple[str, ...] = ()  # none: every enabled one
    build: bool = False  # --build
    force_recreate: bool = False
    no_recreate: bool = False
    no_deps: bool = False
    remove_orphans: bool = False
    wait: bool = False  # --wait: until every service is running or healthy
    timeout: float = 300.0  # how long a condition may take


def up(
    engine: Engine,
    project: Project,
    options: UpOptions,
    say: Say,
    build: Callable[[str], object],
    pull: Callable[[str], None],
) -> list[ContainerRow]:
    """Converge ``options.services`` (and what they depend on, unless ``no_deps``);
    the containers that run them, in start order. ``build``/``pull`` make a missing
    (or, with ``--build``, any built) service's image."""
    chosen = list(options.services) or list(project.enabled)
    order = start_order(project, chosen) if options.no_deps else with_dependencies(project, chosen)
    for name in order:  # every service's options checked before anything is made
        create_options(project, name, 1, "")
    existing = containers(engine, project.name)
    orphans = [r for r in existing if service_of(r) not in project.services]
    if orphans and options.remove_orphans:
        for row in orphans:
            _remove(engine, row, say)
    elif orphans:
        names = ", ".join(sorted({r.name for r in orphans}))
        say("", "", f"Found orphan containers ([{names}]) for this project. Remove them with "
                    "the --remove-orphans flag.")  # fmt: skip
    ensure_resources(engine, project, order, say)
    for name in order:
        svc = project.services[name]
        if "build" in svc and (options.build or not image_id(engine, image_of(project, name))):
            build(name)
        elif not image_id(engine, image_of(project, name)):
            pull(name)
    started: list[ContainerRow] = []
    updated: set[str] = set()  # services whose containers this up made, replaced or started
    for name in order:
        for dep, spec in (project.services[name].get("depends_on") or {}).items():
            if dep in order:
                wait_for(engine, project, dep, spec["condition"], say, options.timeout)
        mine = [r for r in existing if service_of(r) == name]
        rows, changed = _converge(engine, project, name, mine, options, say)
        if changed:
            updated.add(name)
        elif restart_for(project, name, updated):
            rows = [restart_container(engine, row, say) for row in rows]
        started.extend(rows)
    if options.wait:
        for name in order:
            healthy = "service_healthy" if project.services[name].get("healthcheck") else ""
            wait_for(engine, project, name, healthy or "service_started", say, options.timeout)
    return started


def ensure_resources(engine: Engine, project: Project, services: Iterable[str], say: Say) -> None:
    """The networks and named volumes ``services`` use, made when missing (an
    ``external`` one must exist)."""
    from ..engine.volumes import VolumeNotFound

    nets: list[str] = []
    vols: list[str] = []
    for name in services:
        svc = project.services[name]
        nets.extend(n for n in networks_of(svc) if n not in nets)
        for v in svc.get("volumes") or []:
            if v["type"] == "volume" and v.get("source") and v["source"] not in vols:
                vols.append(v["source"])
    for key in nets:
        spec = project.networks[key]
        try:
            engine.networks.get(spec["name"])
            continue
        except NotFound:
            if spec.get("external"):
                raise NotFound(
                    f"network {spec['name']} declared as external, but could not be found"
                ) from None
        say("Network", spec["name"], "Creating")
        engine.networks.create(
            spec["name"],
            internal=bool(spec.get("internal")),
            labels={
                **(spec.get("labels") or {}),
                L.PROJECT: project.name,
                L.NETWORK: key,
                L.VERSION: L.COMPOSE_VERSION,
            },
        )
        say("Network", spec["name"], "Created")
    for key in vols:
        spec = project.volumes[key]
        try:
            engine.volumes.get(spec["name"])
            continue
        except VolumeNotFound:
            if spec.get("external"):
                raise NotFound(f'external volume "{spec["name"]}" not found') from None
        say("Volume", spec["name"], "Creating")
        engine.volumes.create(
            spec["name"],
            labels={
                **(spec.get("labels") or {}),
                L.PROJECT: project.name,
                L.VOLUME: key,
                L.VERSION: L.COMPOSE_VERSION,
            },
        )
        say("Volume", spec["name"], "Created")


def _converge(
    engine: Engine,
    project: Project,
    name: str,
    mine: list[ContainerRow],
    options: UpOptions,
    say: Say,
) -> tuple[list[ContainerRow], bool]:
    """The service's containers once converged, and whether any was made, replaced or
    started (what ``depends_on: restart: true`` restarts its dependents for)."""
    svc = project.services[name]
    digest = L.config_hash(svc)
    current_image = image_id(engine, image_of(project, name))
    by_number = {number_of(r): r for r in mine}
    out: list[ContainerRow] = []
    changed = False
    for number in range(1, replicas(svc) + 1):
        row = by_number.pop(number, None)
        stale = row is not None and (
            options.force_recreate or hash_of(row) != digest or row.image_id != current_image
        )
        if row is not None and stale and not options.no_recreate:
            say("Container", row.name, "Recreate")
            kept = anonymous_volumes(engine, project, row)
            _remove(engine, row, say=None)
            row = create(engine, project, name, number, digest, keep=kept)
            say("Container", row.name, "Recreated")
        elif row is None:
            row = create(engine, project, name, number, digest, say)
        elif row.status == "running":
            say("Container", row.name, "Running")
            out.append(row)
            continue
        say("Container", row.name, "Starting")
        out.append(engine.lifecycle.start(row.id).row)
        say("Container", row.name, "Started")
        changed = True
    for row in by_number.values():  # past the replica count
        _remove(engine, row, say)
    return out, changed


def restart_for(project: Project, name: str, updated: Iterable[str]) -> bool:
    """Whether ``name`` depends with ``restart: true`` on one of the ``updated``
    services: Compose restarts it after it updates that dependency."""
    deps = project.services[name].get("depends_on") or {}
    return any(deps.get(dep, {}).get("restart") for dep in updated)


def restart_container(
    engine: Engine, row: ContainerRow, say: Say, timeout: int | None = None
) -> ContainerRow:
    """Restart one container, saying so as Compose does; the row after."""
    say("Container", row.name, "Restarting")
    engine.lifecycle.restart(row.id, timeout)
    say("Container", row.name, "Started")
    return engine.containers.get(row.id)


def create(
    engine: Engine,
    project: Project,
    name: str,
    number: int,
    digest: str,
    say: Say | None = None,
    oneoff: str = "",
    command: list[str] | None = None,
    change: dict[str, Any] | None = None,
    extra_env: tuple[str, ...] = (),
    keep: dict[str, str] | None = None,
) -> ContainerRow:
    """A container of service ``name``, on each of its networks; ``change``: fields of
    its options set otherwise (``compose run``'s terminal, streams, user …); ``keep``:
    the anonymous volumes (by path) of the container it replaces, mounted again."""
    opts = create_options(project, name, number, digest, oneoff, command)
    if change or extra_env:
        opts = replace(opts, **(change or {}), env=(*opts.env, *extra_env))
    if keep:
        from ..engine.container_options import Mount

        mounts = [m for m in opts.mounts if m.row.destination not in keep]
        mounts += [Mount.of("volume", path, source=volume) for path, volume in keep.items()]
        opts = replace(opts, mounts=tuple(mounts))
    make_bind_sources(project.services[name])
    if say is not None:
        say("Container", opts.name or "", "Creating")
    row = engine.containers.create(opts)
    networks = networks_of(project.services[name])
    for key in list(networks)[1:]:
        aliases = [name, *networks[key]] if not oneoff else networks[key]
        engine.containers.connect(project.networks[key]["name"], row.id, aliases)
    if say is not None:
        say("Container", row.name, "Created")
    return row


def anonymous_volumes(engine: Engine, project: Project, row: ContainerRow) -> dict[str, str]:
    """The container's volumes that no name in the model gives (``- /data``, an image's
    VOLUME), by path: a recreated container gets them again, as Compose keeps data."""
    named = {spec["name"] for spec in project.volumes.values()}
    return {
        m.destination: m.source
        for m in engine.containers.mounts(row.id)
        if m.type == "volume" and m.source and m.source not in named
    }


def _remove(
    engine: Engine,
    row: ContainerRow,
    say: Say | None,
    volumes: bool = False,
    timeout: int | None = None,
) -> None:
    if row.status in ("running", "restarting", "paused"):
        if say is not None:
            say("Container", row.name, "Stopping")
        engine.lifecycle.stop(row.id, timeout)
        if say is not None:
            say("Container", row.name, "Stopped")
    if say is not None:
        say("Container", row.name, "Removing")
    engine.containers.remove(row.id, force=True, volumes=volumes)
    if say is not None:
        say("Container", row.name, "Removed")


def wait_for(
    engine: Engine, project: Project, name: str, condition: str, say: Say, timeout: float
) -> None:
    """Until every container of ``name`` meets ``condition``."""
    rows = containers(engine, project.name, [name])
    for row in rows:
        if condition == "service_started":
            continue
        say("Container", row.name, "Waiting")
        deadline = time.monotonic() + timeout
        while True:
            state = engine.containers.inspect(row.id)["State"]
            if condition == "service_healthy":
                health = state.get("Health")
                if not health:
                    raise DependencyFailed(f"container {row.name} has no healthcheck configured")
                if health.get("Status") == "healthy":
                    say("Container", row.name, "Healthy")
                    break
                if health.get("Status") == "unhealthy":
                    raise DependencyFailed(
                        f"dependency failed to start: container {row.name} is unhealthy"
                    )
                if not state.get("Running"):
                    raise DependencyFailed(f"container {row.name} exited ({state.get('ExitCode')})")
            elif not state.get("Running") and state.get("Status") != "created":
                code = int(state.get("ExitCode") or 0)
                if code:
                    raise DependencyFailed(
                        f'service "{name}" didn\'t complete successfully: exit {code}'
                    )
                say("Container", row.name, "Exited")
                break
            if time.monotonic() > deadline:
                raise DependencyFailed(f"timed out waiting for {row.name} ({condition})")
            time.sleep(0.2)


# -- down ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DownOptions:
    volumes: bool = False  # -v: the project's named volumes and anonymous ones
    rmi: str = ""  # "local": images built for services without an image:; "all"
    remove_orphans: bool = False
    timeout: int | None = None


def down(engine: Engine, project: Project, options: DownOptions, say: Say) -> None:
    """Stop and remove the project's containers (dependents first), then its networks,
    and, as asked, its volumes and images."""
    if options.rmi not in ("", "local", "all"):
        raise InvalidArgument(f'invalid value for --rmi: "{options.rmi}" (local or all)')
    rows = containers(engine, project.name, oneoff=True)
    order = with_dependencies(project, project.services)
    rank = {name: i for i, name in enumerate(order)}
    known = [r for r in rows if service_of(r) in project.services]
    orphans = [r for r in rows if service_of(r) not in project.services]
    known.sort(key=lambda r: -rank.get(service_of(r), 0))
    for row in known + (orphans if options.remove_orphans else []):
        _remove(engine, row, say, options.volumes, options.timeout)
    for spec in project.networks.values():
        if spec.get("external"):
            continue
        try:
            engine.networks.get(spec["name"])
        except NotFound:
            continue
        say("Network", spec["name"], "Removing")
        try:
            engine.networks.remove(spec["name"])
        except Conflict as e:
            say("Network", spec["name"], f"Resource is still in use ({e})")
            continue
        say("Network", spec["name"], "Removed")
    if options.volumes:
        from ..engine.volumes import VolumeNotFound

        for spec in project.volumes.values():
            if spec.get("external"):
                continue
            try:
                engine.volumes.remove(spec["name"])
            except VolumeNotFound:
                continue
            say("Volume", spec["name"], "Removed")
    if options.rmi:
        for name, svc in project.services.items():
            if options.rmi == "local" and svc.get("image"):
                continue
            image = image_of(project, name)
            try:
                engine.images.remove(image)
            except NotFound:
                continue
            say("Image", image, "Removed")
