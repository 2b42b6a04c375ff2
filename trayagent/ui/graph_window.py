"""A graph in a plain window of its own (this runs in a child process of the tray, never in the daemon):
sized to the screen, no plotting toolbar, and beside the graph the day's calls, each with a dot in
the colour of the band it reached; clicking one shows its graph. Escape closes the window."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

from trayagent.i18n import _


@dataclass(frozen=True)
class CallEntry:
    label: str  # "오후 10:26 · 4분 7초"
    colour: str  # the band it reached
    call_id: str


def window_size(screen_w: int, screen_h: int) -> tuple[int, int]:
    """Most of the screen, leaving room for a taskbar; never larger than a graph needs."""
    return min(int(screen_w * 0.9), 1500), min(int(screen_h * 0.85), 950)


def show(fig: Figure, title: str, calls: Sequence[CallEntry] = (),
         open_call: Callable[[str], tuple[Figure, str]] | None = None, selected: str | None = None,
         heading: str | None = None) -> bool:
    """False where no window can be opened (no Tk in an embedded runtime, no display)."""
    try:
        import tkinter

        from matplotlib.backends.backend_tkagg import FigureCanvasTkAgg
    except ImportError:
        return False
    try:
        root = tkinter.Tk()
    except tkinter.TclError:  # no display
        return False
    window = _Window(root, title, FigureCanvasTkAgg)
    if calls:  # packed before the graph, so a narrow screen shrinks the graph, not the list
        window.add_calls(calls, open_call, selected, heading)
    window.add_graph(fig)
    root.mainloop()
    return True


class _Window:
    """The open window: the graph on the left, the day's calls (if any) on the right."""

    def __init__(self, root: Any, title: str, canvas_class: Any) -> None:
        self.root, self._canvas_class = root, canvas_class
        root.title(title)
        w, h = window_size(root.winfo_screenwidth(), root.winfo_screenheight())
        root.geometry(f"{w}x{h}+{(root.winfo_screenwidth() - w) // 2}+{max(0, (root.winfo_screenheight() - h) // 3)}")
        root.configure(background="white")
        root.bind("<Escape>", lambda _e: root.destroy())
        self.holder: Any = None
        self.canvas: Any = None
        self.rows: dict[str, Any] = {}

    def add_graph(self, fig: Figure) -> None:
        import tkinter

        self.holder = tkinter.Frame(self.root, background="white")
        self.holder.pack(side=tkinter.LEFT, fill=tkinter.BOTH, expand=True)
        self.put(fig)

    def put(self, figure: Figure) -> None:
        import tkinter

        if self.canvas is not None:
            self.canvas.get_tk_widget().destroy()
        canvas = self._canvas_class(figure, master=self.holder)
        canvas.get_tk_widget().pack(fill=tkinter.BOTH, expand=True)
        canvas.draw()
        self.canvas = canvas

    def add_calls(self, calls: Sequence[CallEntry], open_call: Callable[[str], tuple[Figure, str]] | None,
                  selected: str | None, heading: str | None) -> None:
        import tkinter

        side = tkinter.Frame(self.root, background="#f4f6f8", padx=12, pady=12)
        side.pack(side=tkinter.RIGHT, fill=tkinter.Y)
        tkinter.Label(side, text=heading or _("Today's calls"), background="#f4f6f8",
                      font=("TkDefaultFont", 12, "bold")).pack(anchor="w", pady=(0, 8))

        def pick(call_id: str) -> None:
            if open_call is None:
                return
            figure, new_title = open_call(call_id)
            self.root.title(new_title)
            self.put(figure)
            for cid, row in self.rows.items():
                _highlight(row, cid == call_id)

        def on_click(call_id: str) -> Callable[[object], None]:
            return lambda _e: pick(call_id)

        for entry in calls:
            row = tkinter.Frame(side, background="#f4f6f8", cursor="hand2" if open_call else "")
            row.pack(anchor="w", fill=tkinter.X, pady=2)
            dot = tkinter.Canvas(row, width=16, height=16, highlightthickness=0, background="#f4f6f8")
            dot.create_oval(2, 2, 14, 14, fill=entry.colour, outline=entry.colour)
            dot.pack(side=tkinter.LEFT, padx=(0, 6))
            label = tkinter.Label(row, text=entry.label, background="#f4f6f8", font=("TkDefaultFont", 11))
            label.pack(side=tkinter.LEFT)
            for widget in (row, dot, label):
                widget.bind("<Button-1>", on_click(entry.call_id))
            self.rows[entry.call_id] = row
            _highlight(row, entry.call_id == selected)


def _highlight(row: Any, on: bool) -> None:
    colour = "#dde6ef" if on else "#f4f6f8"
    row.configure(background=colour)
    for child in row.winfo_children():
        child.configure(background=colour)
