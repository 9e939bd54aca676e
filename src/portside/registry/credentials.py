"""Registry credentials where Docker keeps them, so ``docker login`` and ``portside login``
are one login.

Docker's ``config.json`` (``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``):
``credHelpers`` names a helper per registry, else ``credsStore`` one helper for all, else
``auths`` holds base64 ``user:password`` itself. A helper is the program
``docker-credential-NAME`` speaking Docker's protocol: the verb (``get``, ``store``,
``erase``) as its argument, the server address (or, for ``store``, a JSON object) on
stdin, a JSON object on stdout.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from ..errors import PortsideError
from ..records import dataclass

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any

DOCKER_HUB_KEY = "https://index.docker.io/v1/"  # where Docker keeps Docker Hub's login
HELPER_TIMEOUT = 60  # a helper may ask for a passphrase (pass, a keychain)


class CredentialError(PortsideError):
    """A credential helper failed (missing, crashed, or said no)."""


@dataclass(frozen=True)
class Credential:
    """A login for one registry, given with a request (the Engine API's
    ``X-Registry-Auth``) and used instead of the one Docker keeps: held in memory for
    that request, never written anywhere. ``identity_token``: an OAuth refresh token
    (what ``docker login`` keeps for a registry that gives one), traded at a bearer
    challenge's realm for a token."""

    username: str = ""
    password: str = ""
    identity_token: str = ""

    def __repr__(self) -> str:  # never a secret in a log or a traceback
        return f"Credential(username={self.username!r})"


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
    """Written beside itself and renamed, mode 0600 (it may hold credentials)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(config, f, indent="\t")
    os.replace(tmp, path)


def auth_key(domain: str) -> str:
    """The key Docker files a registry domain's login under."""
    return DOCKER_HUB_KEY if domain == "docker.io" else domain


def server_domain(server: str | None) -> str:
    """The registry domain a ``login`` SERVER names (none, or Docker Hub's URL: docker.io)."""
    if not server:
        return "docker.io"
    server = server.removeprefix("https://").removeprefix("http://").rstrip("/")
    if server in ("index.docker.io/v1", "index.docker.io", "registry-1.docker.io"):
        return "docker.io"
    return server.split("/", 1)[0]


def basic_auth(user: str, password: str) -> str:
    """``user:password`` in base64: a Basic header's value and config.json's ``auth``."""
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def _helper(config: dict[str, Any], key: str) -> str:
    """The helper's name for ``key`` (``credHelpers`` first, then ``credsStore``), or ''."""
    helpers = config.get("credHelpers") or {}
    name = helpers.get(key) if isinstance(helpers, dict) else None
    return str(name or config.get("credsStore") or "")


def _call_helper(name: str, verb: str, data: str) -> str:
    import subprocess  # only when a credential helper is configured

    program = f"docker-credential-{name}"
    try:
        done = subprocess.run(
            [program, verb],
            input=data,
            capture_output=True,
            text=True,
            timeout=HELPER_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise CredentialError(
            f'error getting credentials - err: exec: "{program}": executable file not found '
            "in $PATH"
        ) from None
    except subprocess.TimeoutExpired:
        raise CredentialError(f"{program} {verb}: no answer in {HELPER_TIMEOUT} s") from None
    if done.returncode != 0:
        message = (done.stdout.strip() or done.stderr.strip()).splitlines()
        raise CredentialError(f"{program} {verb}: {message[0] if message else 'failed'}")
    return done.stdout


def credentials(domain: str) -> Credential | None:
    """The login Docker keeps for a registry domain, from its helper or ``auths``; None
    when there is none."""
    config = read_config()
    key = auth_key(domain)
    helper = _helper(config, key)
    if helper:
        try:
            answer = json.loads(_call_helper(helper, "get", key))
        except CredentialError as e:
            if "credentials not found" in str(e):
                return None
            raise
        except ValueError:
            raise CredentialError(f"docker-credential-{helper} get: not JSON") from None
        user, secret = str(answer.get("Username") or ""), str(answer.get("Secret") or "")
        if user == "<token>" and secret:  # how a helper keeps an identity token
            return Credential(identity_token=secret)
        return Credential(user, secret) if user and secret else None
    auths = config.get("auths") or {}
    for k in (key, f"https://{key}", f"http://{key}"):
        entry = auths.get(k)
        if isinstance(entry, dict) and entry.get("identitytoken"):
            return Credential(identity_token=str(entry["identitytoken"]))
        if isinstance(entry, dict) and entry.get("auth"):
            user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            return Credential(user, password)
    return None


def save_login(domain: str, user: str, password: str) -> None:
    """``login``: to the helper when one is set (``auths`` then keeps an empty entry, as
    Docker's does), else into ``auths``."""
    config = read_config()
    key = auth_key(domain)
    helper = _helper(config, key)
    auths = config.get("auths") or {}
    if helper:
        _call_helper(
            helper, "store", json.dumps({"ServerURL": key, "Username": user, "Secret": password})
        )
        auths[key] = {}
    else:
        auths[key] = {"auth": basic_auth(user, password)}
    config["auths"] = auths
    write_config(config)


def forget_login(domain: str) -> bool:
    """``logout``: erase the domain's login; False when there was none."""
    config = read_config()
    key = auth_key(domain)
    helper = _helper(config, key)
    auths = config.get("auths") or {}
    known = key in auths
    if helper:
        if not known and credentials(domain) is None:
            return False
        _call_helper(helper, "erase", key)
    elif not known:
        return False
    auths.pop(key, None)
    config["auths"] = auths
    write_config(config)
    return True
