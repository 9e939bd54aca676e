"""The Compose model: files found and merged, variables, names, profiles, and one-line
errors that name the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from portside.compose.interpolate import read_env_file, substitute
from portside.compose.labels import config_hash
from portside.compose.model import Options, Project, load_project, normalize_name
from portside.compose.options import create_options, health_config
from portside.errors import ComposeFileError, InvalidArgument


def project(
    folder: Path,
    texts: dict[str, str],
    env: dict[str, str] | None = None,
    warnings: list[str] | None = None,
    **options: object,
) -> Project:
    for name, text in texts.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    sink = warnings if warnings is not None else []
    return load_project(Options(**options), env or {}, folder, sink.append)  # type: ignore[arg-type]


def error(folder: Path, text: str, name: str = "compose.yaml") -> str:
    with pytest.raises(ComposeFileError) as e:
        project(folder, {name: text})
    message = str(e.value)
    assert "\n" not in message
    return message


# -- interpolation ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${SET}", "yes"),
        ("$SET-x", "yes-x"),
        ("${UNSET:-dflt}", "dflt"),
        ("${EMPTY:-dflt}", "dflt"),
        ("${EMPTY-dflt}", ""),
        ("${UNSET-dflt}", "dflt"),
        ("${SET:+alt}", "alt"),
        ("${UNSET:+alt}", ""),
        ("$${SET}", "${SET}"),
        ("a$$b", "a$b"),
        ("${UNSET:-${SET}-nested}", "yes-nested"),
        ("price: 5$", "price: 5$"),
    ],
)
def test_substitution_forms(text: str, expected: str) -> None:
    assert substitute(text, {"SET": "yes", "EMPTY": ""}, lambda _: None) == expected


def test_an_unset_variable_is_blank_with_a_warning() -> None:
    warned: list[str] = []
    assert substitute("x${NOPE}y", {}, warned.append) == "xy"
    assert warned == ['The "NOPE" variable is not set. Defaulting to a blank string.']


def test_a_required_variable_names_file_line_and_key(tmp_path: Path) -> None:
    text = "services:\n  web:\n    image: busybox\n    user: ${WHO:?set WHO first}\n"
    assert error(tmp_path, text) == (
        "compose.yaml:4: services.web.user: required variable WHO is missing a value: set WHO first"
    )


def test_dot_env_feeds_the_file_and_the_environment_wins(tmp_path: Path) -> None:
    files = {
        ".env": "# comment\nexport TAG=1.0\nNAME='lit $X'\nQ=\"a\\tb ${TAG}\"\nC=v # note\n",
        "compose.yaml": "services:\n  web:\n    image: busybox:${TAG}\n    user: ${NAME}\n",
    }
    p = project(tmp_path, files)
    assert p.services["web"]["image"] == "busybox:1.0"
    assert p.services["web"]["user"] == "lit $X"
    assert read_env_file(tmp_path / ".env") == {
        "TAG": "1.0",
        "NAME": "lit $X",
        "Q": "a\tb 1.0",
        "C": "v",
    }
    p = project(tmp_path, {}, env={"TAG": "2.0"})
    assert p.services["web"]["image"] == "busybox:2.0"


# -- files, merging, names -------------------------------------------------------------
def test_discovery_prefers_compose_yaml_and_adds_the_override(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": "services:\n  old:\n    image: busybox\n",
        "compose.yaml": "services:\n  web:\n    image: busybox\n",
        "compose.override.yaml": "services:\n  web:\n    environment: [A=1]\n",
    }
    p = project(tmp_path / "dir", files)
    assert list(p.services) == ["web"]
    assert p.services["web"]["environment"] == {"A": "1"}
    assert [f.name for f in p.config_files] == ["compose.yaml", "compose.override.yaml"]
    below = tmp_path / "dir" / "sub"
    below.mkdir()
    assert load_project(Options(), {}, below, print).working_dir == tmp_path / "dir"


def test_no_file_found(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="no configuration file provided"):
        load_project(Options(), {}, tmp_path, print)


def test_several_files_merge_as_compose_merges(tmp_path: Path) -> None:
    base = """
services:
  web:
    image: busybox
    command: echo one
    environment: {A: "1", B: "2"}
    ports: ["8080:80"]
    volumes: [data:/data, ./a:/a]
    labels: [x=1]
    depends_on: [db]
  db:
    image: busybox
volumes:
  data:
"""
    override = """
services:
  web:
    command: ["echo", "two"]
    environment: [B=3, C]
    ports: ["9090:90"]
    volumes: ["./b:/a:ro"]
    depends_on:
      db: {condition: service_healthy}
