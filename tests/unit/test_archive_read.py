"""The outer archive's own links: followed inside it, refused out of it, never looped."""

import io
import tarfile

import pytest

from portside.errors import InvalidArchive
from portside.image.archive_read import open_archive


def _archive(links: dict[str, str]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("a/layer.tar")
        info.size = 3
        tf.addfile(info, io.BytesIO(b"abc"))
        for name, target in links.items():
            link = tarfile.TarInfo(name)
            link.type = tarfile.SYMTYPE
            link.linkname = target
            tf.addfile(link)
    buf.seek(0)
    return buf


def test_links_between_layers_are_followed_one_after_another() -> None:
    # docker save's classic layout links a repeated layer to the first through ../<id>/
    links = {"b/layer.tar": "../a/layer.tar", "c/layer.tar": "../b/layer.tar"}
    with open_archive(_archive(links)) as archive:
        assert archive.open("c/layer.tar").read() == b"abc"


def test_a_link_loop_is_an_error_not_a_hang() -> None:
    with open_archive(_archive({"x": "y", "y": "x"})) as archive:
        with pytest.raises(InvalidArchive, match="too many levels of links"):
            archive.open("x")


@pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/passwd", "../.."])
def test_a_link_out_of_the_archive_is_refused(target: str) -> None:
    with pytest.raises(InvalidArchive, match="outside the archive"):
        with open_archive(_archive({"b/layer.tar": target})):
            pass
