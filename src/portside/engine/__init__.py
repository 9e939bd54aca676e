"""Use cases, one module per resource; the only door from the front ends into the layers."""

from __future__ import annotations

import os

from ..cached import cached_property
from ..config import Settings

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from ..store.store import Store
    from .attach import AttachService
    from .builds import BuildService
    from .container_files import ContainerFiles
    from .containers import ContainerService
    from .events import EventService
    from .execs import ExecService
    from .image_io import ImageIO
    from .images import ImageService
    from .lifecycle import Lifecycle
    from .logs import LogService
    from .networks import NetworkService
    from .registry import RegistryService
    from .system import SystemService
    from .targets import TargetService
    from .volumes import VolumeService


class Engine:
    """Everything portside can do, for one store. Parts are built when first used."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if os.geteuid() != 0:  # an ordinary user's commands run in their namespace
            from pathlib import Path

            from ..userns import enter

            enter(Path(settings.runroot), Path(settings.root))

    @cached_property
    def store(self) -> Store:
        from ..store.store import Store

        return Store(self.settings.root)

    @cached_property
    def images(self) -> ImageService:
        from .images import ImageService

        return ImageService(self.store, self.settings.aliases)

    @cached_property
    def image_io(self) -> ImageIO:
        from .image_io import ImageIO

        return ImageIO(self.images)

    @cached_property
    def containers(self) -> ContainerService:
        from .containers import ContainerService

        # a restart policy's start is the running side's: built only when one happens
        return ContainerService(
            self.settings,
            self.store,
            lambda: self.images,
            lambda row: self.lifecycle.start_again(row),
        )

    @property
    def networks(self) -> NetworkService:
        return self.containers.networks

    @property
    def volumes(self) -> VolumeService:
        return self.containers.volumes

    @cached_property
    def lifecycle(self) -> Lifecycle:
        from .lifecycle import Lifecycle

        return Lifecycle(self.containers)

    @cached_property
    def events(self) -> EventService:
        from .events import EventService

        return EventService(self.store)

    @cached_property
    def logs(self) -> LogService:
        from .logs import LogService

        return LogService(self.containers)

    @cached_property
    def attach(self) -> AttachService:
        from .attach import AttachService

        return AttachService(self.containers)

    @cached_property
    def execs(self) -> ExecService:
        from .execs import ExecService

        return ExecService(self.containers, self.lifecycle)

    @cached_property
    def builds(self) -> BuildService:
        from ..runtime.runc import Runtime
        from .builds import BuildService

        settings = self.settings
        runtime = Runtime(settings.runtime, f"{settings.runroot}/runc")
        return BuildService(
            self.images,
            runtime,
            lambda name, out, credential: self.registry.pull(name, out, credential=credential),
            lambda: self.containers.endpoints,
            f"{settings.runroot}/build",
            lambda text, credential: self.registry.client(text, credential),
        )

    @cached_property
    def registry(self) -> RegistryService:
        from .registry import RegistryService

        return RegistryService(self.images, self.settings)

    @cached_property
    def files(self) -> ContainerFiles:
        from .container_files import ContainerFiles

        return ContainerFiles(self.containers, self.lifecycle)

    @cached_property
    def system(self) -> SystemService:
        from .system import SystemService

        return SystemService(self)

    @cached_property
    def targets(self) -> TargetService:
        from .targets import TargetService

        return TargetService(self)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
