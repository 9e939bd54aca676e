"""The examples a user starts from build and serve as the README says."""

from __future__ import annotations

import time
import urllib.request

import pytest

from tests.conftest import REPO, Portside
from tests.integration.registries import free_port

pytestmark = pytest.mark.usefixtures("busybox")


def test_static_site_builds_and_serves_through_a_published_port(portside: Portside) -> None:
    out = portside("build", "-t", "site", str(REPO / "examples/static-site")).stdout
    assert "Successfully tagged site:latest" in out
    port = free_port()
    cid = portside("run", "-d", "-p", f"127.0.0.1:{port}:80", "site").stdout.strip()
    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    page = r.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert page == (REPO / "examples/static-site/index.html").read_text()
    finally:
        portside("rm", "-f", cid)
