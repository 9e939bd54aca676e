"""portside info / system info"""

from __future__ import annotations

from ..units import human_size
from .context import Context, Parser
from .gotemplate import Template
from .output import write_json


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS]", "Display system-wide information")
    p.add_argument("-f", "--format", default="", help="Format output using a custom template")
    args = p.parse_args(argv)
    info = ctx.engine.system.info()
    if args.format == "json":
        write_json(info, ctx.stdout)
        return 0
    if args.format:
        ctx.stdout.write(Template(args.format).render(info) + "\n")
        return 0
    lines = [
        f"Containers: {info['Containers']}",
        f" Running: {info['ContainersRunning']}",
        f" Paused: {info['ContainersPaused']}",
        f" Stopped: {info['ContainersStopped']}",
        f"Images: {info['Images']}",
        f"Server Version: {info['ServerVersion']}",
        f"Storage Driver: {info['Driver']}",
        *[f" {k}: {v}" for k, v in info["DriverStatus"]],
        f"Logging Driver: {info['LoggingDriver']}",
        f"Cgroup Driver: {info['CgroupDriver']}",
        f"Cgroup Version: {info['CgroupVersion']}",
        f"Runtimes: {' '.join(info['Runtimes'])}",
        f"Default Runtime: {info['DefaultRuntime']}",
        f" Runtime Version: {info['RuntimeVersion'] or 'not found'}",
        "Security Options:",
        *[f" {o.split(',')[0].removeprefix('name=')}" for o in info["SecurityOptions"]],
        f"Kernel Version: {info['KernelVersion']}",
        f"Operating System: {info['OperatingSystem']}",
        f"OSType: {info['OSType']}",
        f"Architecture: {info['Architecture']}",
        f"CPUs: {info['NCPU']}",
        f"Total Memory: {human_size(info['MemTotal'])}",
        f"Name: {info['Name']}",
        f"ID: {info['ID']}",
        f"Root Dir: {info['DockerRootDir']}",
        f"Run Root: {info['RunRoot']}",
        f"Rootless: {str(info['Rootless']).lower()}",
        *([f" ID Mapping: {info['IDMapping']}"] if info["IDMapping"] else []),
        f"API Socket: {_api_socket(ctx)}",
        f"Python Version: {info['PythonVersion']}",
        *_configured(ctx),
    ]
    ctx.stdout.write("\n".join(lines) + "\n")
    return 0


def _configured(ctx: Context) -> list[str]:
    """Each configured key and the file it came from (config_file.py)."""
    sources = ctx.settings.sources
    if not sources:
        return ["Configuration: defaults (no configuration file)"]
    return ["Configuration:", *[f" {key}: {path}" for key, path in sources.items()]]


def _api_socket(ctx: Context) -> str:
    """The default socket of ``system service``, and whether a service listens there."""
    import socket

    path = ctx.settings.api_socket
    probe = socket.socket(socket.AF_UNIX)
    try:
        probe.connect(str(path))
        state = "listening"
    except OSError:
        state = "not listening; start it with 'portside system service'"
    finally:
        probe.close()
    return f"unix://{path} ({state})"
