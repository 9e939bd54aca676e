"""Registry logins sent with a request, as the engine's ``Credential`` records.

- ``X-Registry-Auth`` (pull, push): base64url of Docker's AuthConfig JSON,
  ``{"username", "password", "serveraddress"}`` or ``{"identitytoken"}`` (or ``auth``,
  base64 ``user:password``); as Docker's daemon, the login is used for the image's own
  registry, whatever ``serveraddress`` says.
- ``X-Registry-Config`` (build): base64url of a map, registry address -> AuthConfig.

Keys are matched without regard to case, as Go's JSON decoding does. No header, an
empty one or ``{}`` is no login: the engine then uses the one Docker keeps. Nothing of
it is written anywhere.
"""

from __future__ import annotations

import base64
import binascii
import json

from ..engine.credentials import Credential, login_domain
from .server import BadRequest, Request

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


def credential(req: Request) -> Credential | None:
    """The ``X-Registry-Auth`` login, or None."""
    return _credential(_decode(req, "X-Registry-Auth"))


def build_credentials(req: Request) -> dict[str, Credential]:
    """The ``X-Registry-Config`` logins, by registry domain."""
    found = _decode(req, "X-Registry-Config")
    out: dict[str, Credential] = {}
    for server, entry in found.items():
        login = _credential(entry if isinstance(entry, dict) else {})
        if login is not None:
            out[login_domain(str(server))] = login
    return out


def _decode(req: Request, header: str) -> dict[str, Any]:
    text = (req.http.headers.get(header) or "").strip()
    if not text:
        return {}
    try:
        raw = base64.urlsafe_b64decode(
            text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4)
        )
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        raise BadRequest(f"invalid {header} header: not base64 JSON") from None
    if not isinstance(value, dict):
        raise BadRequest(f"invalid {header} header: not a JSON object")
    return value


def _credential(entry: dict[str, Any]) -> Credential | None:
    fields = {str(k).lower(): v for k, v in entry.items()}
    username = str(fields.get("username") or "")
    password = str(fields.get("password") or "")
    token = str(fields.get("identitytoken") or "")
    if not username and fields.get("auth"):
        try:
            decoded = base64.b64decode(str(fields["auth"])).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest("invalid registry auth: auth is not base64 user:password") from None
        username, _, password = decoded.partition(":")
    if not (username or token):
        return None
    return Credential(username, password, token)
