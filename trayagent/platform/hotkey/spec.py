"""What calls.hotkey means: parsing "ctrl+alt+shift+s" into modifiers and a key, shared by every backend."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from trayagent.core.errors import TrayagentError
from trayagent.i18n import _

log = logging.getLogger(__name__)

MODIFIER_ALIASES = {"ctrl": "ctrl", "control": "ctrl", "alt": "alt", "shift": "shift",
                    "win": "win", "super": "win", "cmd": "win", "meta": "win"}
MODIFIER_ORDER = ("ctrl", "alt", "shift", "win")

# Virtual-key codes (Windows) and pynput names (X11) of the keys a hotkey may end in.
_NAMED_KEYS: dict[str, tuple[int, str | None]] = {
    "space": (0x20, "<space>"), "tab": (0x09, "<tab>"), "enter": (0x0D, "<enter>"),
    "insert": (0x2D, "<insert>"), "delete": (0x2E, "<delete>"), "home": (0x24, "<home>"), "end": (0x23, "<end>"),
    "pageup": (0x21, "<page_up>"), "pagedown": (0x22, "<page_down>"), "left": (0x25, "<left>"),
    "up": (0x26, "<up>"), "right": (0x27, "<right>"), "down": (0x28, "<down>"), "pause": (0x13, "<pause>"),
    "scrolllock": (0x91, "<scroll_lock>"),
}
KEYS: dict[str, tuple[int, str | None]] = {
    **{c: (ord(c.upper()), c) for c in "abcdefghijklmnopqrstuvwxyz0123456789"},
    # pynput's Key enum stops at F20 on X11
    **{f"f{n}": (0x70 + n - 1, f"<f{n}>" if n <= 20 else None) for n in range(1, 25)},
    **_NAMED_KEYS,
}
# Keys rarely on a keyboard (macro pads) may stand alone; anything else alone would eat a normal key.
ALONE_OK = frozenset(f"f{n}" for n in range(13, 25))

EXAMPLES = ("ctrl+alt+shift+s", "ctrl+alt+f9")


class HotkeyError(TrayagentError):
    """calls.hotkey cannot be understood."""


@dataclass(frozen=True)
class Hotkey:
    modifiers: frozenset[str]  # of MODIFIER_ORDER
    key: str  # a name in KEYS

    def __str__(self) -> str:
        return "+".join([m for m in MODIFIER_ORDER if m in self.modifiers] + [self.key])


def parse_hotkey(spec: str) -> Hotkey:
    """"Ctrl + Alt + S" -> Hotkey({ctrl, alt}, "s"); any other shape is a HotkeyError that says what
    is wrong with the calls.hotkey setting."""

    def bad(problem: str) -> HotkeyError:
        # The setting's key, key names and the value as typed stay as they are in every language.
        return HotkeyError(_('calls.hotkey = "{value}": {problem}; write modifiers ({modifiers}) and one key '
                             'joined by "+", e.g. "{example}" or "{other}"').format(
            value=spec, problem=problem, modifiers=", ".join(MODIFIER_ORDER), example=EXAMPLES[0],
            other=EXAMPLES[1]))

    parts = [p.strip().lower() for p in spec.split("+")]
    if not spec.strip():
        raise bad(_("no hotkey given (an empty calls.hotkey turns the hotkey off)"))
    if any(not p for p in parts):
        raise bad(_("an empty part between '+' signs"))
    mods: set[str] = set()
    keys: list[str] = []
    for p in parts:
        if p in MODIFIER_ALIASES:
            m = MODIFIER_ALIASES[p]
            if m in mods:
                raise bad(_('"{key}" appears twice').format(key=p))
            mods.add(m)
        elif p in KEYS:
            keys.append(p)
        else:
            raise bad(_('unknown key "{key}" (keys: {keys})').format(
                key=p, keys=", ".join(["a-z", "0-9", "f1-f24", *_NAMED_KEYS])))
    if not keys:
        raise bad(_("no key after the modifiers"))
    if len(keys) > 1:
        raise bad(_("more than one key ({keys})").format(keys=", ".join(keys)))
    if not mods and keys[0] not in ALONE_OK:
        raise bad(_("a key without a modifier would be taken from every other program"))
    return Hotkey(frozenset(mods), keys[0])


class HotkeyHandle(Protocol):
    def stop(self) -> None: ...

    def describe(self) -> str: ...


class HotkeyUnavailable(Exception):
    """No global hotkey here; the message says why and what to do instead."""


def guarded(hotkey: Hotkey, callback: Callable[[], None]) -> Callable[[], None]:
    """What a key press runs: the callback, never letting it kill the hotkey thread, and a warning
    when it does more than enqueue."""

    def fire() -> None:
        t0 = time.perf_counter()
        try:
            callback()
        except Exception:  # a broken handler must not end the hotkey
            log.exception("hotkey %s: the callback failed", hotkey)
        spent = time.perf_counter() - t0
        if spent > 0.1:
            log.warning("hotkey %s: the callback took %.0f ms; it should only enqueue work", hotkey, spent * 1000)

    return fire


