"""Registries the way public ones are set up: TLS with a CA of their own and basic auth;
bearer tokens from a token server; logins kept by a real credential helper
(docker-credential-pass). The registry is the real CNCF one; the token server is a small
one of the tests' own, signing real JWTs the registry verifies with its certificate."""

from __future__ import annotations

import base64
import http.server
import json
import os
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import Portside
from .registries import LoopbackServer, htpasswd_auth, make_ca, serve

pytestmark = pytest.mark.usefixtures("busybox")


@pytest.fixture
def tls_registry(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A TLS registry with basic auth (alice / s3cret); (address, its CA certificate)."""
    work = tmp_path / "tls-registry"
    work.mkdir()
    ca, cert, key = make_ca(tmp_path / "pki")
    with serve(work, htpasswd_auth(work, "alice", "s3cret"), tls=(cert, key)) as address:
        yield address, ca


def test_tls_registry_is_verified_with_its_ca_from_certs_d(
    portside: Portside, tls_registry: tuple[str, Path], tmp_path: Path
) -> None:
    address, ca = tls_registry
    name = f"{address}/secure/busybox:1"
    portside("tag", "busybox", name)
    login = ["login", "-u", "alice", "--password-stdin", address]
    config = {"DOCKER_CONFIG": str(tmp_path / "docker-config")}
    # held to verification (as a registry off loopback is): its CA is unknown
    strict = {**config, "PORTSIDE_INSECURE_REGISTRIES": "", "PORTSIDE_CERTS_D": str(tmp_path)}
    r = portside(*login, input=b"s3cret\n", env=strict, check=False)
    assert r.returncode == 1 and "x509" in r.stderr and "certs.d" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "docker-config" / "config.json").exists()

    certs_d = tmp_path / "certs.d"
    (certs_d / address).mkdir(parents=True)
    (certs_d / address / "ca.crt").write_bytes(ca.read_bytes())
    trusted = {**strict, "PORTSIDE_CERTS_D": str(certs_d)}
    assert portside(*login, input=b"s3cret\n", env=trusted).stdout == "Login Succeeded\n"
    assert ": Pushed" in portside("push", name, env=trusted).stdout
    fresh = Portside(tmp_path / "fresh-store", tmp_path / "fresh-run")
    assert "Pull complete" in fresh("pull", name, env=trusted).stdout
    # --tls-verify=false skips verification, without the CA
    other = Portside(tmp_path / "other-store", tmp_path / "other-run")
    r = other("pull", "--tls-verify=false", name, env=strict)
    assert "Pull complete" in r.stdout
    # loopback is an insecure registry by default, as in Docker: TLS, unverified
    again = Portside(tmp_path / "again-store", tmp_path / "again-run")
    assert "Pull complete" in again("pull", name, env=config).stdout
    # and --tls-verify holds even loopback to verification
    r = again("pull", "--tls-verify", name, env=config, check=False)
    assert r.returncode == 1 and "x509" in r.stderr


REFRESH_TOKEN = "alice-identity-token"  # what the token server knows as alice's


class TokenServer(LoopbackServer):
    """A bearer-token server as Docker Hub's auth.docker.io works: Basic credentials (or
    none) and the scopes asked for in, a signed JWT granting what the user may do out.
    ``alice`` may push and pull anything; anyone may pull ``public/…``. An identity
    token (OAuth2 refresh token, POSTed) stands for alice."""

    def __init__(self, key: Path, cert: Path, lifetime: int = 300) -> None:
        der = subprocess.run(
            ["openssl", "x509", "-in", str(cert), "-outform", "DER"],
            capture_output=True,
            check=True,
        ).stdout
        self.key = key
        self.x5c = base64.b64encode(der).decode()
        self.lifetime = lifetime
        self.requests: list[tuple[str, list[str]]] = []  # (user, scopes) asked for
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                user = ""
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    name, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    if (name, password) != ("alice", "s3cret"):
                        self._send(401, {"details": "incorrect username or password"})
                        return
                    user = name
                scopes = query.get("scope", [])
                server.requests.append((user, scopes))
                token = server.token(user, query.get("service", [""])[0], scopes)
                self._send(200, {"token": token, "expires_in": server.lifetime})

            def do_POST(self) -> None:  # noqa: N802 - OAuth2's refresh-token grant
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                grant = (form.get("grant_type") or [""])[0]
                if grant != "refresh_token" or form.get("refresh_token") != [REFRESH_TOKEN]:
                    self._send(401, {"details": "invalid refresh token"})
                    return
                scopes = (form.get("scope") or [""])[0].split()
                server.requests.append(("alice", scopes))
                token = server.token("alice", (form.get("service") or [""])[0], scopes)
                self._send(200, {"access_token": token, "expires_in": server.lifetime})

            def _send(self, status: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)
        self.realm = f"http://{self.address}/token"

    def token(self, user: str, service: str, scopes: list[str]) -> str:
        access = []
        for scope in scopes:
            kind, name, actions = scope.split(":", 2)  # repository:NAME:pull,push
            wanted = actions.split(",")
            granted = wanted if user else [a for a in wanted if name.startswith("public/")]
            granted = [a for a in granted if a in ("pull", "push")]
            access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        claims = {
            "iss": "portside-test-issuer",
            "sub": user,
            "aud": service,
            "exp": now + self.lifetime,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        head = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        signing_input = f"{_b64url(head)}.{_b64url(claims)}"
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signing_input.encode(),
            capture_output=True,
            check=True,
        ).stdout
        return signing_input + "." + base64.urlsafe_b64encode(signature).decode().rstrip("=")


def _b64url(value: dict[str, object]) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def token_registry(tmp_path: Path) -> Iterator[tuple[str, TokenServer]]:
    ca, _, _ = make_ca(tmp_path / "pki")
    tokens = TokenServer(tmp_path / "pki" / "ca.key", ca)
    work = tmp_path / "token-registry"
    work.mkdir()
    auth = (
        f"auth: {{token: {{realm: '{tokens.realm}', service: portside-test, "
        f"issuer: portside-test-issuer, rootcertbundle: {ca}}}}}\n"
    )
    try:
        with serve(work, auth) as address:
            yield address, tokens
    finally:
        tokens.close()


def test_bearer_tokens_anonymous_and_with_a_login(
    portside: Portside, token_registry: tuple[str, TokenServer], tmp_path: Path
) -> None:
    address, tokens = token_registry
    env = {"DOCKER_CONFIG": str(tmp_path / "docker-config")}
    private, public = f"{address}/team/busybox:1", f"{address}/public/busybox:1"
    for name in (private, public):
        portside("tag", "busybox", name)
    r = portside("push", private, env=env, check=False)
    assert r.returncode == 1 and "unauthorized" in r.stderr
    r = portside(
        "login", "-u", "alice", "--password-stdin", address, input=b"nope\n", env=env, check=False
    )
    assert r.returncode == 1 and "401 Unauthorized" in r.stderr
    login = ["login", "-u", "alice", "--password-stdin", address]
    assert portside(*login, input=b"s3cret\n", env=env).stdout == "Login Succeeded\n"
    assert ": Pushed" in portside("push", private, env=env).stdout
    # the same layer into another repository: mounted, with a token for both repositories
    tokens.requests.clear()
    assert ": Mounted from team/busybox" in portside("push", public, env=env).stdout
    assert any(
        "repository:team/busybox:pull" in scopes and len(scopes) == 2
        for _, scopes in tokens.requests
    )

    # anyone may pull public/…; one token serves the whole pull (manifest, config, layer)
    anonymous = Portside(tmp_path / "anon-store", tmp_path / "anon-run")
    tokens.requests.clear()
    no_login = {"DOCKER_CONFIG": str(tmp_path / "nobody")}
    assert "Pull complete" in anonymous("pull", public, env=no_login).stdout
    assert tokens.requests == [("", ["repository:public/busybox:pull"])]
    r = anonymous("pull", private, env=no_login, check=False)
    assert r.returncode == 1 and "unauthorized" in r.stderr
    assert "Status: Image is up to date" in anonymous("pull", private, env=env).stdout


def test_an_expired_token_is_fetched_again(token_registry: tuple[str, TokenServer]) -> None:
    from portside.registry.client import Registry
    from portside.registry.credentials import Credential

    address, tokens = token_registry
    tokens.lifetime = 1
    registry = Registry(address, login=Credential("alice", "s3cret"))
    absent = "sha256:" + "0" * 64
    assert registry.has_blob("team/none", absent) is False  # the token let it answer
    assert len(tokens.requests) == 1
    registry.has_blob("team/none", absent)
    assert len(tokens.requests) == 1  # reused while it lives
    time.sleep(1.2)
    assert registry.has_blob("team/none", absent) is False
    assert len(tokens.requests) == 2


@pytest.fixture
def pass_helper(tmp_path: Path) -> Iterator[dict[str, str]]:
    """docker-credential-pass over a throwaway password store and GnuPG home; the
    environment that selects them. Its gpg-agent is stopped afterwards."""
    gnupg, store = tmp_path / "gnupg", tmp_path / "password-store"
    gnupg.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(gnupg), "PASSWORD_STORE_DIR": str(store)}
    subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "portside-test@localhost"],
        env=env,
        check=True,
        capture_output=True,
    )
    try:
        listing = subprocess.run(
            ["gpg", "--list-keys", "--with-colons"], env=env, capture_output=True, text=True
        ).stdout
        fingerprint = next(
            line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr")
        )
        subprocess.run(["pass", "init", fingerprint], env=env, check=True, capture_output=True)
        config = tmp_path / "docker-config"
        config.mkdir()
        (config / "config.json").write_text(json.dumps({"credsStore": "pass"}))
        yield {
            "GNUPGHOME": str(gnupg),
            "PASSWORD_STORE_DIR": str(store),
            "DOCKER_CONFIG": str(config),
        }
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False)


def test_logins_kept_by_a_credential_helper(
    portside: Portside, pass_helper: dict[str, str], tmp_path: Path
) -> None:
    work = tmp_path / "auth-registry"
    work.mkdir()
    with serve(work, htpasswd_auth(work, "alice", "s3cret")) as address:
        name = f"{address}/private/busybox:1"
        portside("tag", "busybox", name)
        login = ["login", "-u", "alice", "--password-stdin", address]
        assert portside(*login, input=b"s3cret\n", env=pass_helper).stdout == "Login Succeeded\n"
        config = json.loads((Path(pass_helper["DOCKER_CONFIG"]) / "config.json").read_text())
        assert config["auths"] == {address: {}}  # the secret is in the helper, not here
        assert config["credsStore"] == "pass"
        assert list(Path(pass_helper["PASSWORD_STORE_DIR"]).rglob("alice.gpg"))
        assert ": Pushed" in portside("push", name, env=pass_helper).stdout
        r = portside("logout", address, env=pass_helper)
        assert r.stdout == f"Removing login credentials for {address}\n"
        assert not list(Path(pass_helper["PASSWORD_STORE_DIR"]).rglob("alice.gpg"))
        r = portside("push", name, env=pass_helper, check=False)
        assert r.returncode == 1 and "unauthorized" in r.stderr
        # a helper that is not installed is named in the error
        (Path(pass_helper["DOCKER_CONFIG"]) / "config.json").write_text(
            json.dumps({"credHelpers": {address: "absent"}})
        )
        r = portside("push", name, env=pass_helper, check=False)
        assert r.returncode == 1 and "docker-credential-absent" in r.stderr


def test_an_identity_token_is_traded_for_a_bearer_token(
    token_registry: tuple[str, TokenServer],
) -> None:
    """An identity token given for a call (the Engine API's X-Registry-Auth
    ``identitytoken``) goes to the realm as OAuth2's refresh-token grant, as Docker's."""
    from portside.registry.client import Registry, RegistryError
    from portside.registry.credentials import Credential

    address, tokens = token_registry
    absent = "sha256:" + "0" * 64
    registry = Registry(address, login=Credential(identity_token=REFRESH_TOKEN))
    assert registry.has_blob("team/none", absent) is False  # a push scope: alice's
    assert tokens.requests == [("alice", ["repository:team/none:pull,push"])]
    wrong = Registry(address, login=Credential(identity_token="not-it"))
    with pytest.raises(RegistryError) as refused:
        wrong.has_blob("team/none", absent)
    assert refused.value.status == 401
