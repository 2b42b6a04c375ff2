"""A file held by the process writing it: how a reader tells a call still being recorded from one a
crash left behind. The lock goes with the process (closed descriptor, killed process), so a crashed
call is never mistaken for a live one.

POSIX: flock on the file itself. Windows: a byte-range lock on one byte far past any record's end,
so that it never blocks reading the rows (Windows' locks are mandatory); released before closing,
since Windows frees a closed handle's locks only eventually."""

from __future__ import annotations

import os
import sys

if sys.platform == "win32":
    import msvcrt

    _AT = 1 << 40  # a byte no call record reaches

    def _lock(fd: int, mode: int) -> None:
        was = os.lseek(fd, 0, os.SEEK_CUR)
        os.lseek(fd, _AT, os.SEEK_SET)
        try:
            msvcrt.locking(fd, mode, 1)
        finally:
            os.lseek(fd, was, os.SEEK_SET)

    def hold(fd: int) -> None:
        _lock(fd, msvcrt.LK_NBLCK)

    def release(fd: int) -> None:
        _lock(fd, msvcrt.LK_UNLCK)

    def held_elsewhere(fd: int) -> bool:
        try:
            _lock(fd, msvcrt.LK_NBRLCK)
        except OSError:
            return True
        _lock(fd, msvcrt.LK_UNLCK)
        return False

else:
    import fcntl

    def hold(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    def held_elsewhere(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False


__all__ = ["held_elsewhere", "hold", "release"]
