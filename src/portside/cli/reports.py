"""Commands that act on several targets: the engine's reports, one line each.

A target that worked is printed as it was given (or as the verb shows it, such as
``wait``'s exit code or ``rmi``'s untagged and deleted lines); one that failed prints
its error; any failure exits 1, as Docker's CLI does.
"""

from __future__ import annotations

from ..engine.targets import TargetReport
from .context import Context

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


def write_reports(
    ctx: Context,
    reports: Iterable[TargetReport],
    lines: Callable[[TargetReport], list[str]] = lambda report: [report.target],
    own_exit_codes: bool = False,
) -> int:
    """Render ``reports`` as they come; the exit status (with ``own_exit_codes``, a
    failed target's error's own code instead of 1)."""
    status = 0
    for report in reports:
        if report.error is not None:
            ctx.error(str(report.error))
            status = report.error.exit_code if own_exit_codes else 1
            continue
        ctx.stdout.write("".join(f"{line}\n" for line in lines(report)))
        ctx.stdout.flush()
    return status
