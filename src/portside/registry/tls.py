"""How a registry is reached: TLS, with whose CAs, and when plain HTTP is allowed.

- TLS, verified against the system's CAs plus, as Docker reads them, the files in
  ``certs.d/HOST[:PORT]/``: every ``*.crt`` is a CA, every ``*.cert`` with its ``*.key``
  a client certificate. The folders looked in are ``/etc/portside/certs.d``,
  ``/etc/docker/certs.d`` and ``/etc/containers/certs.d``, or those ``$PORTSIDE_CERTS_D``
  lists (colon-separated).
- An insecure registry (``--tls-verify=false``, or a host in the settings'
  ``insecure_registries``: names, ``host:port`` or CIDRs; loopback by default, as
  Docker's, config.py says where else they come from) is tried with TLS left unverified
  and then, if it does not speak TLS, over plain HTTP: Docker's rule.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

CERTS_DIRS = ("/etc/portside/certs.d", "/etc/docker/certs.d", "/etc/containers/certs.d")


def _split_host(host: str) -> tuple[str, int | None]:
    parts = urllib.parse.urlsplit(f"//{host}")
    return parts.hostname or "", parts.port


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1, with or without a port (``[::1]:5000``)."""
    name, _ = _split_host(host)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_insecure(host: str, listed: Sequence[str]) -> bool:
    """Whether ``host`` (``name[:port]``) is one of the ``listed`` insecure registries."""
    name, _ = _split_host(host)
    for item in listed:
        if item in (host, name):
            return True
        if "/" in item:
            try:
                if ipaddress.ip_address(name) in ipaddress.ip_network(item, strict=False):
                    return True
            except ValueError:
                continue
    return False


def certs_dirs(host: str) -> list[Path]:
    """The existing ``certs.d/HOST[:PORT]`` folders for ``host``."""
    roots = os.environ.get("PORTSIDE_CERTS_D")
    bases = [p for p in roots.split(":") if p] if roots is not None else list(CERTS_DIRS)
    return [Path(b) / host for b in bases if (Path(b) / host).is_dir()]


def context(host: str, verify: bool) -> ssl.SSLContext:
    """The TLS context for ``host``: system CAs and its certs.d files; unverified when
    ``verify`` is False."""
    if verify:
        ctx = ssl.create_default_context()
    else:  # no CAs to load (loading the system's costs ~50 ms): nothing is checked
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    for folder in certs_dirs(host):
        for item in sorted(folder.iterdir()):
            if item.suffix == ".crt" and verify:
                ctx.load_verify_locations(cafile=str(item))
            elif item.suffix == ".cert":
                key = item.with_suffix(".key")
                if not key.is_file():
                    raise ssl.SSLError(f"missing key {key.name} for client certificate {item}")
                ctx.load_cert_chain(str(item), str(key))
    return ctx
