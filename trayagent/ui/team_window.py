"""The window the tray's "Share anonymous call summaries with my team…" opens (in a child process,
never in the daemon): exactly what leaves and what never does, and two buttons. Joined already, it
offers to stop instead. Return chooses the first button, Escape closes without a change."""

from __future__ import annotations

from trayagent.i18n import _
from trayagent.team.disclosure import title


def ask(text: str, joined: bool) -> bool:
    """True when the agent chose to join (or, joined, to stop sharing)."""
    import tkinter as tk
    from tkinter import font as tkfont

    from trayagent.ui.fonts import HANGUL_FONTS

    root = tk.Tk()
    root.title(title().rstrip("…"))
    installed = set(tkfont.families(root))
    family = next((f for f in HANGUL_FONTS if f in installed), None)
    body = tkfont.Font(root=root, family=family, size=10) if family else tkfont.nametofont("TkDefaultFont")
    chosen = tk.BooleanVar(root, False)

    def choose(value: bool) -> None:
        chosen.set(value)
        root.destroy()

    frame = tk.Frame(root, padx=18, pady=14)
    frame.pack(fill="both", expand=True)
    tk.Label(frame, text=text, font=body, justify="left", anchor="w", wraplength=560).pack(fill="x")
    buttons = tk.Frame(frame, pady=12)
    buttons.pack(fill="x")
    first = _("Stop sharing") if joined else _("Join")
    second = _("Keep sharing") if joined else _("Not now")
    tk.Button(buttons, text=first, font=body, default="active", command=lambda: choose(True)).pack(side="right")
    tk.Button(buttons, text=second, font=body, command=lambda: choose(False)).pack(side="right", padx=8)
    root.bind("<Return>", lambda _e: choose(True))
    root.bind("<Escape>", lambda _e: choose(False))
    root.attributes("-topmost", True)
    root.focus_force()
    root.mainloop()
    return chosen.get()
