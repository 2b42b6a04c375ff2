"""The call state machine: debounced automatic signals, manual override, maximum length."""

from trayagent.core.callstate import CallStateMachine, Reading, State, Timing, Transition


def feed(sm, signal, start=0.0, step=0.5, actions=("start", "end")):
    """Feed a signal string one step apart: '0' off, '1' on, a letter on through the capture stream
    of that name. Returns {time: transition} for the given actions (by default calls starting and ending)."""
    out = {}
    for i, ch in enumerate(signal):
        t = start + i * step
        reading = Reading(ch != "0", frozenset({ch}) if ch.isalpha() else frozenset())
        tr = sm.update(t, reading)
        if tr and tr.action in actions:
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


# --- calls as they happened: dated edges, quiet stretches, one call per capture stream -----------

def test_a_call_is_dated_from_the_rise_to_the_fall_not_by_the_debounce():
    sm = CallStateMachine(Timing(start_confirm_s=2, end_confirm_s=3))
    events = feed(sm, "0" * 4 + "1" * 20 + "0" * 10, step=0.5)
    start, end = events[4.0], events[15.0]  # confirmed 2 s after the first on poll, 3 s after the first off
    assert start == Transition("start", "automatic") and end == Transition("end", "automatic")
    # the signal rose between the polls at 1.5 and 2.0 and fell between 11.5 and 12.0
    assert start.at == 1.75 and end.at == 11.75


def test_the_quiet_stretch_is_announced_and_so_is_the_signal_coming_back():
    sm = CallStateMachine(Timing(start_confirm_s=0, end_confirm_s=3))
    events = feed(sm, "1" * 4 + "000" + "11" + "0" * 8, actions=("start", "end", "quiet", "back"))
    assert [(t, e.action, e.at) for t, e in events.items()] == [
        (0.0, "start", 0.0), (2.0, "quiet", 1.75), (3.5, "back", 3.5), (4.5, "quiet", 4.25), (7.5, "end", 4.25)]


def test_a_manual_start_during_the_quiet_stretch_brings_the_call_back():
    sm = CallStateMachine(Timing(start_confirm_s=0, end_confirm_s=3))
    feed(sm, "110")
    assert sm.state is State.ENDING
    assert sm.start(1.2) == Transition("back", "manual")
    assert sm.state is State.ACTIVE and sm.manual


def test_ending_a_quiet_call_by_hand_dates_it_to_when_it_went_quiet():
    sm = CallStateMachine(Timing(start_confirm_s=0, end_confirm_s=3))
    feed(sm, "11110")
    assert sm.end(2.5).at == 1.75


def test_two_calls_a_second_apart_are_two_calls():
    """Auto-answer: the first call's stream a closes, one poll reads quiet, stream b opens."""
    sm = CallStateMachine(Timing(start_confirm_s=2, end_confirm_s=3))
    events = feed(sm, "0" + "a" * 20 + "00" + "b" * 20 + "0" * 8, step=0.5)
    assert [(t, e.action, e.reason, e.at) for t, e in events.items()] == [
        (2.5, "start", "automatic", 0.25),
        (11.5, "end", "next-call", 10.25),  # b seen: a's call ended when its signal went quiet
        (13.5, "start", "automatic", 11.25),  # b held 2 s: a call dated from b's rise
        (24.5, "end", "automatic", 21.25)]


def test_a_new_stream_between_two_polls_ends_the_call_at_once():
    """No quiet poll at all between the calls: the streams' ids alone tell them apart."""
    sm = CallStateMachine(Timing(start_confirm_s=1, end_confirm_s=3))
    events = feed(sm, "a" * 10 + "b" * 10 + "0" * 8, step=1.0)
    assert [(t, e.action, e.reason, e.at) for t, e in events.items()] == [
        (1.0, "start", "automatic", 0.0), (10.0, "end", "next-call", 9.5), (11.0, "start", "automatic", 9.5),
        (23.0, "end", "automatic", 19.5)]


def test_a_stream_added_to_a_call_or_outliving_its_first_one_is_the_same_call():
    sm = CallStateMachine(Timing(start_confirm_s=0, end_confirm_s=3))
    sm.update(0, Reading(True, frozenset({"a"})))
    for t, streams in [(1, {"a", "b"}), (2, {"b"}), (3, {"b"})]:  # e.g. an echo canceller's second input
        assert sm.update(t, Reading(True, frozenset(streams))) is None
    assert sm.state is State.ACTIVE


def test_a_signal_without_stream_ids_never_splits_a_call():
    sm = CallStateMachine(Timing(start_confirm_s=0, end_confirm_s=3))
    feed(sm, "a")
    assert feed(sm, "1111", start=1) == {} and sm.state is State.ACTIVE


def test_a_call_started_by_hand_is_not_split_by_new_streams():
    sm = CallStateMachine(Timing(start_confirm_s=0, end_confirm_s=3))
    sm.start(0)
    assert feed(sm, "aaabbb", start=1) == {} and sm.in_call


def test_a_call_ended_by_hand_is_followed_by_the_next_streams_call():
    sm = CallStateMachine(Timing(start_confirm_s=1, end_confirm_s=3))
    feed(sm, "aaaa")
    assert sm.end(2.0, auto_on=True).action == "end"
    assert feed(sm, "aaaa", start=2.5) == {}  # still the stream ended by hand
    assert feed(sm, "bbbb", start=4.5) == {5.5: Transition("start", "automatic")}


def test_evidence_that_held_before_it_was_reported_dates_the_start_back():
    """The UDP fallback only reports a rise once it has outlasted ringing."""
    sm = CallStateMachine(Timing(start_confirm_s=2, end_confirm_s=3))
    sm.update(0, False)
    tr = sm.update(1, Reading(True, held_s=30))
    assert tr == Transition("start", "automatic") and tr.at == -29


def test_a_call_on_hold_waits_out_the_hold_window_and_resumes_as_the_same_call():
    sm = CallStateMachine(Timing(start_confirm_s=0, end_confirm_s=3, hold_s=60))
    rtp = "udp 7950 0.0.0.0:30416"  # the call's media socket, named among its streams
    assert sm.update(0, Reading(True, frozenset({"pactl:1", rtp}))) == Transition("start", "automatic")
    assert sm.update(10, Reading(False, on_hold=True)) == Transition("quiet", "automatic")
    assert all(sm.update(t, Reading(False, on_hold=True)) is None for t in range(11, 65))  # 55 s on hold
    assert sm.update(65, Reading(True, frozenset({"pactl:2", rtp}))) == Transition("back", "automatic")
    assert sm.update(66, Reading(True, frozenset({"pactl:2", rtp}))) is None
    assert sm.update(67, Reading(False)) == Transition("quiet", "automatic")  # hung up: its sockets closed
    ended = sm.update(70, Reading(False))
    assert ended == Transition("end", "automatic") and ended.at == 66.5


def test_a_hold_longer_than_the_window_ends_the_call_when_the_microphone_went_quiet():
    sm = CallStateMachine(Timing(start_confirm_s=0, end_confirm_s=3, hold_s=60))
    sm.update(0, Reading(True, frozenset({"pactl:1", "udp 1 0.0.0.0:30416"})))
    sm.update(9, Reading(True, frozenset({"pactl:1", "udp 1 0.0.0.0:30416"})))
    sm.update(10, Reading(False, on_hold=True))
    assert all(sm.update(t, Reading(False, on_hold=True)) is None for t in range(11, 70))
    ended = sm.update(70, Reading(False, on_hold=True))
    assert ended == Transition("end", "automatic") and ended.at == 9.5
