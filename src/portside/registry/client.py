"""HTTP to one registry, as Docker talks to it.

- Host: ``docker.io`` is served by ``registry-1.docker.io``; any other domain is itself.
- Scheme: HTTPS, except for loopback hosts (``localhost``, 127.0.0.0/8, ``::1``), which
  Docker treats as insecure registries: plain HTTP.
- Auth: a 401 names its scheme in ``WWW-Authenticate``. Basic: the credentials Docker's
  ``config.json`` holds for the host (``auths``, base64 ``user:pass``). Bearer: a token
  from the challenge's realm for its service and scope, with those credentials or
  anonymous, reused for that scope while it lives.
- Errors: the registry's own error codes (``MANIFEST_UNKNOWN`` …) become one line; a
  registry that cannot be reached fails within the timeout. 5xx answers, 429 (after
  its Retry-After) and dropped connections are retried with backoff, a few times.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPResponse
from pathlib import Path
from typing import IO, Any

from ..errors import PortsideError

TIMEOUT = 30
ATTEMPTS = 4  # a request is tried at most this often (5xx, 429, a dropped connection)
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_MANIFEST = 4 << 20  # Docker's limit for a manifest or index
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(PortsideError):
    """The registry refused or could not be reached; ``code`` is its error code."""

    def __init__(self, message: str, code: str = "", status: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def registry_host(domain: str) -> str:
    return "registry-1.docker.io" if domain == "docker.io" else domain


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1, with or without a port (``[::1]:5000``)."""
    name = urllib.parse.urlsplit(f"//{host}").hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


DOCKER_HUB_KEY = "https://index.docker.io/v1/"  # where Docker keeps Docker Hub's login


def config_path() -> Path:
    """Docker's config.json: ``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``."""
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"


def read_config() -> dict[str, Any]:
    try:
        config = json.loads(config_path().read_text())
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def write_config(config: dict[str, Any]) -> None:
    """Written beside itself and renamed, mode 0600 (it holds credentials)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(config, f, indent="\t")
    os.replace(tmp, path)


def auth_key(domain: str) -> str:
    """The ``auths`` key Docker uses for a registry domain."""
    return DOCKER_HUB_KEY if domain == "docker.io" else domain


def basic_auth(user: str, password: str) -> str:
    """``user:password`` in base64: a Basic header's value and config.json's ``auth``."""
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def save_login(domain: str, user: str, password: str) -> None:
    """``login``: the credentials into config.json's ``auths``, where Docker keeps them."""
    config = read_config()
    auths = config.get("auths") or {}
    auths[auth_key(domain)] = {"auth": basic_auth(user, password)}
    config["auths"] = auths
    write_config(config)


def forget_login(domain: str) -> bool:
    """``logout``: drop the domain's credentials; False when there were none."""
    config = read_config()
    auths = config.get("auths") or {}
    if auth_key(domain) not in auths:
        return False
    del auths[auth_key(domain)]
    config["auths"] = auths
    write_config(config)
    return True


def docker_credentials(host: str) -> tuple[str, str] | None:
    """(user, password) for ``host`` from Docker's config.json ``auths``, if any."""
    auths = read_config().get("auths") or {}
    keys = [host, f"https://{host}", f"http://{host}"]
    if host == "registry-1.docker.io":
        keys.append(DOCKER_HUB_KEY)
    for key in keys:
        entry = auths.get(key)
        if isinstance(entry, dict) and entry.get("auth"):
            user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            return user, password
    return None


