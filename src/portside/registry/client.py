"""HTTP to one registry, as Docker talks to it.

- Host: ``docker.io`` is served by ``registry-1.docker.io``; any other domain is itself.
- Transport: TLS, verified with the system's CAs and the host's ``certs.d`` files; an
  insecure registry (loopback by default, or configured, or ``--tls-verify=false``) is
  tried with unverified TLS, then plain HTTP (registry/tls.py).
- Auth: a 401 names its scheme in ``WWW-Authenticate``. Basic: the login given for
  this client (a ``Credential``), else the one Docker keeps for the registry
  (registry/credentials.py: a credential helper or ``auths``). Bearer: a token from the
  challenge's realm for its service and scopes, with that login or anonymous (an
  identity token is traded with an OAuth POST, as Docker does), reused for those scopes
  while it lives and fetched again when the registry refuses it (expired).
- Errors: the registry's own error codes (``MANIFEST_UNKNOWN`` …) become one line; a
  registry that cannot be reached fails within the timeout. 5xx answers, 429 (after
  its Retry-After) and dropped connections are retried with backoff, a few times.
- Uploads: monolithic (POST, then PUT the bytes) up to one chunk; above that, chunked
  (PATCH each chunk with its Content-Range, then PUT the digest); a blob made while it
  is sent (a layer being compressed) streams in one PATCH; a blob another repository of
  the registry holds is mounted instead (``?mount=&from=``).
"""

from __future__ import annotations

import json
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.client import HTTPResponse

from ..config import DEFAULT_INSECURE
from ..errors import PortsideError
from . import tls
from .credentials import Credential, basic_auth, credentials

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import IO, Any, BinaryIO

TIMEOUT = 30
ATTEMPTS = 4  # a request is tried at most this often (5xx, 429, a dropped connection)
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_MANIFEST = 4 << 20  # Docker's limit for a manifest or index
CHUNK = 16 << 20  # blobs above this go up in chunks of this size
SEND_BLOCK = 256 << 10
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
Sent = Callable[[int], object]  # bytes sent so far, for progress


def merge_scopes(text: str) -> list[str]:
    """Space-separated ``type:name:actions`` scopes, one per resource with the union of
    its actions in a fixed order: a registry may list ``push,pull`` for what we call
    ``pull,push``, and one resource asked for twice reads as a different request."""
    actions: dict[str, set[str]] = {}
    for scope in text.split():
        resource, _, acts = scope.rpartition(":")
        if not resource:
            resource, acts = scope, ""
        actions.setdefault(resource, set()).update(a for a in acts.split(",") if a)
    return [f"{r}:{','.join(sorted(a))}" if a else r for r, a in actions.items()]


class RegistryError(PortsideError):
    """The registry refused or could not be reached; ``code`` is its error code."""

    def __init__(self, message: str, code: str = "", status: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def registry_host(domain: str) -> str:
    return "registry-1.docker.io" if domain == "docker.io" else domain


def _opener(host: str, verify: bool) -> urllib.request.OpenerDirector:
    try:
        context = tls.context(host, verify)
    except (OSError, ssl.SSLError) as e:
        raise RegistryError(f"certificates for {host}: {e}") from None
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))


