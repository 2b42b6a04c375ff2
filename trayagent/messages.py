"""The daemon's texts (tray, tooltip, notifications) by name, in the language `ui.language` chooses.

The English here is the msgid of each text in the gettext catalogues (trayagent/locale/); the Korean
lives in trayagent/locale/ko/LC_MESSAGES/trayagent.po. Placeholders use str.format names.
"""

from __future__ import annotations

import gettext

from trayagent.i18n import N_, resolve, system_language, translation

__all__ = ["TEXT", "Messages", "system_language"]

TEXT: dict[str, str] = {
    "app": "trayagent",
    "idle": N_("Idle: no call"),
    # Words first, the number after, never below 0 (wording.level): "On call 01:14: stress high (0.74)".
    "on_call": N_("On call {elapsed}: {band} ({level})"),
    "stress_calm": N_("stress low"),
    "stress_elevated": N_("stress somewhat high"),
    "stress_alert": N_("stress high"),
    "paused": N_("Paused until {until}"),
    "paused_forever": N_("Paused until resumed"),
    "camera_problem": N_("On call {elapsed}: camera unavailable ({problem})"),
    # The camera cannot see the face well enough (core/visibility.py): not measured, never a calm 0.00;
    # the hint goes on its own menu line and in one notification a call.
    "on_call_unseen": N_("On call {elapsed}: stress not measured"),
    "unseen_title": N_("The camera cannot see your face"),
    "hint_unseen": N_("The camera cannot find your face: sit facing it"),
    "hint_covered": N_("The camera sees only black: it may be covered"),
    "hint_dark": N_("Your face is too dark to read: light from the front helps"),
    "hint_backlit": N_("A window or lamp behind you makes your face dark: light from the front helps"),
    "error": N_("Problem: {problem}"),
    "recording_stopped": N_("recording stopped: {problem}"),
    "start_call": N_("Start call"),
    "end_call": N_("End call"),
    "todays_calls": N_("Today's calls"),
    "no_calls_today": N_("No calls yet today"),
    "call_item": N_("{start} · {duration} · {band}"),
    "show_today": N_("Show today"),
    "show_week": N_("This week"),
    "pause": N_("Pause"),
    "pause_30": N_("30 minutes"),
    "pause_60": N_("1 hour"),
    "pause_forever": N_("Until resumed"),
    "resume": N_("Resume"),
    "open_data": N_("Open data folder"),
    "start_at_login": N_("Start at login"),
    "start_at_login_it": N_("Start at login (set by your organisation)"),
    "about": N_("About trayagent"),
    "quit": N_("Quit"),
    "break_title": N_("Take a short break"),
    "break_body": N_("That call ended with stress at {index}. A minute away from the screen, a glass of "
                     "water or a few slow breaths can help before the next one."),
    "about_body": N_("trayagent {version}: stress at a glance during calls. Images never leave memory; "
                     "only times, emotions and the index are kept, in your profile."),
    "about_calibrated": N_("Faces are read through your relaxed-face baseline."),
    "about_not_calibrated": N_("No relaxed-face baseline yet: setting one makes the stress level far more accurate."),
    "calibrate": N_("Set my relaxed-face baseline…"),
    "calibrating": N_("Calibrating: camera on for 10 seconds, keep a relaxed face"),
    "calibrate_recommended": N_("Set my relaxed-face baseline (recommended)…"),
    "calibrate_invite_title": N_("Set your relaxed-face baseline"),
    "calibrate_invite_body": N_("The stress level reads your face far better once it knows your relaxed face. "
                                "Choose the marked item in the tray's menu: 10 seconds of the camera, between "
                                "calls; only numbers are kept."),
    "calibrate_title": N_("Calibration"),
    "calibrate_done": N_("Done: your relaxed face is the baseline from now on. Only numbers were kept."),
    "calibrate_failed": N_("Not calibrated: {problem}"),
    "calibrate_not_in_call": N_("End the call first: calibration needs a relaxed face, away from calls."),
    "already_running": N_("trayagent is already running for this user."),
}


class Messages:
    """`text("idle")`, `text("on_call", elapsed=..., index=...)`: one named text, translated."""

    def __init__(self, language: str = "auto") -> None:
        self.language = resolve(language)
        self.catalogue: gettext.NullTranslations = translation(self.language)

    def __call__(self, key: str, **kw: object) -> str:
        return self.catalogue.gettext(TEXT[key]).format(**kw)

    def gettext(self, message: str) -> str:
        return self.catalogue.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalogue.ngettext(singular, plural, n)
