"""A graph in a window of its own (this runs in a child process of the tray, never in the daemon)."""

from __future__ import annotations

from matplotlib.figure import Figure


def show(fig: Figure, title: str) -> bool:
    """False where no window can be opened (no Tk in an embedded runtime, no display)."""
    try:
        import tkinter

        from matplotlib.backends.backend_tkagg import FigureCanvasTkAgg, NavigationToolbar2Tk
    except ImportError:
        return False
    try:
        root = tkinter.Tk()
    except tkinter.TclError:  # no display
        return False
    root.title(title)
    canvas = FigureCanvasTkAgg(fig, master=root)
    NavigationToolbar2Tk(canvas, root).update()  # zoom and "save as" for the curious
    canvas.get_tk_widget().pack(fill=tkinter.BOTH, expand=True)
    canvas.draw()
    root.mainloop()
    return True
