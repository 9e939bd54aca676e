"""Medians of repeated runs, and the table of results."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass


def median_seconds(
    run: Callable[[], object],
    prepare: Callable[[], object] | None = None,
    repeat: int = 7,
    warmup: int = 1,
) -> float:
    """Median wall time of ``run()``; ``prepare()`` runs untimed before each try."""
    times = []
    for i in range(warmup + repeat):
        if prepare is not None:
            prepare()
        start = time.perf_counter()
        run()
        elapsed = time.perf_counter() - start
        if i >= warmup:
            times.append(elapsed)
    return statistics.median(times)


def medians_in_turn(
    runs: dict[str, Callable[[], object]],
    prepare: dict[str, Callable[[], object]] | None = None,
    repeat: int = 7,
    warmup: int = 1,
) -> dict[str, float]:
    """``median_seconds`` of each of ``runs`` (engine -> try), taking turns: one try of
    each per round, the order turned by one each round, so a load that comes and goes
    on the machine falls on all of them alike."""
    names = list(runs)
    times: dict[str, list[float]] = {n: [] for n in names}
    for i in range(warmup + repeat):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            if prepare is not None and name in prepare:
                prepare[name]()
            start = time.perf_counter()
            runs[name]()
            elapsed = time.perf_counter() - start
            if i >= warmup:
                times[name].append(elapsed)
    return {n: statistics.median(t) for n, t in times.items()}


def command(argv: list[str], env: dict[str, str] | None = None) -> Callable[[], object]:
    import os

    full = {**os.environ, **(env or {})}
    return lambda: subprocess.run(
        argv, env=full, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@dataclass
class Row:
    benchmark: str
    results: dict[str, float]  # engine -> seconds (or ``unit``)
    unit: str = "s"


def table(rows: list[Row], engines: list[str]) -> str:
    """Markdown table: medians per engine and portside's ratio to the fastest other one."""
    head = "| benchmark | " + " | ".join(engines) + " | portside / fastest other |"
    sep = "|---" * (len(engines) + 2) + "|"
    lines = [head, sep]
    for row in rows:
        fmt = "{:.3f} s" if row.unit == "s" else "{:.1f} " + row.unit
        cells = [fmt.format(row.results[e]) if e in row.results else "—" for e in engines]
        others = [v for k, v in row.results.items() if k != "portside" and not k.startswith("(")]
        ratio = (
            f"{row.results['portside'] / min(others):.2f}×"
            if others and "portside" in row.results
            else "—"
        )
        lines.append(f"| {row.benchmark} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)
