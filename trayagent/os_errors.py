"""Why the system refused a file or folder, in the reader's language.

An OSError's `strerror` is libc's English on Linux and macOS, and on Windows Windows' own words in
the language of Windows (which need not be trayagent's). English readers keep the system's words, as
they always had them; other languages get a translated reason for the errors a user meets (a missing
file, no permission, a full disk...) and the system's words only for the rare rest.
"""

from __future__ import annotations

import errno

from trayagent.i18n import N_, _, current_language

_IN_USE = N_("in use by another program")
_REASONS = {
    errno.ENOENT: N_("no such file or folder"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("permission denied"),
    errno.ENOSPC: N_("the disk is full"),
    errno.EROFS: N_("the drive is read-only"),
    errno.EISDIR: N_("a folder, not a file"),
    errno.ENOTDIR: N_("part of the path is a file, not a folder"),
    errno.EEXIST: N_("it already exists"),
    errno.ENOTEMPTY: N_("the folder is not empty"),
    errno.ENAMETOOLONG: N_("the name is too long"),
    errno.EMFILE: N_("too many open files"),
    errno.ENFILE: N_("too many open files"),
    errno.EIO: N_("the disk could not be read or written"),
    errno.EFBIG: N_("the file is too large"),
    errno.EBUSY: _IN_USE,
    **({errno.EDQUOT: N_("the disk quota is used up")} if hasattr(errno, "EDQUOT") else {}),  # not on Windows
}


class Explained(OSError):
    """An OSError whose strerror trayagent wrote itself, in the reader's language (a folder it could
    not make private): `reason` gives it as it is."""


# Windows reports a file another program holds open as EACCES; its own code tells the two apart.
_WINDOWS_REASONS = {32: _IN_USE, 33: _IN_USE}  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION


def reason(e: OSError) -> str:
    """A short reason to put in parentheses after what failed: "(permission denied)", "(권한이 없음)"."""
    system = e.strerror or str(e) or type(e).__name__
    if current_language() == "en" or isinstance(e, Explained):
        return system
    text = _WINDOWS_REASONS.get(getattr(e, "winerror", None) or 0) or _REASONS.get(e.errno or 0)
    return _(text) if text else system
