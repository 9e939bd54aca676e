"""portside container cleanup ID: conmon's exit command (not for users): records the
exit, unmounts, and applies --rm and the restart policy."""

from __future__ import annotations

import os

from .context import Context, Parser


def run(ctx: Context, argv: list[str]) -> int:
    p = Parser(ctx.verb, "CONTAINER", "Clean up a container after it exited")
    p.add_argument("container", nargs="*")
    args = p.parse_args(argv)
    p.need(args.container, 1, 1)
    if not os.path.exists(f"{ctx.engine.settings.root}/metadata.db"):
        return 0  # the store was removed while the container ended: nothing to record
    ctx.engine.containers.state.cleanup(args.container[0], from_monitor=True)
    return 0