class Registry:
    def __init__(self, domain: str) -> None:
        self.host = registry_host(domain)
        self.scheme = "http" if is_loopback(self.host) else "https"
        self.base = f"{self.scheme}://{self.host}"
        self._tokens: dict[str, tuple[str, float]] = {}  # scope -> (token, expiry)
        self._basic: str | None = None
        self._login: tuple[str, str] | None = None  # credentials being tried by login

    # -- requests ---------------------------------------------------------------------
    @contextmanager
    def request(
        self,
        method: str,
        path: str,
        scope: str,
        headers: dict[str, str] | None = None,
        body: bytes | IO[bytes] | None = None,
        ok: tuple[int, ...] = (200,),
        size: int | None = None,
    ) -> Iterator[HTTPResponse]:
        """One request (``path`` may be a full URL, as upload locations are), with auth
        (one more try after a 401 challenge) and retries with backoff after a 5xx, a 429
        (its Retry-After honoured) or a dropped connection; the response while the block
        runs. A refused connection fails at once: the registry is down."""
        url = path if path.startswith(("http://", "https://")) else self.base + path
        rewindable = body is None or isinstance(body, bytes) or hasattr(body, "seek")
        authed = False
        attempt = 0
        while True:
            attempt += 1
            all_headers = {**(headers or {}), **self._auth_header(scope)}
            if size is not None:
                all_headers["Content-Length"] = str(size)
            req = urllib.request.Request(url, data=body, method=method, headers=all_headers)
            wait = None
            try:
                response = urllib.request.urlopen(req, timeout=TIMEOUT)  # noqa: S310
            except urllib.error.HTTPError as e:
                if e.code == 401 and not authed and self._authenticate(e, scope):
                    authed = True
                    _rewind(body)
                    continue
                if e.code in ok:
                    response = e
                elif e.code in RETRY_STATUS and attempt < ATTEMPTS and rewindable:
                    wait = _retry_after(e.headers.get("Retry-After"), attempt)
                else:
                    raise _error(e) from None
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, "reason", e)
                # refused: the registry is down; timed out: it hangs. Neither gets retried,
                # so either fails within one TIMEOUT
                if (
                    isinstance(reason, (ConnectionRefusedError, TimeoutError))
                    or attempt >= ATTEMPTS
                ):
                    raise RegistryError(
                        f"cannot reach the registry {self.host}: {reason}"
                    ) from None
                if not rewindable:
                    raise RegistryError(f"connection to {self.host} lost: {reason}") from None
                wait = _retry_after(None, attempt)
            if wait is not None:
                time.sleep(wait)
                _rewind(body)
                continue
            try:
                if response.status not in ok:
                    raise RegistryError(
                        f"{method} {url}: unexpected status {response.status}",
                        status=response.status,
                    )
                yield response
            finally:
                response.close()
            return

    def _auth_header(self, scope: str) -> dict[str, str]:
        token = self._tokens.get(scope)
        if token is not None and token[1] > time.time():
            return {"Authorization": f"Bearer {token[0]}"}
        if self._basic is not None:
            return {"Authorization": f"Basic {self._basic}"}
        return {}

    def _authenticate(self, challenge: urllib.error.HTTPError, scope: str) -> bool:
        """Act on a 401's WWW-Authenticate; False when there is nothing to try."""
        header = challenge.headers.get("WWW-Authenticate", "")
        kind, _, params_text = header.partition(" ")
        params = dict(_CHALLENGE.findall(params_text))
        creds = self._login or docker_credentials(self.host)
        if kind.lower() == "basic":
            if creds is None or self._basic is not None:
                return False
            self._basic = basic_auth(*creds)
            return True
        if kind.lower() != "bearer" or "realm" not in params:
            return False
        query = {"service": params.get("service", ""), "scope": params.get("scope", scope)}
        url = params["realm"] + "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v})
        headers = {}
        if creds is not None:
            headers["Authorization"] = f"Basic {basic_auth(*creds)}"
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=headers), timeout=TIMEOUT
            ) as response:
                data = json.loads(response.read())
        except urllib.error.HTTPError as e:
            raise _error(e) from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise RegistryError(f"cannot get a token from {params['realm']}: {e}") from None
        token = data.get("token") or data.get("access_token")
        if not token:
            return False
        lifetime = float(data.get("expires_in") or 60)
        self._tokens[scope] = (str(token), time.time() + max(lifetime - 10, 10))
        return True

    def check_login(self, user: str, password: str) -> None:
        """``login``: the registry accepts these credentials (GET /v2/ with them)."""
        self._basic = None
        self._login = (user, password)
        auth = {"Authorization": f"Basic {basic_auth(user, password)}"}
        req = urllib.request.Request(self.base + "/v2/", headers=auth)
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT):
                return
        except urllib.error.HTTPError as e:
            header = e.headers.get("WWW-Authenticate", "")
            if e.code == 401 and header.lower().startswith("bearer") and self._authenticate(e, ""):
                return
            raise RegistryError(
                f"login attempt to {self.base}/v2/ failed with status: {e.code} {e.reason}",
                status=e.code,
            ) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise RegistryError(f"cannot reach the registry {self.host}: {reason}") from None

    # -- the protocol's calls ---------------------------------------------------------
    def manifest(self, repo: str, reference: str, accept: list[str]) -> tuple[bytes, str, str]:
        """(body, media type, digest header) of a manifest or index."""
        scope = f"repository:{repo}:pull"
        with self.request(
            "GET", f"/v2/{repo}/manifests/{reference}", scope, {"Accept": ", ".join(accept)}
        ) as r:
            body = r.read(MAX_MANIFEST + 1)
            if len(body) > MAX_MANIFEST:
                raise RegistryError(f"manifest {repo}:{reference} is larger than 4 MiB")
            media = (r.headers.get("Content-Type") or "").split(";")[0].strip()
            return body, media, r.headers.get("Docker-Content-Digest") or ""

    def tags(self, repo: str) -> list[str]:
        with self.request("GET", f"/v2/{repo}/tags/list", f"repository:{repo}:pull") as r:
            data = json.loads(r.read(MAX_MANIFEST) or b"{}")
        return [str(t) for t in (data.get("tags") or [])]

    @contextmanager
    def blob(self, repo: str, digest: str) -> Iterator[HTTPResponse]:
        with self.request("GET", f"/v2/{repo}/blobs/{digest}", f"repository:{repo}:pull") as r:
            yield r

    def has_blob(self, repo: str, digest: str) -> bool:
        scope = f"repository:{repo}:push,pull"
        with self.request("HEAD", f"/v2/{repo}/blobs/{digest}", scope, ok=(200, 404)) as r:
            return r.status == 200

    def upload(self, repo: str, digest: str, data: IO[bytes], size: int) -> None:
        """A monolithic upload: POST for a location, then PUT the bytes there."""
        scope = f"repository:{repo}:push,pull"
        with self.request("POST", f"/v2/{repo}/blobs/uploads/", scope, body=b"", ok=(202,)) as r:
            location = r.headers.get("Location") or ""
        if not location:
            raise RegistryError(f"{self.host} gave no upload location for {repo}")
        if location.startswith("/"):
            location = self.base + location
        sep = "&" if "?" in location else "?"
        headers = {"Content-Type": "application/octet-stream"}
        url = f"{location}{sep}digest={urllib.parse.quote(digest)}"
        with self.request("PUT", url, scope, headers, body=data, ok=(201,), size=size):
            pass

    def put_manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
        scope = f"repository:{repo}:push,pull"
        headers = {"Content-Type": media_type}
        with self.request(
            "PUT", f"/v2/{repo}/manifests/{reference}", scope, headers, body=body, ok=(201,)
        ) as r:
            return r.headers.get("Docker-Content-Digest") or ""


