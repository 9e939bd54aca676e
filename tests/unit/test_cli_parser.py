"""The verbs' argv parser (cli/parser.py) as users meet it: Docker's flag syntax, read
through the real verbs' parsers (caught at ``parse_args``, as ``completion`` does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from portside.cli.completion import describe
from portside.cli.context import Context
from portside.cli.parser import Parser
from portside.errors import ArgumentCountError, UsageError

Verb = Callable[[str], Parser]


@pytest.fixture
def verb(tmp_path: Path) -> Iterator[Verb]:
    """The parser ``portside PATH`` builds, before it touches any store."""
    ctx = Context(root=str(tmp_path / "root"), runroot=str(tmp_path / "run"))

    def parser(path: str) -> Parser:
        found = describe(ctx, path)
        assert found is not None, path
        return found

    yield parser
    assert not (tmp_path / "root").exists()


def test_long_flags_take_their_value_after_a_space_or_an_equals_sign(verb: Verb) -> None:
    run = verb("run")
    assert run.parse_args(["--name", "web", "busybox"]).name == "web"
    assert run.parse_args(["--name=web", "busybox"]).name == "web"
    assert run.parse_args(["--name=", "busybox"]).name == ""
    assert run.parse_args(["--env=A=1=2", "busybox"]).env == ["A=1=2"]
    assert verb("stop").parse_args(["--time", "3", "web"]).time == 3  # a second long name


def test_short_flags_take_a_value_attached_spaced_or_after_an_equals_sign(verb: Verb) -> None:
    run = verb("run")
    for words in (["-e", "A=1"], ["-eA=1"], ["-e=A=1"]):
        assert run.parse_args([*words, "busybox"]).env == ["A=1"], words


def test_short_booleans_cluster_and_the_last_may_take_a_value(verb: Verb) -> None:
    run = verb("run")
    args = run.parse_args(["-itd", "busybox"])
    assert (args.interactive, args.tty, args.detach) == (True, True, True)
    args = run.parse_args(["-itp", "80:80", "busybox"])
    assert (args.interactive, args.tty, args.publish) == (True, True, ["80:80"])
    assert run.parse_args(["-ip8080:80", "busybox"]).publish == ["8080:80"]
    assert run.parse_args(["-ip=80", "busybox"]).publish == ["80"]  # pflag: '=' drops
    assert run.parse_args(["-ep=x", "busybox"]).env == ["p=x"]  # -e's value is "p=x"


def test_flags_and_arguments_interleave(verb: Verb) -> None:
    args = verb("rm").parse_args(["a", "-f", "b", "--volumes", "c"])
    assert (args.containers, args.force, args.volumes) == (["a", "b", "c"], True, True)
    commit = verb("commit").parse_args(["web", "-m", "why", "img:1"])
    assert (commit.container, commit.message, commit.reference) == ("web", "why", "img:1")


def test_double_dash_ends_the_flags(verb: Verb) -> None:
    args = verb("rm").parse_args(["-f", "--", "-v", "--", "x"])
    assert (args.containers, args.force, args.volumes) == (["-v", "--", "x"], True, False)
    run = verb("run").parse_args(["--", "busybox", "-it"])
    assert (run.image, run.command, run.interactive) == ("busybox", ["-it"], False)


def test_a_command_keeps_every_word_after_the_image(verb: Verb) -> None:
    run = verb("run").parse_args(["-it", "--rm", "busybox", "sh", "-c", "ls -l", "--rm"])
    assert (run.image, run.command, run.interactive, run.rm) == (
        "busybox",
        ["sh", "-c", "ls -l", "--rm"],
        True,
        True,
    )
    # flags after the image are the command's, as Docker reads them; "--" too
    assert verb("run").parse_args(["busybox", "-it", "sh"]).command == ["-it", "sh"]
    assert verb("run").parse_args(["busybox", "--", "ls"]).command == ["--", "ls"]
    exec_ = verb("exec").parse_args(["-e", "A=1", "web", "env", "-u", "A", "--help"])
    assert (exec_.container, exec_.command, exec_.env) == (
        "web",
        ["env", "-u", "A", "--help"],
        ["A=1"],
    )
    top = verb("top").parse_args(["web", "-ef"])
    assert (top.container, top.ps_args) == ("web", ["-ef"])
    assert verb("run").parse_args(["-d"]).command == []


def test_values_that_start_with_a_dash(verb: Verb) -> None:
    """A negative number is a value (and an argument); any other "-word" is a flag."""
    assert verb("ps").parse_args(["-n", "-1"]).last == -1
    assert verb("ps").parse_args(["--last=-2"]).last == -2
    assert verb("update").parse_args(["--pids-limit", "-1", "web"]).pids_limit == -1
    assert verb("rm").parse_args(["-"]).containers == ["-"]
    with pytest.raises(UsageError, match="^flag needs an argument: --name\n"):
        verb("run").parse_args(["--name", "-it", "busybox"])


@pytest.mark.parametrize(
    ("path", "words", "message"),
    [
        ("images", ["--bogus"], "unknown flag: --bogus"),
        ("images", ["--bogus=1"], "unknown flag: --bogus"),
        ("images", ["-Z"], "unknown shorthand flag: 'Z' in -Z"),
        ("ps", ["-aZ"], "unknown shorthand flag: 'Z' in -aZ"),
        ("run", ["busybox", "--name"], None),  # the command's: no error
        ("run", ["--name"], "flag needs an argument: --name"),
        ("run", ["-e"], "flag needs an argument: 'e' in -e"),
        ("run", ["-ite"], "flag needs an argument: 'e' in -ite"),
        ("run", ["--name", "--", "busybox"], "flag needs an argument: --name"),
        (
            "stop",
            ["-t", "abc"],
            'invalid argument "abc" for "-t, --timeout" flag: '
            'strconv.ParseInt: parsing "abc": invalid syntax',
        ),
        (
            "system service",
            ["--time=soon"],
            'invalid argument "soon" for "-t, --time" flag: '
            'strconv.ParseFloat: parsing "soon": invalid syntax',
        ),
        (
            "run",
            ["--pull", "sometimes"],
            'invalid argument "sometimes" for "--pull" flag: '
            'not one of "missing", "never", "always"',
        ),
        ("history", ["--human=maybe"], 'invalid argument "maybe" for boolean flag: parse error'),
    ],
)
def test_bad_flags_are_one_line_and_exit_125(
    verb: Verb, path: str, words: list[str], message: str | None
) -> None:
    parser = verb(path)
    if message is None:
        parser.parse_args(words)
        return
    with pytest.raises(UsageError) as refused:
        parser.parse_args(words)
    assert refused.value.exit_code == 125
    assert str(refused.value) == f"{message}\nSee 'portside {path} --help'."


def test_too_many_arguments_say_how_many_as_cobra_does(verb: Verb) -> None:
    with pytest.raises(ArgumentCountError) as refused:
        verb("images").parse_args(["a", "b"])
    assert str(refused.value).startswith('"portside images" requires at most 1 argument.\n')
    assert refused.value.exit_code == 1
    with pytest.raises(ArgumentCountError, match='^"portside ps" accepts no arguments.'):
        verb("ps").parse_args(["-a", "web"])


def test_go_booleans_take_true_or_false_only_after_an_equals_sign(verb: Verb) -> None:
    history = verb("history")
    assert history.parse_args(["busybox"]).human is True  # its default
    for word, value in [("-H", True), ("-H=0", False), ("--human=false", False), ("-H=t", True)]:
        assert history.parse_args([word, "busybox"]).human is value, word
    assert history.parse_args(["--human=FALSE", "busybox"]).human is False
    args = history.parse_args(["--human", "false"])  # never the next word
    assert (args.human, args.image) == (True, ["false"])
    assert verb("commit").parse_args(["-p=false", "web"]).pause is False  # short name
    # every on/off flag is a Go boolean given a value, as pflag's are
    assert verb("ps").parse_args(["--all=false"]).all is False
    assert verb("ps").parse_args(["-a=1"]).all is True
    with pytest.raises(UsageError, match='^invalid argument "maybe" for boolean flag'):
        verb("ps").parse_args(["--all=maybe"])


def test_append_flags_collect_a_fresh_list_each_parse(verb: Verb) -> None:
    run = verb("run")
    first = run.parse_args(["-e", "A=1", "--env", "B=2", "-eC=3", "busybox"])
    assert first.env == ["A=1", "B=2", "C=3"]
    second = run.parse_args(["busybox"])
    assert second.env == [] and second.env is not run.parse_args(["busybox"]).env
    first.env.append("D=4")
    assert run.parse_args(["busybox"]).env == []


def test_help_is_written_once_the_flags_parse(
    verb: Verb, capsys: pytest.CaptureFixture[str]
) -> None:
    tag = verb("tag")
    with pytest.raises(SystemExit) as done:
        tag.parse_args(["--help"])  # tag needs two arguments: help does not
    assert done.value.code == 0
    assert capsys.readouterr().out == tag.format_help()
    with pytest.raises(SystemExit):
        verb("ps").parse_args(["-ah"])
    assert capsys.readouterr().out.startswith("Usage:  portside ps [OPTIONS]\n")
    with pytest.raises(UsageError, match="unknown flag: --bogus"):
        verb("ps").parse_args(["--help", "--bogus"])  # as cobra: the error wins
    # run's -h is --hostname; --help after the image is the command's
    run = verb("run").parse_args(["-h", "box", "busybox", "--help"])
    assert (run.hostname, run.command) == ("box", ["--help"])


def test_hidden_flags_work_but_are_neither_in_help_nor_completed(verb: Verb) -> None:
    inspect = verb("image inspect")
    assert inspect.parse_args(["--type", "volume", "x"]).type == "volume"
    assert "--type" not in inspect.format_help()
    assert "--type" not in [n for f in inspect.flags if not f.hidden for n in f.names]


def test_help_shows_value_kinds_and_defaults() -> None:
    p = Parser("demo", "[OPTIONS] NAME", "Show a demo")
    p.add_argument("-n", "--count", type=int, default=3, help="How many")
    p.add_argument("--label", action="append", default=[], help="A label")
    p.add_argument("--size", default="", metavar="bytes", help="How big")
    p.add_argument("-q", "--quiet", action="store_true", help="Say less")
    p.add_go_bool("--color", True, "Use colors")
    p.add_argument("name")
    assert p.format_help() == (
        "Usage:  portside demo [OPTIONS] NAME\n\nShow a demo\n\nOptions:\n"
        "      --color        Use colors (default true)\n"
        "  -n, --count int    How many (default 3)\n"
        "      --label list   A label\n"
        "  -q, --quiet        Say less\n"
        "      --size bytes   How big\n"
    )
    assert p.parse_args(["x", "-n5"]).count == 5
    with pytest.raises(UsageError, match="^missing argument: NAME\n"):
        p.parse_args(["-q"])
