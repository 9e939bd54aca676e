"""Runs every benchmark side by side with Docker and Podman when installed, prints the
tables and writes docs/benchmarks.md. Run through ``bench/run [--repeat N] [--only X]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api import API_NOTE, api_rows  # noqa: E402
from build_features import FEATURES_NOTE, feature_rows  # noqa: E402
from build_features import names as feature_builders  # noqa: E402
from builds import BUILDS_NOTE, build_rows  # noqa: E402
from builds import names as builder_names  # noqa: E402
from containers import CONTAINERS_NOTE, container_rows  # noqa: E402
from engines import REPO, Dockerd, HostNetworkGuard, docker, podman, portside  # noqa: E402
from health import HEALTH_NOTE, health_rows  # noqa: E402
from images import IMAGES_NOTE, image_rows  # noqa: E402
from large import LARGE_NOTE, TAR, large_rows  # noqa: E402
from network import NETWORK_NOTE, network_rows  # noqa: E402
from registry import REGISTRY_NOTE, registry_rows  # noqa: E402
from rootless import ROOTLESS_NOTE, rootless_rows, rootless_table  # noqa: E402
from storage import STORAGE_NOTE, storage_rows  # noqa: E402
from timing import table  # noqa: E402

from tests.engines import podman_cleanup, short_dir  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--only",
        choices=(
            "images",
            "large",
            "containers",
            "network",
            "storage",
            "builds",
            "build-features",
            "registry",
            "health",
            "api",
            "rootless",
        ),
        default=None,
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only, keep docs/benchmarks.md"
    )
    args = parser.parse_args()
    work = short_dir()
    guard = HostNetworkGuard()
    dockerd = Dockerd(work, bridge=True)
    sections: list[tuple[str, str, str]] = []
    engines = []
    try:
        engines = [portside(work)]
        for candidate in (docker(dockerd), podman(work)):
            if candidate is not None:
                engines.append(candidate)
        names = [e.name for e in engines]
        print("engines:", ", ".join(names), file=sys.stderr)
        if args.only in (None, "images"):
            rows = image_rows(engines, work, args.repeat)
            sections.append(("Images", table(rows, names + ["(python3 -c pass)"]), IMAGES_NOTE))
        if args.only in (None, "large"):
            rows = large_rows(engines, work, min(args.repeat, 3))  # a GiB a try: 3 will do
            sections.append(("Large layers", table(rows, names + [TAR]), LARGE_NOTE))
        if args.only in (None, "containers"):
            rows = container_rows(engines, work, args.repeat)
            sections.append(("Containers", table(rows, names), CONTAINERS_NOTE))
        if args.only in (None, "health"):
            pidfile = work / "dockerd.pid"
            dockerd_pid = int(pidfile.read_text()) if pidfile.exists() else None
            rows = health_rows(engines, work, dockerd_pid)
            sections.append(("Healthchecks", table(rows, names), HEALTH_NOTE))
        if args.only in (None, "network"):
            rows = network_rows(engines, work, args.repeat)
            sections.append(("Networking", table(rows, names), NETWORK_NOTE))
        if args.only in (None, "storage"):
            rows = storage_rows(engines, work, args.repeat)
            sections.append(("Storage", table(rows, names), STORAGE_NOTE))
        if args.only in (None, "registry"):
            rows = registry_rows(engines, work, args.repeat)
            sections.append(("Registry", table(rows, names), REGISTRY_NOTE))
        if args.only in (None, "builds"):
            rows = build_rows(engines, work, args.repeat)
            sections.append(("Builds", table(rows, builder_names(engines)), BUILDS_NOTE))
        if args.only in (None, "build-features"):
            rows = feature_rows(engines, work, args.repeat)
            table_ = table(rows, feature_builders(engines))
            sections.append(("Builds with BuildKit's features", table_, FEATURES_NOTE))
        if args.only in (None, "api"):
            rows = api_rows(engines, work, args.repeat)
            sections.append(("Engine API", table(rows, names), API_NOTE))
        if args.only in (None, "rootless"):
            rows, rootless_names = rootless_rows(work, args.repeat)
            sections.append(("Rootless", rootless_table(rows, rootless_names), ROOTLESS_NOTE))
    finally:
        for e in engines:
            if e.name == "podman":
                e.run("rm", "-a", "-f", check=False)
            elif e.name == "portside":  # its bridges stay up after the last container
                e.run("network", "prune", "-f", check=False)
        dockerd.stop()
        podman_cleanup(work)
        guard.restore()
        shutil.rmtree(work, ignore_errors=True)
    for title, result, _ in sections:
        print(f"## {title}\n\n{result}\n")
    if not args.no_write:
        write_report(sections, names)
    return 0


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.node()}: {os.cpu_count()} vCPU, {mem:.0f} GiB, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def versions(names: list[str]) -> str:
    out = []
    docker_version = [Dockerd.client(), "--version"]
    for name, argv in (("docker", docker_version), ("podman", ["podman", "--version"])):
        if name in names:
            out.append(subprocess.run(argv, capture_output=True, text=True).stdout.strip())
    return "; ".join(out) or "no other engine installed"


def write_report(sections: list[tuple[str, str, str]], names: list[str]) -> None:
    path = REPO / "docs/benchmarks.md"
    body = "\n\n".join(f"## {title}\n\n{result}\n\n{note}" for title, result, note in sections)
    notes = Path(__file__).with_name("notes.md")
    text = f"""# Benchmarks

Measured by `bench/run` (medians; each engine with its own throwaway store in one run, so
compare within a table, as ratios: figures move ±30 % between runs on these VMs).

- Date: {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
- Machine: {machine()}
- Other engines: {versions(names)}
- Reproduce: `bench/run` (as root; it starts a private dockerd when Docker is installed)

{body}

{notes.read_text() if notes.exists() else ""}"""
    path.write_text(text)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
