"""The tray's menu as data (ui/tray.py MenuModel.entries), read as an agent reads it in each state,
without a desktop: what each line says, whether it can be clicked, and what a click asks for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trayagent.core.records import CallSummary
from trayagent.core.requests import Command
from trayagent.core.tray_status import TrayStatus
from trayagent.messages import Messages
from trayagent.ui.tray import Entry, MenuModel

T0 = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)


def _menu(status: TrayStatus, autostart: str = "off") -> tuple[MenuModel, list]:
    posted: list = []
    model = MenuModel(Messages("ko"), lambda command, **kw: posted.append((command, kw)), lambda: autostart)
    model.status = status
    return model, posted


def _shown(entries: list[Entry]) -> list[tuple[str, bool]]:
    """(label, clickable) of the lines shown, separators as '-'."""
    return [("-", False) if e.separator else (e.label(), (e.action is not None or e.submenu is not None) and e.enabled())
            for e in entries if e.separator or e.visible()]


def _click(model: MenuModel, label: str) -> None:
    entry = next(e for e in model.entries() if not e.separator and e.label() == label)
    assert entry.action is not None
    entry.action()


def test_idle_without_a_baseline():
    model, posted = _menu(TrayStatus("idle", "대기 중: 통화 없음", calibrated=False))
    assert _shown(model.entries()) == [
        ("대기 중: 통화 없음", False), ("-", False), ("측정 시작", True), ("오늘 통화 목록", True),
        ("오늘 전체 보기", True), ("최근 7일", True), ("표정 기준 설정 (권장)…", True), ("-", False),
        ("일시 중지", True), ("데이터 폴더 열기", True), ("로그인 시 시작", True), ("trayagent 정보", True),
        ("-", False), ("끝내기", True)]
    _click(model, "측정 시작")
    _click(model, "끝내기")
    assert [c for c, _kw in posted] == [Command.TOGGLE, Command.STOP]


def test_a_call_the_camera_cannot_see_keeps_the_menu_narrow():
    status = TrayStatus("unseen", "통화 중 00:48: 스트레스 측정 안 됨", in_call=True,
                        hint="카메라에 검은 화면만 보입니다. 카메라가 가려져 있을 수 있습니다", calibrated=True)
    shown = _shown(_menu(status)[0].entries())
    assert shown[:4] == [(status.line, False), (status.hint, False), ("-", False), ("측정 종료", True)]
    assert ("표정 기준 설정…", False) in shown  # not during a call


def test_while_calibrating_and_while_paused():
    calibrating = _shown(_menu(TrayStatus("calibrating", "표정 기준 설정 중", calibrated=False))[0].entries())
    assert ("표정 기준 설정 (권장)…", False) in calibrating
    model, posted = _menu(TrayStatus("paused", "해제할 때까지 일시 중지", paused=True), autostart="managed")
    shown = _shown(model.entries())
    assert ("일시 중지 해제", True) in shown and ("일시 중지", True) not in shown
    assert ("로그인 시 시작 (조직에서 관리)", False) in shown
    pause = next(e for e in _menu(TrayStatus("idle", "대기 중"))[0].entries() if not e.separator and e.label() == "일시 중지")
    assert pause.submenu is not None and [e.label() for e in pause.submenu()] == ["30분", "1시간", "해제할 때까지"]


def test_todays_calls_newest_first_each_opening_its_graph():
    seen = CallSummary("a", T0, T0 + timedelta(seconds=30), 60, 60, 0.3, 0.2, 0.3, seen=1.0)
    blind = CallSummary("b", T0 + timedelta(minutes=5), T0 + timedelta(minutes=6), 120, 0, 0.0, 0.0, 0.0, seen=0.0)
    model, posted = _menu(TrayStatus("idle", "대기 중", today=(seen, blind)))
    calls = next(e for e in model.entries() if not e.separator and e.label() == "오늘 통화 목록")
    assert calls.submenu is not None
    lines = calls.submenu()
    assert [e.label().split(" · ", 1)[1] for e in lines] == ["1분 · 측정 안 됨", "30초 · 약간 높음"]
    lines[1].action()  # type: ignore[misc]
    assert posted == [(Command.OPEN_GRAPH, {"call_id": "a"})]
    assert [e.label() for e in _menu(TrayStatus("idle", "대기 중"))[0].call_entries()] == ["오늘은 아직 통화가 없습니다"]