"""
    p = project(tmp_path, {"a.yaml": base, "b.yaml": override}, files=("a.yaml", "b.yaml"))
    web = p.services["web"]
    assert web["command"] == ["echo", "two"]
    assert web["environment"] == {"A": "1", "B": "3", "C": None}
    assert [(x["published"], x["target"]) for x in web["ports"]] == [("8080", "80"), ("9090", "90")]
    assert [(v["source"], v.get("read_only", False)) for v in web["volumes"]] == [
        ("data", False),
        (str(tmp_path / "b"), True),
    ]
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert web["labels"] == {"x": "1"}


@pytest.mark.parametrize(
    ("folder", "expected"),
    [("My App.v2", "myappv2"), ("__x-Y_", "x-y_"), ("Proj", "proj")],
)
def test_directory_names_become_project_names(folder: str, expected: str) -> None:
    assert normalize_name(folder) == expected


def test_project_name_sources_in_order(tmp_path: Path) -> None:
    files = {"compose.yaml": "name: fromfile\nservices:\n  a:\n    image: busybox\n"}
    assert project(tmp_path, files).name == "fromfile"
    assert project(tmp_path, {}, env={"COMPOSE_PROJECT_NAME": "fromenv"}).name == "fromenv"
    p = project(tmp_path, {}, env={"COMPOSE_PROJECT_NAME": "e"}, project_name="flag")
    assert p.name == "flag"
    with pytest.raises(InvalidArgument, match="invalid project name"):
        project(tmp_path, {}, project_name="Bad Name")


def test_extensions_anchors_and_merge_keys(tmp_path: Path) -> None:
    text = """
x-base: &base
  image: busybox
  environment: &env
    A: "1"
services:
  one:
    <<: *base
    user: nobody
  two:
    <<: *base
    environment:
      <<: *env
      B: "2"
"""
    p = project(tmp_path, {"compose.yaml": text})
    assert p.services["one"]["image"] == "busybox"
    assert p.services["two"]["environment"] == {"A": "1", "B": "2"}
    assert "x-base" not in p.to_dict()


def test_profiles_enable_services(tmp_path: Path) -> None:
    text = (
        "services:\n  app:\n    image: busybox\n  debug:\n    image: busybox\n    profiles: [dev]\n"
    )
    assert project(tmp_path, {"compose.yaml": text}).enabled == ("app",)
    assert project(tmp_path, {}, profiles=("dev",)).enabled == ("app", "debug")
    assert project(tmp_path, {}, env={"COMPOSE_PROFILES": "dev"}).enabled == ("app", "debug")


def test_yaml_booleans_are_yaml_1_2(tmp_path: Path) -> None:
    p = project(tmp_path, {"compose.yaml": "services:\n  a:\n    image: x\n    restart: no\n"})
    assert p.services["a"]["restart"] == "no"


# -- errors ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "services:\n  web:\n    image: busybox\n    portz: [80]\n",
            "compose.yaml:4: services.web.portz: unknown key",
        ),
        (
            "services:\n  web:\n    image: busybox\n    secrets: [s]\n",
            "compose.yaml:4: services.web.secrets: not supported by portside",
        ),
        ("secrets: {}\nservices: {}\n", "compose.yaml:1: secrets: not supported by portside"),
        (
            "services:\n  web:\n    image: busybox\n    ports:\n      - 80:abc\n",
            'compose.yaml:4: services.web.ports: invalid port "80:abc"',
        ),
        (
            "services:\n  web:\n    image: busybox\n    read_only: maybe\n",
            "compose.yaml:4: services.web.read_only: must be a boolean (true or false)",
        ),
        (
            "services:\n  web:\n    image: busybox\n    depends_on: [db]\n",
            'compose.yaml:4: services.web.depends_on: depends on undefined service "db"',
        ),
        (
            "services:\n  web:\n    image: busybox\n    volumes: [data:/d]\n",
            'compose.yaml:4: services.web.volumes: named volume "data" is used but no '
            "declaration was found in the volumes section",
        ),
        (
            "services:\n  web:\n    build:\n      context: .\n      squash: true\n",
            "compose.yaml:5: services.web.build.squash: unknown or unsupported key",
        ),
        (
            "services:\n  web:\n    user: nobody\n",
            "compose.yaml:3: services.web: has neither an image nor a build context",
        ),
        (
            "services:\n  web:\n    image: busybox\n    deploy:\n      placement: {}\n",
            "compose.yaml:5: services.web.deploy.placement: unknown or unsupported key",
        ),
        (
            "services:\n  web:\n    image: busybox\n    restart: sometimes\n",
            'compose.yaml:4: services.web.restart: invalid restart policy "sometimes"',
        ),
        ("services:\n  web:\n    image: [busybox\n", "compose.yaml:4: yaml:"),
    ],
)
def test_invalid_files_give_one_line_with_file_line_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert error(tmp_path, text).startswith(expected)


def test_an_error_in_an_override_names_that_file(tmp_path: Path) -> None:
    project(tmp_path, {"compose.yaml": "services:\n  a:\n    image: busybox\n"})
    (tmp_path / "extra.yaml").write_text("services:\n  a:\n    nope: 1\n")
    with pytest.raises(ComposeFileError, match=r"^extra.yaml:3: services.a.nope: unknown key"):
        load_project(Options(files=("compose.yaml", "extra.yaml")), {}, tmp_path, print)


# -- to the engine's records -----------------------------------------------------------
SERVICE = """
services:
  web:
    image: busybox
    command: sh -c "echo hi"
    environment: [A=1, FROM_SHELL, NOT_SET]
    ports: ["127.0.0.1:8080:80/tcp", "9000"]
    volumes:
      - data:/data
      - type: tmpfs
        target: /scratch
    restart: on-failure:3
    stop_grace_period: 1m30s
    deploy:
      replicas: 2
      resources:
        limits: {cpus: "0.5", memory: 64m, pids: 50}
    healthcheck:
      test: ["CMD", "true"]
      interval: 2s
      retries: 3
    networks:
      back:
        aliases: [www]
