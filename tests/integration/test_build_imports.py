"""What a build loads (issue 24). A fully cached build reads the context and the cache;
a build whose COPY misses also mounts an overlay, copies and writes a layer. Neither
imports tarfile, shutil, pathlib, re, json, hashlib or typing (image/tar_writer.py,
image/tree_copy.py, builder/ignore_glob.py, ids.Sha256; docs/architecture.md): of the
heavy modules only ctypes (the mount) and contextlib (the steps' exits). Not a timing:
the modules the command leaves in ``sys.modules`` after it ran."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Portside
from tests.integration.test_short_commands import loaded_by

NEEDED = {"ctypes", "contextlib"}


def test_a_cached_build_and_a_changed_copy_load_none_of_the_heavy_modules(
    portside: Portside, busybox: str, tmp_path: Path
) -> None:
    context = tmp_path / "app"
    context.mkdir()
    (context / "Dockerfile").write_text(
        'FROM busybox\nWORKDIR /app\nCOPY . /app\nEXPOSE 80\nCMD ["cat", "/app/server.js"]\n'
    )
    (context / ".dockerignore").write_text("node_modules\n*.log\n")
    (context / "server.js").write_text("one\n")
    (context / "debug.log").write_text("left out\n")
    build = ("build", "-q", "-t", "app", str(context))
    portside(*build)
    for change in ("", "two\n"):  # fully cached, then the COPY misses
        if change:
            (context / "server.js").write_text(change)
        out, heavy = loaded_by(portside, *build)
        assert out.startswith("sha256:")
        assert set(heavy) <= NEEDED, f"build loaded {sorted(set(heavy) - NEEDED)}"
    assert portside("run", "--rm", "--network", "none", "app").stdout == "two\n"
    r = portside("run", "--rm", "--network", "none", "app", "ls", "/app")
    assert "debug.log" not in r.stdout and "server.js" in r.stdout
