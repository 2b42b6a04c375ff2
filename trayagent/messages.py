"""User-facing text in English and Korean (the paper's agents are Korean), chosen from the OS locale
unless `ui.language` says otherwise."""

from __future__ import annotations

import locale
import os
import sys

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "app": "trayagent",
        "idle": "Idle: no call",
        "on_call": "On call {elapsed}, stress {index:+.2f}",
        "paused": "Paused until {until}",
        "paused_forever": "Paused until resumed",
        "camera_problem": "On call {elapsed}: camera unavailable ({problem})",
        "error": "Problem: {problem}",
        "start_call": "Start call",
        "end_call": "End call",
        "todays_calls": "Today's calls",
        "no_calls_today": "No calls yet today",
        "call_item": "{start} · {duration} · peak {peak:+.2f}",
        "show_today": "Show today",
        "pause": "Pause",
        "pause_30": "30 minutes",
        "pause_60": "1 hour",
        "pause_forever": "Until resumed",
        "resume": "Resume",
        "open_data": "Open data folder",
        "start_at_login": "Start at login",
        "start_at_login_it": "Start at login (set by your organisation)",
        "about": "About trayagent",
        "quit": "Quit",
        "break_title": "Take a short break",
        "break_body": "That call ended with stress at {index:.2f}. A minute away from the screen, a glass of "
                      "water or a few slow breaths can help before the next one.",
        "about_body": "trayagent {version}: stress at a glance during calls. Images never leave memory; "
                      "only times, emotions and the index are kept, in your profile.",
        "already_running": "trayagent is already running for this user.",
    },
    "ko": {
        "app": "trayagent",
        "idle": "대기 중: 통화 없음",
        "on_call": "통화 중 {elapsed}, 스트레스 {index:+.2f}",
        "paused": "{until}까지 일시 중지",
        "paused_forever": "다시 시작할 때까지 일시 중지",
        "camera_problem": "통화 중 {elapsed}: 카메라를 사용할 수 없음 ({problem})",
        "error": "문제: {problem}",
        "start_call": "통화 시작",
        "end_call": "통화 종료",
        "todays_calls": "오늘의 통화",
        "no_calls_today": "오늘 통화 없음",
        "call_item": "{start} · {duration} · 최고 {peak:+.2f}",
        "show_today": "오늘 전체 보기",
        "pause": "일시 중지",
        "pause_30": "30분",
        "pause_60": "1시간",
        "pause_forever": "다시 시작할 때까지",
        "resume": "다시 시작",
        "open_data": "데이터 폴더 열기",
        "start_at_login": "로그인 시 시작",
        "start_at_login_it": "로그인 시 시작 (회사 설정)",
        "about": "trayagent 정보",
        "quit": "종료",
        "break_title": "잠시 쉬어 가세요",
        "break_body": "방금 통화는 스트레스 {index:.2f}로 끝났습니다. 다음 통화 전에 잠시 화면에서 눈을 떼고, "
                      "물 한 잔이나 천천히 몇 번 숨을 쉬어 보세요.",
        "about_body": "trayagent {version}: 통화 중 스트레스를 한눈에. 영상은 메모리에만 머물며, 시간·감정·지수만 "
                      "사용자 프로필에 저장됩니다.",
        "already_running": "trayagent가 이미 실행 중입니다.",
    },
}


def system_language() -> str:
    """'ko' when the OS user interface is Korean, else 'en'."""
    if sys.platform == "win32":
        try:
            import ctypes

            lang_id = ctypes.windll.kernel32.GetUserDefaultUILanguage()
            return "ko" if lang_id & 0x3FF == 0x12 else "en"  # LANG_KOREAN
        except (AttributeError, OSError):
            pass
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var)
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    code = locale.getlocale()[0] or ""
    return "ko" if code.lower().startswith("ko") else "en"


class Messages:
    def __init__(self, language: str = "auto") -> None:
        self.language = system_language() if language == "auto" else language

    def __call__(self, key: str, **kw) -> str:
        return TEXT[self.language][key].format(**kw)
