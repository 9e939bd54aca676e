"""Commands that act on several targets: the engine's reports, one line each.

A target that worked is printed as it was given (or what the verb shows for it, such
as ``wait``'s exit code); one that failed prints its error; any failure exits 1, as
Docker's CLI does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..engine.targets import TargetReport
from .context import Context


def write_reports(
    ctx: Context,
    reports: Iterable[TargetReport],
    shown: Callable[[TargetReport], str] = lambda report: report.target,
) -> int:
    status = 0
    for report in reports:
        if report.error is not None:
            ctx.error(str(report.error))
            status = 1
            continue
        ctx.stdout.write(f"{shown(report)}\n")
        ctx.stdout.flush()
    return status
