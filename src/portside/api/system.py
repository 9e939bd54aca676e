"""``/_ping``, ``/version``, ``/info``: what the engine's system service reports."""

from __future__ import annotations

from ..version import __version__
from .server import Request

API_VERSION = "1.41"  # what the server speaks (docs/api.md)
MIN_API_VERSION = "1.12"


def ping(req: Request) -> None:
    h = req.http
    h.send_response(200)
    h.send_header("API-Version", API_VERSION)
    h.send_header("OSType", "linux")
    h.send_header("Docker-Experimental", "false")
    h.send_header("Cache-Control", "no-cache, no-store, must-revalidate")
    h.send_header("Content-Type", "text/plain; charset=utf-8")
    h.send_header("Content-Length", "2")
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(b"OK")
    req.answered = True


def version(req: Request) -> None:
    info = req.engine.system.version()
    details = {"ApiVersion": API_VERSION, "MinAPIVersion": MIN_API_VERSION}
    req.send_json(
        {
            "Platform": {"Name": "portside"},
            "Components": [{"Name": "Engine", "Version": __version__, "Details": details}],
            "Version": __version__,
            "ApiVersion": API_VERSION,
            "MinAPIVersion": MIN_API_VERSION,
            "GitCommit": "",
            "GoVersion": "python" + str(info.get("PythonVersion", "")),
            "Os": info["Os"],
            "Arch": info["Arch"],
            "KernelVersion": info["KernelVersion"],
            "BuildTime": "",
        }
    )


def info(req: Request) -> None:
    data = dict(req.engine.system.info())
    data.setdefault("ServerVersion", __version__)
    # the CLI's info has pairs where Docker has them; Runtimes is a map in the API
    runtimes = data.get("Runtimes")
    if isinstance(runtimes, list):
        data["Runtimes"] = {name: {"path": name} for name in runtimes}
    data.setdefault("Warnings", None)
    req.send_json(data)
