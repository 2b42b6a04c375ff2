"""What differs between Windows and the rest for the data folder and the command channel: one
module per OS with the same names, chosen once (as aw-watcher-afk does)."""

import sys

if sys.platform == "win32":
    from trayagent.platform.system.windows import CHANNEL_FAMILY, make_user_only, pipe_exists
else:
    from trayagent.platform.system.posix import CHANNEL_FAMILY, make_user_only, pipe_exists

__all__ = ["CHANNEL_FAMILY", "make_user_only", "pipe_exists"]
