"""The rotation's parts without a container: the options as LogConfig takes and checks
them, the log writer rotating at record boundaries, and the reader going across the
kept files, following included (integration/test_log_rotation.py runs them for real)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from portside.engine.container_options import LogConfig, log_rotation
from portside.errors import InvalidArgument
from portside.runtime import logs, logwriter


def test_log_config_parses_and_checks_as_docker() -> None:
    config = LogConfig.parse("", ["max-size=10m", "max-file=3"])
    assert config.to_json() == {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}}
    assert config.rotation() == logs.Rotation(10 * 1024 * 1024, 3)
    assert LogConfig.parse("k8s-file", ["max-size=1k"]).rotation() == logs.Rotation(1024, 1)
    assert LogConfig.parse("json-file", []).rotation() is None
    assert LogConfig.of_api({"Type": "", "Config": {}}) is None  # the docker CLI's default
    assert log_rotation({"LogConfig": {"Type": "k8s-file", "Config": {}}}) is None
    for driver, opts, words in [
        ("", ["max-size=abc"], "invalid max-size: 'abc'"),
        ("", ["max-size=1m", "max-file=0"], "invalid max-file: '0'"),
        ("", ["max-size=1m", "max-file=x"], "invalid max-file: 'x'"),
        ("", ["max-file=2"], "max-file cannot be set without max-size"),
        ("", ["max-size"], "expected KEY=VALUE"),
        ("", ["labels=a"], "unknown log opt 'labels'"),
        ("journald", [], "no log driver named 'journald'"),
    ]:
        with pytest.raises(InvalidArgument, match=words):
            LogConfig.parse(driver, opts)


def record(n: int) -> bytes:
    return f"2026-12-06T07:00:00.000000000Z stdout F line {n:05d}\n".encode()


def numbers(lines: list[logs.LogLine]) -> list[int]:
    return [int(ln.data.split()[1]) for ln in lines]


def test_the_writer_keeps_max_file_files_each_within_max_size(tmp_path: Path) -> None:
    path = tmp_path / "ctr.log"
    r, w = os.pipe()
    writer = threading.Thread(target=logwriter.run, args=(r, str(path), 500, 3))
    writer.start()
    for n in range(100):
        os.write(w, record(n))
    os.close(w)
    writer.join()
    os.close(r)
    files = logs.files(path)
    assert [p.name for p in files] == ["ctr.log.2", "ctr.log.1", "ctr.log"]
    assert all(0 < p.stat().st_size <= 500 for p in files)
    seen = numbers(list(logs.read(path)))
    assert seen == list(range(100 - len(seen), 100)) and len(seen) < 100


def test_a_follower_reads_across_rotations_once_and_in_order(tmp_path: Path) -> None:
    path = tmp_path / "ctr.log"
    path.touch()
    r, w = os.pipe()
    writer = threading.Thread(target=logwriter.run, args=(r, str(path), 300, 4))
    writer.start()

    def write() -> None:
        for n in range(60):
            os.write(w, record(n))
            time.sleep(0.02)  # 0.1 s a file: four kept files are 0.4 s of lead
        os.close(w)

    feeder = threading.Thread(target=write)
    feeder.start()
    seen = numbers(list(logs.read(path, follow=True, running=writer.is_alive)))
    feeder.join()
    writer.join()
    os.close(r)
    assert seen == list(range(60))
    assert len(logs.files(path)) == 4


def test_max_file_1_truncates(tmp_path: Path) -> None:
    path = tmp_path / "ctr.log"
    path.write_bytes(record(0))
    logwriter.rotate(str(path), 1)
    assert path.read_bytes() == b"" and logs.files(path) == [path]


def test_a_record_longer_than_max_size_gets_a_file_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "ctr.log"
    r, w = os.pipe()
    long = b"2026-12-06T07:00:00.000000000Z stdout F " + b"y" * 600 + b"\n"
    os.write(w, record(0) + long + record(1))
    os.close(w)
    logwriter.run(r, str(path), 500, 5)
    os.close(r)
    assert [p.read_bytes() for p in logs.files(path)] == [record(0), long, record(1)]
