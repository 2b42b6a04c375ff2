"""The call state machine: debounced automatic signals, manual override, maximum length."""

from trayagent.core.callstate import CallStateMachine, State, Timing, Transition


def feed(sm, signal, start=0.0, step=0.5):
    """Feed a signal string ('1' on, '0' off) one step apart; return {time: transition}."""
    out = {}
    for i, ch in enumerate(signal):
        t = start + i * step
        tr = sm.update(t, ch == "1")
        if tr:
            out[t] = tr
    return out


def test_a_signal_must_hold_before_a_call_starts():
    sm = CallStateMachine(Timing(start_confirm_s=2, end_confirm_s=3))
    assert feed(sm, "1110") == {}  # 1.5 s of signal: a blip, not a call
    assert sm.state is State.IDLE
    events = feed(sm, "11111", start=10)
    assert events == {12.0: Transition("start", "automatic")}


def test_short_gaps_do_not_end_a_call():
    sm = CallStateMachine(Timing(start_confirm_s=0, end_confirm_s=3))
    feed(sm, "1")
    assert sm.in_call
    assert feed(sm, "00000111", start=1) == {}  # 2.5 s of silence: still the same call
    assert sm.state is State.ACTIVE
    events = feed(sm, "0000000", start=10)
    assert events == {13.0: Transition("end", "automatic")}
    assert sm.state is State.IDLE


def test_manual_start_is_not_ended_by_a_quiet_signal():
    sm = CallStateMachine(Timing(end_confirm_s=1))
    assert sm.start(0) == Transition("start", "manual")
    assert feed(sm, "0" * 20) == {}
    assert sm.in_call
    assert sm.end(10) == Transition("end", "manual")


def test_manual_end_beats_a_busy_softphone_until_it_goes_quiet():
    sm = CallStateMachine(Timing(start_confirm_s=1, end_confirm_s=1))
    feed(sm, "111")
    assert sm.in_call
    assert sm.end(2, auto_on=True) == Transition("end", "manual")
    assert feed(sm, "1" * 20, start=3) == {}  # still on: no restart
    assert feed(sm, "0", start=20) == {}
    assert feed(sm, "111", start=21) == {22.0: Transition("start", "automatic")}  # next call


def test_manual_start_during_an_automatic_call_pins_it_open():
    sm = CallStateMachine(Timing(start_confirm_s=0, end_confirm_s=1))
    feed(sm, "1")
    assert sm.start(1) is None and sm.manual
    assert feed(sm, "0000", start=2) == {}
    assert sm.in_call


def test_toggle():
    sm = CallStateMachine()
    assert sm.toggle(0).action == "start"
    assert sm.toggle(5).action == "end"
    assert sm.toggle(6).action == "start"


def test_end_when_idle_does_nothing():
    sm = CallStateMachine()
    assert sm.end(0) is None and sm.state is State.IDLE


def test_a_call_past_its_maximum_is_ended():
    sm = CallStateMachine(Timing(max_call_s=60))
    sm.start(0)
    assert sm.update(59, False) is None
    assert sm.update(60, False) == Transition("end", "max-duration")
