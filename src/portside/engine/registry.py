"""``pull``, ``push``, ``login`` and the tags of a repository: the use cases over the
registry client (registry/pull.py and registry/push.py do the transfers)."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Settings
from ..errors import InvalidArgument, PortsideError
from ..image.reference import Reference, parse_tagged
from ..progress import LayerProgress
from ..registry.client import Registry
from ..registry.credentials import Credential

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from .images import ImageService

Output = Callable[[str], None]


def _progress(progress: LayerProgress | Output) -> LayerProgress:
    return progress if isinstance(progress, LayerProgress) else LayerProgress(progress)


class RegistryService:
    def __init__(self, images: ImageService, settings: Settings) -> None:
        self.images = images
        self.store = images.store
        self.settings = settings
        self.downloads = self.settings.max_concurrent_downloads
        self.uploads = self.settings.max_concurrent_uploads
        self._logins: dict[str, Credential] = {}  # domain -> login of this session

    def _registry(
        self, domain: str, tls_verify: bool | None, credential: Credential | None = None
    ) -> Registry:
        """A client for ``domain``: with ``credential`` when one is given for the call,
        else a login of this session, else the one Docker keeps (registry/client.py)."""
        return Registry(
            domain,
            tls_verify,
            credential or self._logins.get(domain),
            self.settings.insecure_registries,
        )

    def client(self, text: str, credential: Credential | None = None) -> tuple[Registry, Reference]:
        """A client for the registry of the name ``text``, and the name parsed (a
        build's ``--cache-to/--cache-from type=registry``)."""
        ref = parse_tagged(self.images.aliased(text))
        return self._registry(ref.domain, None, credential), ref

    def login(
        self,
        server: str | None,
        user: str,
        password: str,
        tls_verify: bool | None = None,
        save: bool = True,
    ) -> None:
        """Check the login against the registry ``server`` (as ``login`` takes it: none
        or Docker Hub's URL for docker.io); keep it for this service's pulls and pushes,
        and with ``save`` where Docker keeps logins (``portside login``)."""
        from ..registry.credentials import save_login, server_domain

        domain = server_domain(server)
        self._registry(domain, tls_verify).check_login(user, password)
        self._logins[domain] = Credential(user, password)
        if save:
            save_login(domain, user, password)

    # -- pull -------------------------------------------------------------------------
    def pull(
        self,
        text: str,
        progress: LayerProgress | Output,
        platform: str = "",
        tls_verify: bool | None = None,
        credential: Credential | None = None,
    ) -> str:
        """Pull ``text`` (a name, name:tag or name@digest); the image ID. ``platform``
        (os/arch[/variant]) picks another entry of an index than this machine's;
        ``credential``: the login for this pull, instead of the one Docker keeps."""
        from ..image.host import parse_platform
        from ..registry.pull import Puller

        ref = parse_tagged(self.images.aliased(text))
        wanted = parse_platform(platform) if platform else None
        puller = Puller(self.store, self.downloads)
        failed: list[str] = []
        for mirror in self.settings.mirrors.get(ref.domain, ()):
            # a mirror serves the same repositories; what it sends is checked against
            # the digests as the origin's is, so a tampered blob is refused either way
            registry = Registry(
                mirror.location,
                False if mirror.insecure else tls_verify,
                insecure_registries=self.settings.insecure_registries,
            )
            try:
                image_id = puller.pull(registry, ref, wanted, _progress(progress))
                break
            except (PortsideError, OSError) as e:
                failed.append(f"mirror {mirror.location}: {e}")
        else:
            try:
                image_id = puller.pull(
                    self._registry(ref.domain, tls_verify, credential),
                    ref,
                    wanted,
                    _progress(progress),
                )
            except PortsideError as e:
                if failed:  # the origin's error, then what each mirror said
                    e.args = (f"{e} (after {'; '.join(failed)})",)
                raise
        from .events import record

        record(self.store, "image", "pull", ref.familiar(), {"name": ref.familiar_name})
        return image_id

    def tags(self, text: str, tls_verify: bool | None = None) -> list[str]:
        """The repository's tags (``pull -a``), sorted."""
        ref = parse_tagged(text)
        return sorted(self._registry(ref.domain, tls_verify).tags(ref.path))

    def pull_all_tags(
        self,
        text: str,
        progress: LayerProgress | Output,
        platform: str = "",
        tls_verify: bool | None = None,
    ) -> str:
        """``pull -a``: every tag of the repository ``text`` names (no tag in it); the
        repository's full name."""
        ref = _repository(text)
        for tag in self.tags(text, tls_verify):
            self.pull(str(ref.with_tag(tag)), progress, platform, tls_verify)
        return ref.name

    # -- push -------------------------------------------------------------------------
    def local_tags(self, text: str) -> list[str]:
        """``push -a``: every local tag of the repository ``text`` names (no tag in it)."""
        ref = _repository(text)
        found = [n for n, _ in self.store.meta.all_tags() if n.rsplit(":", 1)[0] == ref.name]
        if not found:
            raise InvalidArgument(f"An image does not exist locally with the tag: {ref.name}")
        return found

    def push(
        self,
        text: str,
        progress: LayerProgress | Output,
        tls_verify: bool | None = None,
        chunk_size: int | None = None,
        credential: Credential | None = None,
    ) -> str:
        """Push a local image by name; the manifest digest. ``credential``: the login
        for this push, instead of the one Docker keeps."""
        from ..registry.push import Pusher
        from ..registry.transfer import json_object

        ref = parse_tagged(text)
        if ref.digest is not None:
            raise InvalidArgument("cannot push a digest reference")
        image_id, _ = self.images.resolve(str(ref))
        doc = json_object(self.store.content.read(self.images.row(image_id).manifest), "manifest")
        registry = self._registry(ref.domain, tls_verify, credential)
        digest = Pusher(self.store, self.uploads).push(
            registry, ref, image_id, doc, _progress(progress), chunk_size
        )
        from .events import record

        record(self.store, "image", "push", ref.familiar(), {"name": ref.familiar_name})
        return digest


def _repository(text: str) -> Reference:
    """The repository ``pull -a``/``push -a`` name: a name with a tag or digest is refused."""
    ref = parse_tagged(text)
    if ref.digest is not None or ":" in text.rsplit("/", 1)[-1]:
        raise InvalidArgument("tag can't be used with --all-tags/-a")
    return ref