def _rewind(body: bytes | IO[bytes] | None) -> None:
    if body is not None and not isinstance(body, bytes) and hasattr(body, "seek"):
        body.seek(0)


def _retry_after(header: str | None, attempt: int) -> float:
    """Seconds to wait: the server's Retry-After (at most 10 s), else 0.2 s doubling."""
    if header is not None:
        try:
            return min(max(float(header), 0.0), 10.0)
        except ValueError:
            pass
    return min(0.2 * float(2 ** (attempt - 1)), 5.0)


def _error(e: urllib.error.HTTPError) -> RegistryError:
    """The registry's error body as one line: ``manifest unknown: manifest unknown``."""
    try:
        data: Any = json.loads(e.read() or b"{}")
    except ValueError:
        data = {}
    errors = data.get("errors") if isinstance(data, dict) else None
    if errors and isinstance(errors, list) and isinstance(errors[0], dict):
        first = errors[0]
        code = str(first.get("code", ""))
        message = str(first.get("message", "")) or code.lower().replace("_", " ")
        return RegistryError(f"{code.lower().replace('_', ' ')}: {message}", code, e.code)
    if e.code == 401:
        return RegistryError("unauthorized: authentication required", "UNAUTHORIZED", 401)
    return RegistryError(f"{e.code} {e.reason}", status=e.code)
