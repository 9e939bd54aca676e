"""Docker's output conventions: human sizes and durations, aligned columns, --format."""

from __future__ import annotations

import time

from .. import fastjson
from ..timefmt import utc_text
from ..units import human_duration, human_size

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from typing import Any, BinaryIO, TextIO

__all__ = [
    "human_duration",
    "human_size",
    "since",
    "go_time",
    "go_time_text",
    "tabwrite",
    "write_formatted",
    "write_json",
    "write_archive_output",
    "line_writer",
]


def since(epoch: float, now: float | None = None) -> str:
    if epoch <= 0:
        return "N/A"
    return human_duration((now if now is not None else time.time()) - epoch) + " ago"


def go_time(epoch: float) -> str:
    """Go's time.Time.String() in UTC: ``2023-05-19 20:18:47 +0000 UTC``."""
    return utc_text("%Y-%m-%d %H:%M:%S +0000 UTC", epoch)


def go_time_text(stamp: str) -> str:
    """Go's time.Time.String() of an RFC 3339 UTC time, its fraction kept as Go keeps
    it (trailing zeros dropped): ``2026-12-06 03:01:43.091362 +0000 UTC``."""
    if not stamp.endswith("Z") or "T" not in stamp:
        return stamp
    return stamp[:-1].replace("T", " ", 1) + " +0000 UTC"


def tabwrite(rows: Iterable[str], out: TextIO, minwidth: int = 10, padding: int = 3) -> None:
    """Align tab-separated cells as Go's tabwriter(minwidth 10, padding 3) does for Docker."""
    lines = [r.split("\t") for r in rows]
    widths: dict[int, int] = {}
    for cells in lines:
        for i, cell in enumerate(cells[:-1]):
            widths[i] = max(widths.get(i, 0), len(cell) + padding, minwidth)
    for cells in lines:
        parts = [cell.ljust(widths[i]) for i, cell in enumerate(cells[:-1])]
        parts.append(cells[-1])
        out.write("".join(parts).rstrip(" ") + "\n" if len(cells) > 1 else cells[-1] + "\n")


def _prepare(fmt: str) -> str:
    return fmt.strip(" ").replace("\\t", "\t").replace("\\n", "\n")


def write_formatted(
    fmt: str,
    rows: Sequence[Mapping[str, Any]],
    headers: Mapping[str, str],
    out: TextIO,
    quiet_field: str | None = None,
) -> None:
    """Render ``rows`` with a Docker ``--format`` value ("table ...", "json" or a template)."""
    is_table = fmt.startswith("table")
    body = _prepare(fmt[len("table") :] if is_table else fmt)
    titles = {k: headers.get(k, k.upper()) for k in _all_keys(rows, headers)} if is_table else {}
    parts = _plain_fields(body) if fmt != "json" else None
    if parts is not None and _all_text(parts, [*rows, titles] if is_table else rows):
        render: Callable[[Mapping[str, Any]], str] = lambda row: "".join(  # noqa: E731
            row[text] if is_field else text for is_field, text in parts
        )
    else:
        from .gotemplate import Template, go_json  # the template engine: 1.5 ms of import

        if fmt == "json":
            for row in rows:
                out.write(go_json(dict(row)) + "\n")
            return
        render = Template(body).render
    rendered = [render(row) for row in rows]
    if is_table:
        header = render(titles)
        tabwrite([header, *rendered], out)
    else:
        for line in rendered:
            out.write(line + "\n")


def _plain_fields(body: str) -> list[tuple[bool, str]] | None:
    """``body`` as (is a field, literal text or the field's name) parts, when it is
    nothing but text and ``{{.Field}}`` actions (the default tables of ps, images …);
    else None."""
    chunks = body.split("{{")
    if "}}" in chunks[0]:
        return None
    parts = [(False, chunks[0])] if chunks[0] else []
    for chunk in chunks[1:]:
        action, sep, text = chunk.partition("}}")
        name = action.strip(" ")
        if not sep or "}}" in text or name[:1] != "." or not name[1:].isidentifier():
            return None
        parts.append((True, name[1:]))
        if text:
            parts.append((False, text))
    return parts


def _all_text(parts: list[tuple[bool, str]], rows: Iterable[Mapping[str, Any]]) -> bool:
    """Whether every field ``parts`` names is a string in every row: then the template
    engine would print each as it is, and joining them is the same output."""
    names = [text for is_field, text in parts if is_field]
    return all(isinstance(row.get(name), str) for row in rows for name in names)


def _all_keys(rows: Sequence[Mapping[str, Any]], headers: Mapping[str, str]) -> list[str]:
    keys = list(headers)
    for row in rows[:1]:
        keys.extend(k for k in row if k not in headers)
    return keys


def write_json(value: Any, out: TextIO) -> None:
    """Pretty JSON as ``docker inspect`` prints it (indent 4, no HTML escaping of text)."""
    out.write(fastjson.dumps(value, indent=4, ensure_ascii=False) + "\n")


def write_archive_output(output: str, write: Callable[[BinaryIO], None]) -> None:
    """A tar stream to the file ``output`` or, when it is "", to stdout (never to a
    terminal). The file is written beside its target and renamed, so a failure leaves
    no half-written file."""
    import os
    import sys
    import tempfile
    from pathlib import Path

    from ..errors import InvalidArgument

    if not output:
        if sys.stdout.isatty():
            raise InvalidArgument(
                "cowardly refusing to save to a terminal. Use the -o flag or redirect"
            )
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    target = Path(output)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent.absolute())
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # as a plain open() would, not mkstemp's 0600
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def line_writer(out: TextIO, quiet: bool = False) -> Callable[[str], None]:
    """Progress lines (build steps, pull and push layers) to ``out``, each flushed at
    once; nothing with ``quiet``."""

    def write(line: str) -> None:
        if not quiet:
            out.write(line + "\n")
            out.flush()

    return write