networks:
  back:
volumes:
  data:
"""


def test_a_service_as_create_options(tmp_path: Path) -> None:
    p = project(tmp_path, {"compose.yaml": SERVICE}, env={"FROM_SHELL": "s"}, project_name="pr")
    svc = p.services["web"]
    opts = create_options(p, "web", 2, config_hash(svc))
    assert opts.name == "pr-web-2"
    assert opts.command == ["sh", "-c", "echo hi"]
    assert opts.env == ("A=1", "FROM_SHELL=s")
    assert [(x.port, x.host_ip, x.host_port) for x in opts.publish] == [
        ("80/tcp", "127.0.0.1", "8080"),
        ("9000/tcp", "", ""),
    ]
    assert opts.network == "pr_back" and opts.network_aliases == ("web", "www")
    assert [(m.row.type, m.row.source, m.row.destination) for m in opts.mounts] == [
        ("volume", "pr_data", "/data"),
        ("tmpfs", "", "/scratch"),
    ]
    assert (opts.restart.name, opts.restart.maximum_retry_count) == ("on-failure", 3)
    assert opts.stop_timeout == 90
    assert opts.limits.nano_cpus == 500_000_000 and opts.limits.pids_limit == 50
    assert opts.limits.memory == 64 * 1024 * 1024
    assert opts.labels["com.docker.compose.project"] == "pr"
    assert opts.labels["com.docker.compose.container-number"] == "2"
    assert health_config(svc) == {"Test": ["CMD", "true"], "Interval": 2 * 10**9, "Retries": 3}


def test_the_config_hash_ignores_the_replica_count(tmp_path: Path) -> None:
    p = project(tmp_path, {"compose.yaml": SERVICE})
    svc = dict(p.services["web"])
    before = config_hash(svc)
    svc["deploy"] = {**svc["deploy"], "replicas": 5}
    assert config_hash(svc) == before
    svc["user"] = "nobody"
    assert config_hash(svc) != before


def test_services_start_after_what_they_depend_on(tmp_path: Path) -> None:
    from portside.compose.project_state import start_order, with_dependencies

    text = """
services:
  worker: {image: busybox, depends_on: [db, cache]}
  web: {image: busybox, depends_on: {worker: {condition: service_started}}}
  db: {image: busybox}
  cache: {image: busybox, depends_on: [db]}
"""
    p = project(tmp_path, {"compose.yaml": text})
    assert with_dependencies(p, p.enabled) == ["db", "cache", "worker", "web"]
    assert with_dependencies(p, ["cache"]) == ["db", "cache"]
    assert start_order(p, ["web", "db"]) == ["db", "web"]
    cyclic = "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n"
    p = project(tmp_path, {"compose.yaml": cyclic})
    with pytest.raises(InvalidArgument, match="dependency cycle detected: a -> b -> a"):
        with_dependencies(p, ["a"])


def test_log_prefixes_are_padded_and_coloured_only_when_asked() -> None:
    from portside.cli.compose_logs import Prefixes

    plain = Prefixes(["web-1", "db-1", "web-2"], ["web", "db", "web"], colour=False)
    assert plain.text == {"web-1": b"web-1  | ", "db-1": b"db-1   | ", "web-2": b"web-2  | "}
    coloured = Prefixes(["web-1", "db-1", "web-2"], ["web", "db", "web"], colour=True)
    assert coloured.text["web-1"] == b"\x1b[36mweb-1  |\x1b[0m "
    assert coloured.text["web-2"].startswith(b"\x1b[36m")  # one colour per service
    assert coloured.text["db-1"].startswith(b"\x1b[33m")


def test_the_healthcheck_reaches_the_create_options(tmp_path: Path) -> None:
    p = project(tmp_path, {"compose.yaml": SERVICE})
    opts = create_options(p, "web", 1, "")
    assert opts.healthcheck is not None
    expected = {"Test": ["CMD", "true"], "Interval": 2 * 10**9, "Retries": 3}
    assert opts.healthcheck.to_json() == expected
    text = "services:\n  a:\n    image: busybox\n    healthcheck: {disable: true}\n"
    p = project(tmp_path, {"compose.yaml": text})
    assert create_options(p, "a", 1, "").healthcheck.to_json() == {"Test": ["NONE"]}  # type: ignore[union-attr]
