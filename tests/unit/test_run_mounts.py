"""RUN's ``--mount`` option grammar (builder/mounts.py), as BuildKit's Dockerfile
frontend reads it: defaults, aliases, what each type allows, and the one-line errors."""

from __future__ import annotations

import pytest

from portside.builder.mounts import Mount, mount_sources, parse_mount, parse_run_flags
from portside.builder.parser import parse_line
from portside.errors import InvalidArgument


def expand(value: str) -> str:
    return value.replace("$DIR", "/cache/dir")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # bind is the default type, read-only unless told
        ("target=/src", Mount("bind", "/src")),
        ("type=bind,source=req.txt,target=req.txt", Mount("bind", "req.txt", "req.txt")),
        ("type=bind,src=a,dst=/b,rw", Mount("bind", "/b", "a", readonly=False)),
        ("type=bind,destination=/b,readwrite=true", Mount("bind", "/b", readonly=False)),
        ("type=bind,target=/b,from=builder,ro=false", Mount("bind", "/b", "", "builder", False)),
        # cache and tmpfs are writable unless told
        ("type=cache,target=/root/.cache/pip", Mount("cache", "/root/.cache/pip", readonly=False)),
        (
            "type=cache,target=/c,id=pip,sharing=LOCKED,mode=0700,uid=1000,gid=1000,ro",
            Mount("cache", "/c", id="pip", sharing="locked", mode=0o700, uid=1000, gid=1000),
        ),
        (
            "type=cache,target=/c,sharing=private",
            Mount("cache", "/c", readonly=False, sharing="private"),
        ),
        ("type=tmpfs,target=/t,size=64m", Mount("tmpfs", "/t", readonly=False, size=64 << 20)),
        # secrets: read-only; id, or source, or the target's name
        ("type=secret,id=npmrc", Mount("secret", id="npmrc")),
        (
            "type=secret,id=tok,env=TOKEN,required",
            Mount("secret", id="tok", env="TOKEN", required=True),
        ),
        (
            "type=secret,id=a,required=false,mode=0440,uid=1",
            Mount("secret", id="a", mode=0o440, uid=1),
        ),
        ('"type=secret","target=/run/a b"', Mount("secret", "/run/a b")),
        ("TYPE=Cache,Target=/c", Mount("cache", "/c", readonly=False)),
        # ssh: the default agent at /run/buildkit/ssh_agent.N unless told
        ("type=ssh", Mount("ssh")),
        (
            "type=ssh,id=deploy,target=/agent,required,mode=0660,uid=1000,gid=1000",
            Mount("ssh", "/agent", id="deploy", required=True, mode=0o660, uid=1000, gid=1000),
        ),
    ],
)
def test_mount_options_parse_as_buildkit_reads_them(value: str, expected: Mount) -> None:
    assert parse_mount(value, expand) == expected
    assert parse_mount(value, None) == expected  # nothing to expand: the plan's check agrees


def test_secret_defaults() -> None:
    assert parse_mount("type=secret,id=npmrc", None).secret_target == "/run/secrets/npmrc"
    assert parse_mount("type=secret,target=/root/.npmrc", None).secret_id == ".npmrc"
    assert parse_mount("type=secret,source=aws", None).secret_id == "aws"
    only_env = parse_mount("type=secret,id=tok,env=TOK", None)
    assert only_env.secret_target is None  # a variable only: no file
    both = parse_mount("type=secret,id=tok,env=TOK,target=/t", None)
    assert both.secret_target == "/t"


def test_ssh_id_defaults_to_default() -> None:
    assert parse_mount("type=ssh", None).ssh_id == "default"
    assert parse_mount("type=ssh,id=gh", None).ssh_id == "gh"


def test_cache_id_defaults_to_the_target() -> None:
    assert parse_mount("type=cache,target=/go/pkg/mod", None).cache_id == "/go/pkg/mod"
    assert parse_mount("type=cache,target=/go/pkg/mod,id=gomod", None).cache_id == "gomod"


def test_variables_expand_at_the_step_and_wait_at_the_plan() -> None:
    assert parse_mount("type=cache,target=$DIR", expand).target == "/cache/dir"
    deferred = parse_mount("type=cache,target=$DIR", None)  # no target yet: not an error
    assert deferred.type == "cache"
    with pytest.raises(InvalidArgument, match="doesn't support variable expansion"):
        parse_mount("type=bind,target=/x,from=$STAGE", expand)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("type=volume,target=/x", 'unsupported mount type "volume"'),
        ("type=cache,target=/x,colour=blue", "unexpected key 'colour' in 'colour=blue'"),
        ("type=cache,target=/x,sharing=sometimes", 'unsupported sharing value "sometimes"'),
        ("type=bind,target=/x,sharing=locked", "invalid cache sharing set for bind mount"),
        ("type=bind,target=/x,mode=0700", 'mode not allowed for "bind" type mounts'),
        ("type=tmpfs,target=/x,uid=1", 'uid not allowed for "tmpfs" type mounts'),
        ("type=cache,target=/x,mode=999", "invalid value 999 for mode"),
        ("type=cache,target=/x,uid=-1", "invalid value -1 for uid"),
        ("type=cache,target=/x,required", "unexpected key 'required' for mount type 'cache'"),
        ("type=cache,target=/x,size=1m", "unexpected key 'size' for mount type 'cache'"),
        ("type=tmpfs,target=/x,size=lots", "invalid value for size: lots"),
        ("type=bind,target=/x,ro=maybe", "invalid value for ro: maybe"),
        ("type=bind,target=/x,shiny", "invalid field 'shiny' must be a key=value pair"),
        ("type=cache", "mount type=cache requires a target"),
        ("type=bind,target=/", 'invalid mount target "/"'),
        ("type=secret", "one of source, target required"),
        ("type=secret,id=a,source=b", "both source and id can't be set"),
        ("type=secret,id=a,from=x", "secret mount should not have a from"),
        ("type=secret,id=a,env=X,size=1", "unexpected key 'size' for mount type 'secret'"),
        ("type=ssh,from=x", "unexpected key 'from' for mount type 'ssh'"),
        ("type=ssh,env=X", "unexpected key 'env' for mount type 'ssh'"),
        ('type=bind,"target=/x', "failed to parse csv mounts"),
    ],
)
def test_bad_mounts_say_what_is_wrong(value: str, error: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_mount(value, expand)
    assert error in str(caught.value)
    assert "\n" not in str(caught.value)


def test_run_network_and_security_values() -> None:
    parse_run_flags({"network": "none", "security": "insecure"})
    parse_run_flags({"network": "host", "security": "sandbox"})
    with pytest.raises(InvalidArgument, match='unsupported network mode "bridge0"'):
        parse_run_flags({"network": "bridge0"})
    with pytest.raises(InvalidArgument, match='unsupported security mode "root"'):
        parse_run_flags({"security": "root"})


def test_repeated_mount_flags_are_all_kept() -> None:
    node = parse_line(
        "RUN --mount=type=cache,target=/a --mount=type=bind,target=/b,from=deps --network=none true"
    )
    assert node.flag_values("mount") == ["type=cache,target=/a", "type=bind,target=/b,from=deps"]
    assert node.flags["network"] == "none" and node.text == "true"
    assert mount_sources([node]) == ["deps"]
