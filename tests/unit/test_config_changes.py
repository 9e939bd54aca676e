import pytest

from portside.builder.config_ops import apply_changes
from portside.builder.shell import process_word, process_words
from portside.errors import InvalidArgument


def test_every_change_instruction_docker_accepts() -> None:
    cfg = apply_changes(
        {},
        [
            'CMD ["node", "server.js"]',
            "ENTRYPOINT /entry.sh",
            'ENV A=1 B="two words"',
            "ENV LEGACY value with spaces",
            "EXPOSE 80 53/udp 8000-8001",
            'LABEL version="1.0" maintainer=me',
            "USER 1000:1000",
            "WORKDIR /app",
            "WORKDIR sub",
            'VOLUME ["/data", "/logs"]',
            "STOPSIGNAL SIGINT",
        ],
    )
    assert cfg["Cmd"] == ["node", "server.js"]  # CMD before ENTRYPOINT survives it
    assert cfg["Entrypoint"] == ["/bin/sh", "-c", "/entry.sh"]
    assert cfg["Env"] == ["A=1", "B=two words", "LEGACY=value with spaces"]
    assert cfg["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {}}
    assert cfg["Labels"] == {"version": "1.0", "maintainer": "me"}
    assert cfg["User"] == "1000:1000"
    assert cfg["WorkingDir"] == "/app/sub"
    assert cfg["Volumes"] == {"/data": {}, "/logs": {}}
    assert cfg["StopSignal"] == "SIGINT"


def test_entrypoint_alone_clears_an_inherited_cmd() -> None:
    cfg = apply_changes({"Cmd": ["sh"]}, ['ENTRYPOINT ["top"]'])
    assert cfg["Cmd"] is None
    assert cfg["Entrypoint"] == ["top"]


def test_env_expands_earlier_variables() -> None:
    cfg = apply_changes({}, ["ENV BASE=/opt", "ENV PATH_X=${BASE}/bin:$BASE"])
    assert "PATH_X=/opt/bin:/opt" in cfg["Env"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("RUN echo hi", "RUN is not a valid change command"),
        ("EXPOSE 99999", "invalid range"),
        ("EXPOSE abc", "invalid containerPort: abc"),
        ("STOPSIGNAL SIGNOPE", "Invalid signal: SIGNOPE"),
        ("ENV", "requires at least one argument"),
    ],
)
def test_bad_changes_are_refused(change: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        apply_changes({}, [change])


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("$A", {"A": "x"}, "x"),
        ("${A}b", {"A": "x"}, "xb"),
        ("${A:-def}", {}, "def"),
        ("${A:-def}", {"A": ""}, "def"),
        ("${A-def}", {"A": ""}, ""),
        ("${A:+alt}", {"A": "x"}, "alt"),
        ("${A+alt}", {}, ""),
        ("'$A'", {"A": "x"}, "$A"),
        ('"$A y"', {"A": "x"}, "x y"),
        ("\\$A", {"A": "x"}, "$A"),
    ],
)
def test_word_expansion(text: str, env: dict[str, str], expected: str) -> None:
    assert process_word(text, env) == expected


def test_words_split_on_unquoted_space() -> None:
    assert process_words('a "b c" d\\ e', {}) == ["a", "b c", "d e"]
