"""``-u user[:group]`` resolved against the container's own /etc/passwd and /etc/group,
as Docker does (names must exist there; numbers need not)."""

from __future__ import annotations

import os

from ..errors import InvalidArgument
from ..userns import maps
from .spec import User

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from _typeshed import StrPath


def _read(rootfs: StrPath, name: str) -> list[list[str]]:
    path = os.path.join(rootfs, "etc", name)
    try:
        if os.path.islink(path):  # never follow a link out of the container
            return []
        with open(path, errors="replace") as f:
            text = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def resolve_user(rootfs: StrPath, spec: str) -> User:
    user, _, group = (spec or "").partition(":")
    passwd = [e for e in _read(rootfs, "passwd") if len(e) >= 4]
    groups = [e for e in _read(rootfs, "group") if len(e) >= 3]
    uid, gid, name = 0, 0, "root"
    if user:
        entry = next((e for e in passwd if e[0] == user), None)
        if entry is None and user.isdigit():
            entry = next((e for e in passwd if e[2] == user), None)
            uid, gid, name = int(user), 0, ""
        if entry is None and not user.isdigit():
            raise InvalidArgument(f"unable to find user {user}: no matching entries in passwd file")
        if entry is not None:
            uid, gid, name = int(entry[2]), int(entry[3]), entry[0]
    elif passwd:
        root = next((e for e in passwd if e[2] == "0"), None)
        name = root[0] if root else "root"
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            g = next((e for e in groups if e[0] == group), None)
            if g is None:
                raise InvalidArgument(
                    f"unable to find group {group}: no matching entries in group file"
                )
            gid = int(g[2])
    extra = tuple(
        sorted(
            {
                int(g[2])
                for g in groups
                if len(g) > 3 and name and name in g[3].split(",") and int(g[2]) != gid
            }
        )
    )
    _check_mapped(spec, uid, gid)
    return User(uid, gid, tuple(g for g in extra if maps("gid", g)))


def _check_mapped(spec: str, uid: int, gid: int) -> None:
    """Rootless, the IDs must exist in the user namespace (userns.py): with one mapped
    ID only root does."""
    for kind, value in (("uid", uid), ("gid", gid)):
        if not maps(kind, value):
            raise InvalidArgument(
                f"user {spec}: {kind} {value} is not mapped in your user namespace; "
                f"rootless portside maps IDs above 0 from your range in /etc/sub{kind} "
                "(add one: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "
                "USER, then end every portside container and process of yours)"
            )


def group_ids(rootfs: StrPath, groups: list[str]) -> tuple[int, ...]:
    """``--group-add``: numbers as they are, names looked up in the image's /etc/group."""
    known = {e[0]: int(e[2]) for e in _read(rootfs, "group") if len(e) >= 3 and e[2].isdigit()}
    out = []
    for g in groups:
        if g.isdigit():
            out.append(int(g))
        elif g in known:
            out.append(known[g])
        else:
            raise InvalidArgument(f"Unable to find group {g}: no matching entries in group file")
    return tuple(out)
