"""A streaming tar writer for the trees portside turns into layers and exports.

It writes what ``tarfile`` writes in its PAX format for the same entries, byte for byte
(``tests/unit/test_tar_writer.py`` holds the two together): ustar headers, a PAX
extended header before an entry whose name or link is long or not ASCII, whose numbers
do not fit or whose time has a fraction, and the entry's ``SCHILY.xattr`` records; two
zero blocks, then zeros to a whole 10 KiB record. Importing ``tarfile`` costs a command
~11 ms here (it imports ``shutil``, ``re``, ``copy`` and ``struct``), the largest part
of what a build that copies one changed file spent before its work.

Reading tars (pulls, loads, ``cp``'s streams) is still ``tarfile``'s.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import BinaryIO

BLOCK = 512
RECORD = 20 * BLOCK
_FLUSH = 64 * 1024  # headers gather in a buffer until this much is waiting
_READ = 1 << 20
_MAGIC = b"ustar\x0000"
_REG, _LNK, _SYM, _CHR, _BLK, _DIR, _FIFO, _PAX = b"0", b"1", b"2", b"3", b"4", b"5", b"6", b"x"
_NUL8 = bytes(8)


def _number(value: int, digits: int) -> bytes:
    """A header number: octal, zero-padded, NUL-terminated."""
    return b"%0*o\0" % (digits - 1, value)


def _text(value: str, length: int) -> bytes:
    """A header string: ASCII (anything else a ``?``), cut or NUL-padded to ``length``."""
    raw = value.encode("ascii", "replace")[:length]
    return raw + bytes(length - len(raw))


def _header(
    name: str,
    kind: bytes,
    mode: int = 0,
    uid: int = 0,
    gid: int = 0,
    size: int = 0,
    mtime: int = 0,
    link: str = "",
    device: tuple[int, int] | None = None,
) -> bytes:
    head = b"".join(
        (
            _text(name, 100),
            _number(mode, 8),
            _number(uid, 8),
            _number(gid, 8),
            _number(size, 12),
            _number(mtime, 12),
            b"        ",  # the checksum's place, counted as spaces
            kind,
            _text(link, 100),
            _MAGIC,
            bytes(64),  # user and group names: the host's mean nothing in an image
            _number(device[0], 8) if device else _NUL8,
            _number(device[1], 8) if device else _NUL8,
            bytes(155 + 12),  # the name prefix (unused, as tarfile's PAX format leaves it)
        )
    )
    checksum = sum(head)
    return head[:148] + b"%06o\0" % checksum + head[155:]


def _pax_records(records: dict[str, str]) -> bytes:
    """``LEN key=value\\n`` records; values that are not UTF-8 (undecodable names)
    make them all raw bytes, announced by ``hdrcharset=BINARY``."""
    try:
        for value in records.values():
            value.encode("utf-8", "strict")
        binary = False
    except UnicodeEncodeError:
        binary = True
    out = [b"21 hdrcharset=BINARY\n"] if binary else []
    for key, value in records.items():
        body = b"%s=%s\n" % (key.encode(), value.encode("utf-8", "surrogateescape"))
        total = 0
        while total != (total := len(body) + 1 + len(str(total))):
            pass  # the smallest length that counts its own digits, found as tarfile does
        out.append(b"%d %s" % (total, body))
    return b"".join(out)


class TarWriter:
    """Entries written to ``out`` in the order given; ``close`` ends the archive."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.buffer = bytearray()
        self.written = 0
        self.inodes: dict[tuple[int, int], str] = {}  # a hard-linked file's first name

    def add(self, name: str, host: str, st: os.stat_result, xattrs: dict[str, str]) -> None:
        """``host`` (lstat ``st``) as ``name``: a file (its content read now), folder,
        link, device or FIFO; a second name of a hard-linked file is a link to the
        first. A socket has no tar form and is left out. ``xattrs`` are PAX records
        (``SCHILY.xattr.NAME``)."""
        mode = st.st_mode
        link = ""
        size = 0
        device = None
        if stat.S_ISREG(mode):
            inode = (st.st_ino, st.st_dev)
            first = self.inodes.get(inode) if st.st_nlink > 1 else None
            if first is not None and first != name:
                kind, link = _LNK, first
            else:
                kind, size = _REG, st.st_size
                if st.st_ino:
                    self.inodes[inode] = name
        elif stat.S_ISDIR(mode):
            kind = _DIR
            name = name if name.endswith("/") else name + "/"
        elif stat.S_ISFIFO(mode):
            kind = _FIFO
        elif stat.S_ISLNK(mode):
            kind, link = _SYM, os.readlink(host)
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            kind = _CHR if stat.S_ISCHR(mode) else _BLK
            device = (os.major(st.st_rdev), os.minor(st.st_rdev))
        else:
            return
        self._entry(
            name, kind, mode & 0o7777, st.st_uid, st.st_gid, size, st.st_mtime, link, device, xattrs
        )
        if kind == _REG:
            self._content(host, size)

    def add_empty(self, name: str, mtime: int) -> None:
        """An empty file owned by root, mode 0644: the whiteout and opaque markers."""
        self._entry(name, _REG, 0o644, 0, 0, 0, mtime, "", None, {})

    def _entry(
        self,
        name: str,
        kind: bytes,
        mode: int,
        uid: int,
        gid: int,
        size: int,
        mtime: float,
        link: str,
        device: tuple[int, int] | None,
        xattrs: dict[str, str],
    ) -> None:
        records = dict(xattrs)
        for key, text in (("path", name), ("linkpath", link)):
            if len(text) > 100 or not text.isascii():
                records[key] = text
        numbers = {"uid": uid, "gid": gid, "size": size}
        for key, number in numbers.items():
            if not 0 <= number < (8**11 if key == "size" else 8**7):  # what the field holds
                records.setdefault(key, str(number))
                numbers[key] = 0
        whole = round(mtime) if isinstance(mtime, float) else mtime
        if not 0 <= whole < 8**11:
            records.setdefault("mtime", str(mtime))
            whole = 0
        elif isinstance(mtime, float):
            records.setdefault("mtime", str(mtime))
        if records:
            payload = _pax_records(records)
            self._put(_header("././@PaxHeader", _PAX, size=len(payload)))
            self._put(payload + bytes(-len(payload) % BLOCK))
        self._put(
            _header(
                name,
                kind,
                mode,
                numbers["uid"],
                numbers["gid"],
                numbers["size"],
                whole,
                link,
                device,
            )
        )

    def _content(self, host: str, size: int) -> None:
        self._flush()
        with open(host, "rb") as f:
            remaining = size
            while remaining > 0:
                chunk = f.read(min(_READ, remaining))
                if not chunk:
                    raise OSError(f"{host}: the file shrank while it was written to a tar")
                self.out.write(chunk)
                remaining -= len(chunk)
        self.written += size
        self._put(bytes(-size % BLOCK))

    def _put(self, data: bytes) -> None:
        self.buffer += data
        self.written += len(data)
        if len(self.buffer) >= _FLUSH:
            self._flush()

    def _flush(self) -> None:
        if self.buffer:
            self.out.write(bytes(self.buffer))
            self.buffer.clear()

    def close(self) -> None:
        self._put(bytes(2 * BLOCK))
        self._put(bytes(-self.written % RECORD))
        self._flush()
