"""Registry logins in Docker's ``config.json`` (``login``, ``logout``), shared with
Docker; ``registry.credentials`` implements them. Nothing here opens the store."""

from __future__ import annotations

from ..records import dataclass
from ..registry.credentials import Credential

__all__ = ["Credential", "LogoutReport", "login_domain", "logout"]


@dataclass(frozen=True)
class LogoutReport:
    key: str  # what the login was filed under ("https://index.docker.io/v1/", a domain)
    removed: bool  # False: there was no login to remove


def login_domain(server: str | None) -> str:
    """The registry domain a ``login`` SERVER names (none, or Docker Hub's URL: docker.io)."""
    from ..registry.credentials import server_domain

    return server_domain(server)


def logout(server: str | None) -> LogoutReport:
    from ..registry.credentials import auth_key, forget_login

    domain = login_domain(server)
    return LogoutReport(auth_key(domain), forget_login(domain))
