"""portside version"""

from __future__ import annotations

from .context import Context, Parser


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "[OPTIONS]", "Show the portside version information")
    p.add_argument("-f", "--format", default="", help="Format output using a custom template")
    args = p.parse_args(argv)
    info = ctx.engine.system.version()
    data = {"Client": info, "Server": info}
    if args.format == "json":
        from .output import write_json  # json and datetime: only when asked for

        write_json(data, ctx.stdout)
    elif args.format:
        from .gotemplate import Template

        ctx.stdout.write(Template(args.format).render(data) + "\n")
    else:
        ctx.stdout.write(
            "Client: portside\n"
            f" Version:        {info['Version']}\n"
            f" API version:    {info['ApiVersion']}\n"
            f" Python version: {info['PythonVersion']}\n"
            f" OS/Arch:        {info['Os']}/{info['Arch']}\n"
            f" Kernel:         {info['KernelVersion']}\n"
            " Daemon:         none (portside is daemonless)\n"
        )
    return 0
