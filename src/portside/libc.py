"""The C library through ctypes, for the system calls Python 3.11 has no function for
(mount, umount2, setns, unshare, the new mount API, prctl).

Loaded at the first such call: commands that only read the store (ps, images …) do not
pay for importing ctypes.
"""

from __future__ import annotations

import functools  # loaded with the store's SQLite module anyway

TYPE_CHECKING = False  # typing is not imported at run time (docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Any


@functools.cache
def libc() -> Any:
    import ctypes

    lib = ctypes.CDLL(None, use_errno=True)
    lib.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    lib.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lib.setns.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.unshare.argtypes = [ctypes.c_int]
    lib.syscall.restype = ctypes.c_long
    return lib


def errno() -> int:
    """The errno of this thread's last call through ``libc()``."""
    import ctypes

    return ctypes.get_errno()
