"""How lengths of time read everywhere trayagent shows them (menus, graphs, summaries)."""


def mmss(seconds: float, _pos: object = None) -> str:
    """4:07, 12:30, 75:02: a call's length or a point in it (also a matplotlib tick formatter)."""
    s = max(0, int(round(seconds)))
    return f"{s // 60}:{s % 60:02d}"


def elapsed(seconds: float) -> str:
    """04:07, 1:02:03: a running call's clock in the tray."""
    s = max(0, int(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"
