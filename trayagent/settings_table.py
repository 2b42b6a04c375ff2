"""Every setting, once: its default, what is allowed and the comment the settings file carries."""

from __future__ import annotations

from trayagent.core.stress import Thresholds
from trayagent.core.visibility import VisibilityThresholds
from trayagent.settings_schema import BOOL, STR, STRS, Setting, choice, integer, number, setting

# Matched by family (signals/softphone.py): "linphone" also covers linphonec and linphone-daemon,
# "zoiper" covers zoiper5, with or without ".exe".
SOFTPHONES = (
    "microsip.exe", "zoiper5.exe", "zoiper.exe", "3cxdesktopapp.exe", "briaenterprise.exe", "bria5.exe",
    "ciscojabber.exe", "ms-teams.exe", "teams.exe", "zoom.exe", "ciscocollabhost.exe", "webex.exe",
    "phonerlite.exe", "onexcui.exe",
    "microsip", "zoiper", "linphone", "baresip", "jami", "twinkle",
)

SETTINGS: dict[str, dict[str, Setting]] = {
    "camera": {
        "index": setting(0, integer(0, 63), "Which webcam (0 is the first)."),
        "backend": setting("auto", choice("auto", "dshow", "msmf", "v4l2"),
                      "OpenCV capture backend; try dshow on Windows if the camera opens slowly."),
        "fps": setting(2.0, number(0.2, 15), "Frames analysed per second during a call."),
        "warmup_s": setting(1.5, number(0, 10), "Seconds of frames dropped after opening (auto-exposure)."),
    },
    "model": {
        "path": setting("", STR, "Another emotion model (.onnx) to use; empty means the shipped one."),
    },
    "calls": {
        "auto_detect": setting(True, BOOL, "Start and end calls from softphone and microphone activity."),
        "softphones": setting(list(SOFTPHONES), STRS, "Process names counted as softphones (any case)."),
        "microphone": setting(True, BOOL, "Use 'microphone in use' as a call signal."),
        "hotkey": setting("ctrl+alt+shift+s", STR, "Global hotkey that starts or ends a call; empty turns it off."),
        "start_confirm_s": setting(2.0, number(0, 60), "A call signal must hold this long before a call starts."),
        "end_confirm_s": setting(3.0, number(0, 60), "Signals must stay off this long before a call ends."),
        "min_call_s": setting(5.0, number(0, 600), "Shorter calls are dropped, not recorded."),
        "udp_hold_s": setting(30.0, number(0, 600),
                         "Where no microphone signal exists: a softphone's extra UDP sockets count as a call "
                         "only once held this long (ringing opens them too)."),
        "max_call_min": setting(240.0, number(1, 1440), "A call still open after this long is ended."),
        "hold_s": setting(60.0, number(0, 3600),
                     "A call on hold (the softphone lets go of the microphone but keeps the call's media "
                     "sockets open) continues if the microphone comes back within this long."),
    },
    "stress": {
        "calm_below": setting(Thresholds.calm_below, number(-10, 10),
                         "Below this index the icon is green (about 6 s of net stressed expression at 2 fps)."),
        "alert_from": setting(Thresholds.alert_from, number(-10, 10),
                         "From this index the icon is red and a break is suggested after the call."),
    },
    "visibility": {  # defaults measured on the test videos: models/README.md, "Seeing the face"
        "window_s": setting(VisibilityThresholds.window_s, number(2, 120),
                       "Seconds of a call judged together before the tray says the camera cannot see you."),
        "unseen_share": setting(VisibilityThresholds.unseen_share, number(0.1, 1),
                           "Share of those seconds the face must be unseen, too dark or backlit to say so."),
        "dark_face": setting(VisibilityThresholds.dark_face, number(0, 255),
                        "A face darker than this mean grey level (0-255) is too dark to read."),
        "dark_frame": setting(VisibilityThresholds.dark_frame, number(0, 255),
                         "With no face found, a picture darker than this mean grey level is too dark."),
        "covered_contrast": setting(VisibilityThresholds.covered_contrast, number(0, 128),
                               "With no face found, a dark picture flatter than this (grey levels' standard "
                               "deviation) means the camera is covered."),
        "backlit": setting(VisibilityThresholds.backlit, number(1, 50),
                      "The picture around the face this many times brighter than the face: light from behind."),
    },
    "calibration": {
        "strength": setting(1.0, number(0, 1),
                       "How much of your calibration to apply: 1 maps your relaxed face onto a typical "
                       "neutral one, 0 turns calibration off (models/README.md, Personal calibration)."),
        "clip": setting(1.5, number(0, 5),
                   "Largest correction of any class, in log-probability (1.5: a factor of 4.5); guards "
                   "against a class the model almost never gives you."),
    },
    "privacy": {
        "retention_days": setting(90, integer(0, 3650), "Calls older than this are deleted; 0 keeps them forever."),
    },
    "ui": {
        "language": setting("auto", choice("auto", "en", "ko"), "Language of menus and messages."),
        "notify": setting(True, BOOL, "Suggest a short break after a call that ended in the alert band."),
    },
    "team": {  # README, "For IT: the team view"; enabled and dsn count only in IT's policy
        "enabled": setting(False, BOOL, "Offer the agent to share anonymous call summaries with the team's "
                           "database (policy only; the agent still has to join)."),
        "dsn": setting("", STR, "The team database, e.g. postgresql://trayagent_agent:PASSWORD@db.example/trayagent"
                       "?sslmode=verify-full (policy only)."),
        "name": setting("", STR, "The team this PC's agent works in, e.g. 상담1팀 (at most 64 characters)."),
        "min_group": setting(5, integer(5, 1000), "Report cells with fewer distinct agents than this are left out."),
    },
}
