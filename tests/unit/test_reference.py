import pytest

from portside.errors import InvalidReference
from portside.image.reference import parse, parse_tagged


@pytest.mark.parametrize(
    ("text", "full", "short"),
    [
        ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("index.docker.io/library/node:12", "docker.io/library/node:12", "node:12"),
        ("user/app:1", "docker.io/user/app:1", "user/app:1"),
        ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
        ("localhost:5000/a/b", "localhost:5000/a/b:latest", "localhost:5000/a/b:latest"),
        ("127.0.0.1:5000/x:v2", "127.0.0.1:5000/x:v2", "127.0.0.1:5000/x:v2"),
        ("ghcr.io/org/tool:v1.2", "ghcr.io/org/tool:v1.2", "ghcr.io/org/tool:v1.2"),
        ("a/b/c/d", "docker.io/a/b/c/d:latest", "a/b/c/d:latest"),
        ("my_app.x-y", "docker.io/library/my_app.x-y:latest", "my_app.x-y:latest"),
    ],
)
def test_normalises_as_docker(text: str, full: str, short: str) -> None:
    ref = parse_tagged(text)
    assert str(ref) == full
    assert ref.familiar() == short


def test_digest_reference_keeps_no_default_tag() -> None:
    digest = "sha256:" + "ab" * 32
    ref = parse_tagged(f"busybox@{digest}")
    assert str(ref) == f"docker.io/library/busybox@{digest}"
    assert ref.tag is None
    assert ref.familiar() == f"busybox@{digest}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Busybox", "invalid reference format: repository name must be lowercase"),
        ("user/App:1", "invalid reference format: repository name must be lowercase"),
        ("a" * 64, "cannot specify 64-byte hexadecimal strings"),
        ("", "invalid reference format"),
        ("foo:bar:baz", "invalid reference format"),
        ("-leading", "invalid reference format"),
        ("busybox:" + "t" * 129, "invalid reference format"),
        ("busybox@sha256:abc", "invalid reference format"),
        ("busybox@sha256:" + "ab" * 20, "invalid checksum digest length"),
    ],
)
def test_rejects_what_docker_rejects(text: str, message: str) -> None:
    with pytest.raises(InvalidReference, match=message):
        parse(text)


def test_uppercase_first_component_is_a_registry_host() -> None:
    # Docker reads a first component that is not lower case as a domain
    assert str(parse_tagged("Registry/app")) == "Registry/app:latest"