class Registry:
    def __init__(
        self,
        domain: str,
        tls_verify: bool | None = None,
        login: Credential | None = None,
        insecure_registries: Sequence[str] = DEFAULT_INSECURE,
    ) -> None:
        """``tls_verify``: False makes the registry insecure, True holds even a loopback
        or configured-insecure one to verified TLS; None follows
        ``insecure_registries`` (the settings'). ``login``: credentials to use instead
        of the ones Docker keeps."""
        self.domain = domain
        self.host = registry_host(domain)
        insecure = (
            tls.is_insecure(self.host, insecure_registries)
            if tls_verify is None
            else not tls_verify
        )
        self._insecure = insecure  # may fall back to plain HTTP, when TLS is not spoken
        self.base = f"https://{self.host}"
        self._opener = _opener(self.host, verify=not insecure)
        self._tokens: dict[str, tuple[str, float]] = {}  # scope -> (token, expiry)
        self._basic: str | None = None
        self._login = login

    def _open(self, req: urllib.request.Request) -> HTTPResponse:
        """One round trip; an insecure registry that does not speak TLS is asked again
        over HTTP, and stays on HTTP (for every thread: uploads run in parallel)."""
        if req.full_url.startswith("https://") and self.base.startswith("http://"):
            req.full_url = "http://" + req.full_url.removeprefix("https://")
        try:
            return self._opener.open(req, timeout=TIMEOUT)  # type: ignore[no-any-return]
        except urllib.error.URLError as e:
            reason = getattr(e, "reason", None)
            if not (
                self._insecure
                and req.full_url.startswith("https://")
                and isinstance(reason, (ssl.SSLError, ConnectionResetError))
            ):
                raise
        self.base = f"http://{self.host}"
        req.full_url = "http://" + req.full_url.removeprefix("https://")
        _rewind(req.data)  # type: ignore[arg-type]
        return self._opener.open(req, timeout=TIMEOUT)  # type: ignore[no-any-return]

    # -- requests ---------------------------------------------------------------------
    @contextmanager
    def request(
        self,
        method: str,
        path: str,
        scope: str,
        headers: dict[str, str] | None = None,
        body: bytes | IO[bytes] | _Slice | Iterator[bytes] | None = None,
        ok: tuple[int, ...] = (200,),
        size: int | None = None,
    ) -> Iterator[HTTPResponse]:
        """One request (``path`` may be a full URL, as upload locations are), with auth
        (one more try after a 401 challenge) and retries with backoff after a 5xx, a 429
        (its Retry-After honoured) or a dropped connection; the response while the block
        runs. A refused connection fails at once: the registry is down. ``scope`` is
        space-separated, as a token's scopes are."""
        rewindable = body is None or isinstance(body, bytes) or hasattr(body, "seek")
        authed = False
        attempt = 0
        while True:
            attempt += 1
            url = path if path.startswith(("http://", "https://")) else self.base + path
            all_headers = {**(headers or {}), **self._auth_header(scope)}
            if size is not None:
                all_headers["Content-Length"] = str(size)
            req = urllib.request.Request(url, data=body, method=method, headers=all_headers)
            wait = None
            try:
                response = self._open(req)
            except urllib.error.HTTPError as e:
                sent = all_headers.get("Authorization")
                if (
                    e.code == 401
                    and not authed
                    and rewindable
                    and self._authenticate(e, scope, sent)
                ):
                    authed = True
                    _rewind(body)
                    continue
                if e.code in ok:
                    response = e  # type: ignore[assignment]
                elif e.code in RETRY_STATUS and attempt < ATTEMPTS and rewindable:
                    wait = _retry_after(e.headers.get("Retry-After"), attempt)
                else:
                    raise _error(e) from None
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, "reason", e)
                if isinstance(reason, ssl.SSLError):
                    raise RegistryError(
                        f"TLS with {self.host} failed: {_tls_reason(reason, self.host)}"
                    ) from None
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

    def _credentials(self) -> Credential | None:
        if self._login is not None:
            return self._login
        try:
            return credentials(self.domain)
        except PortsideError as e:
            raise RegistryError(str(e)) from None

    def _authenticate(
        self, challenge: urllib.error.HTTPError, scope: str, sent: str | None
    ) -> bool:
        """Act on a 401's WWW-Authenticate; False when there is nothing to try. ``sent``
        is the Authorization the refused request carried: another thread may have set
        the login since, and only a refused login itself is final."""
        header = challenge.headers.get("WWW-Authenticate", "")
        kind, _, params_text = header.partition(" ")
        params = dict(_CHALLENGE.findall(params_text))
        creds = self._credentials()
        login = basic_auth(creds.username, creds.password) if creds and creds.username else None
        if kind.lower() == "basic":
            if login is None or sent == f"Basic {login}":
                return False
            self._basic = login
            return True
        if kind.lower() != "bearer" or "realm" not in params:
            return False
        self._tokens.pop(scope, None)  # refused: expired or too narrow
        # the challenge names what this request needs; ask for ours too (a mount needs
        # two repositories), as Docker does, one scope parameter each
        scopes = merge_scopes(params.get("scope", "") + " " + scope)
        service = params.get("service", "")
        realm_host = urllib.parse.urlsplit(params["realm"]).netloc
        opener = self._opener if realm_host == self.host else _opener(realm_host, True)
        if creds is not None and creds.identity_token:
            # OAuth2's refresh-token grant, Docker's for an identity token
            form = {
                "grant_type": "refresh_token",
                "refresh_token": creds.identity_token,
                "service": service,
                "client_id": "portside",
                "scope": " ".join(scopes),
            }
            body = urllib.parse.urlencode({k: v for k, v in form.items() if v}).encode()
            token_request = urllib.request.Request(
                params["realm"],
                data=body,
                method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        else:
            query = [("service", service)] + [("scope", s) for s in scopes]
            url = params["realm"] + "?" + urllib.parse.urlencode([(k, v) for k, v in query if v])
            headers = {"Authorization": f"Basic {login}"} if login is not None else {}
            token_request = urllib.request.Request(url, headers=headers)
        try:
            with opener.open(token_request, timeout=TIMEOUT) as r:
                data = json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise _error(e) from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise RegistryError(f"cannot get a token from {params['realm']}: {e}") from None
        token = data.get("token") or data.get("access_token")
        if not token:
            return False
        lifetime = float(data.get("expires_in") or 60)
        self._tokens[scope] = (str(token), time.time() + max(lifetime - 5, 1))
        return True

    def check_login(self, user: str, password: str) -> None:
        """``login``: the registry accepts these credentials (GET /v2/ with them)."""
        self._basic = None
        self._login = Credential(user, password)
        try:
            with self.request("GET", "/v2/", ""):
                return
        except RegistryError as e:
            if e.status in (401, 403):
                raise RegistryError(
                    f"login attempt to {self.base}/v2/ failed with status: {e.status} "
                    + ("Unauthorized" if e.status == 401 else "Forbidden"),
                    e.code,
                    e.status,
                ) from None
            raise

    # -- the protocol's calls ---------------------------------------------------------
    def manifest(self, repo: str, reference: str, accept: list[str]) -> tuple[bytes, str, str]:
        """(body, media type, digest header) of a manifest or index."""
        scope = f"repository:{repo}:pull"
        with self.request(
            "GET", f"/v2/{repo}/manifests/{reference}", scope, {"Accept": ", ".join(accept)}
        ) as r:
            declared = r.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > MAX_MANIFEST:
                raise RegistryError(f"manifest {repo}:{reference} is larger than 4 MiB")
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
        scope = f"repository:{repo}:pull,push"
        with self.request("HEAD", f"/v2/{repo}/blobs/{digest}", scope, ok=(200, 404)) as r:
            return r.status == 200

    def mount(self, repo: str, digest: str, source: str) -> str | None:
        """Ask for ``digest`` from the registry's repository ``source``: None when it was
        mounted, else an upload location (the registry declined: upload there)."""
        scope = f"repository:{repo}:pull,push repository:{source}:pull"
        query = urllib.parse.urlencode({"mount": digest, "from": source})
        with self.request(
            "POST", f"/v2/{repo}/blobs/uploads/?{query}", scope, body=b"", ok=(201, 202)
        ) as r:
            return None if r.status == 201 else self._location(r, repo)

    def start_upload(self, repo: str) -> str:
        scope = f"repository:{repo}:pull,push"
        with self.request("POST", f"/v2/{repo}/blobs/uploads/", scope, body=b"", ok=(202,)) as r:
            return self._location(r, repo)

    def _location(self, response: HTTPResponse, repo: str) -> str:
        location = response.headers.get("Location") or ""
        if not location:
            raise RegistryError(f"{self.host} gave no upload location for {repo}")
        return urllib.parse.urljoin(self.base + "/", location)

    def upload(
        self,
        repo: str,
        digest: str,
        data: BinaryIO,
        size: int,
        location: str | None = None,
        chunk: int = CHUNK,
        sent: Sent | None = None,
    ) -> None:
        """Send a blob: in one PUT up to ``chunk`` bytes, else a PATCH per chunk and a
        closing PUT. ``location`` is an upload already started (a declined mount)."""
        scope = f"repository:{repo}:pull,push"
        location = location or self.start_upload(repo)
        octets = {"Content-Type": "application/octet-stream"}
        offset = 0
        if size > chunk:
            while offset < size:
                length = min(chunk, size - offset)
                part = _Slice(data, offset, length, sent)
                headers = {**octets, "Content-Range": f"{offset}-{offset + length - 1}"}
                with self.request(
                    "PATCH", location, scope, headers, body=part, ok=(202,), size=length
                ) as r:
                    location = self._location(r, repo)
                offset += length
        sep = "&" if "?" in location else "?"
        url = f"{location}{sep}digest={urllib.parse.quote(digest)}"
        last = _Slice(data, offset, size - offset, sent)
        with self.request("PUT", url, scope, octets, body=last, ok=(201,), size=size - offset):
            pass

    def upload_stream(self, repo: str, body: Iterator[bytes], digest: Callable[[], str]) -> None:
        """Send a blob made while it is sent, as Docker pushes a layer it compresses:
        one PATCH with the bytes as they come (chunked transfer encoding), then the PUT
        with ``digest()``, known once ``body`` ran out. It cannot be rewound: a failure
        is the caller's to retry, from the whole blob."""
        scope = f"repository:{repo}:pull,push"
        location = self.start_upload(repo)
        octets = {"Content-Type": "application/octet-stream"}
        with self.request("PATCH", location, scope, octets, body=body, ok=(202,)) as r:
            location = self._location(r, repo)
        sep = "&" if "?" in location else "?"
        url = f"{location}{sep}digest={urllib.parse.quote(digest())}"
        with self.request("PUT", url, scope, octets, body=b"", ok=(201,)):
            pass

    def put_manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
        scope = f"repository:{repo}:pull,push"
        headers = {"Content-Type": media_type}
        with self.request(
            "PUT", f"/v2/{repo}/manifests/{reference}", scope, headers, body=body, ok=(201,)
        ) as r:
            return r.headers.get("Docker-Content-Digest") or ""


class _Slice:
    """``length`` bytes of ``data`` from ``offset``, read in large blocks (http.client
    sends each block as it comes); ``seek(0)`` starts it again, for a retry."""

    def __init__(self, data: BinaryIO, offset: int, length: int, sent: Sent | None) -> None:
        self._data = data
        self._offset = offset
        self._length = length
        self._sent = sent
        self._done = 0

    def seek(self, pos: int, whence: int = 0) -> int:
        self._done = 0
        return 0

    def read(self, n: int = -1) -> bytes:
        if self._done >= self._length:
            return b""
        self._data.seek(self._offset + self._done)
        block = self._data.read(min(SEND_BLOCK, self._length - self._done))
        self._done += len(block)
        if self._sent is not None:
            self._sent(self._offset + self._done)
        return block


def _tls_reason(e: ssl.SSLError, host: str) -> str:
    if isinstance(e, ssl.SSLCertVerificationError):
        return (
            f"x509: {e.verify_message} (its CA belongs in certs.d/{host}/ca.crt; or "
            "--tls-verify=false)"
        )
    return str(e.reason or e)


def _rewind(body: bytes | IO[bytes] | _Slice | Iterator[bytes] | None) -> None:
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
