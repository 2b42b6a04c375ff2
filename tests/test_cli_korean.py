"""The CLI in Korean (`ui.language = "ko"`): doctor's checks and advice, `calls`, `status`, `autostart`,
`calibrate`, `delete-data`, every `--help` and argparse's errors leave no English sentence of their own;
what stays as typed is named in tests/korean.py (paths, settings keys, `commands`, --options, product
names), including the details other modules write into doctor's lines (the call signals' and the hotkey's
probes), and here for argparse (command and argument names, metavars, choices)."""

from __future__ import annotations

import re

import pytest

from tests.helpers import cli
from tests.korean import HANGUL
from tests.korean import english_left as _english
from tests.videos import make_set

pytestmark = pytest.mark.slow  # every case runs trayagent as a process of its own


@pytest.fixture
def korean(home):
    (home / "config.toml").write_text('[ui]\nlanguage = "ko"\n', encoding="utf-8")
    return home


def test_doctor_speaks_korean(korean):
    r = cli("doctor", "--no-camera")
    lines = r.stdout.splitlines()
    assert len(lines) >= 8, r.stdout
    for line in lines:
        fix = line.startswith("      -> ")
        if not fix:
            m = re.match(r"\[(정상|조치)\] ([^:]+): (.*)$", line)
            assert m, f"not a Korean check line: {line!r}"
            assert HANGUL.search(m[2]), f"check name in English: {line!r}"
        assert not _english(line, korean), f"English left in {line!r}: {_english(line, korean)}"
    # The same run in English is unchanged, and the JSON keeps the English check names as keys.
    (korean / "config.toml").write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    assert "[ok ] calibration: none (optional: `trayagent calibrate` fits the model to your face)" in \
        cli("doctor", "--no-camera").stdout


def test_doctor_advice_in_korean_when_something_is_wrong(korean):
    (korean / "config.toml").write_text('[ui]\nlanguage = "ko"\n[model]\npath = "nowhere.onnx"\n',
                                        encoding="utf-8")
    r = cli("doctor", "--no-camera")
    assert r.returncode == 1
    assert "[조치] 모델:" in r.stdout
    fix = r.stdout.split("[조치] 모델:")[1].splitlines()[1]
    assert fix.startswith("      -> ") and HANGUL.search(fix) and not _english(fix, korean), fix


def test_records_and_control_commands_speak_korean(korean):
    for args, code in ((("calls",), 0), (("status",), 3), (("stop",), 0), (("autostart", "status"), 0),
                       (("calibrate", "--reset"), 0), (("calibrate", "--show"), 1), (("delete-data",), 1)):
        r = cli(*args)
        out = (r.stdout + r.stderr).strip()
        assert r.returncode == code, (args, out)
        assert HANGUL.search(out) and not _english(out, korean), (args, out)


def test_evaluate_and_a_broken_setting_speak_korean(korean, tmp_path, publictest):
    from trayagent.core.emotions import FER7

    images, labels = publictest
    faces = {name: list(images[labels == FER7.index(name)][:2]) for name in ("happy", "neutral", "sad")}
    folder = make_set(tmp_path / "내 사진", faces)
    r = cli("evaluate", str(folder))
    assert r.returncode == 0 and HANGUL.search(r.stdout), r.stderr
    assert not _english(r.stdout.replace(str(folder), ""), korean), _english(r.stdout, korean)
    r = cli("evaluate", str(tmp_path / "없는 폴더"))
    assert r.returncode == 1 and HANGUL.search(r.stderr) and not _english(r.stderr.replace(str(tmp_path), ""), korean)
    (korean / "config.toml").write_text('[ui]\nlanguage = "ko"\n[camera]\nfps = 0\n', encoding="utf-8")
    r = cli("doctor", "--no-camera")
    [line] = [x for x in r.stdout.splitlines() if "camera.fps" in x]
    assert line.startswith("[조치]") and not _english(line, korean), line


def test_a_bad_hotkey_is_named_in_korean(korean):
    from trayagent.platform.hotkey.spec import KEYS, MODIFIER_ALIASES

    (korean / "config.toml").write_text('[ui]\nlanguage = "ko"\n[calls]\nhotkey = "ctrl+alt+nokey"\n', encoding="utf-8")
    r = cli("doctor", "--no-camera")
    [line] = [x for x in r.stdout.splitlines() if x.startswith("[조치] 단축키:")]
    assert 'calls.hotkey = "ctrl+alt+nokey"' in line and '"nokey"' in line, line  # the value as typed
    keys = "|".join(sorted({*KEYS, *MODIFIER_ALIASES, "nokey"}, key=len, reverse=True))
    left = _english(re.sub(rf"(?<![A-Za-z])({keys})(?![A-Za-z])", "", line), korean)
    assert HANGUL.search(line) and not left, f"English left in {line!r}: {left}"


def test_a_settings_file_that_is_not_toml_says_where_in_korean(home):
    """A Korean Windows user's broken config.toml: the language comes from the system, the place of
    the mistake in Korean words."""
    import os

    (home / "config.toml").write_text('[ui\nlanguage = "ko"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    r = cli("doctor", "--no-camera", env={**env, "LC_MESSAGES": "ko_KR.UTF-8"})
    [line] = [x for x in r.stdout.splitlines() if x.startswith("[조치] 설정:")]
    assert "1번째 줄 4번째 글자" in line and not _english(line, home), line


def test_refusals_from_the_library_speak_korean(korean, tmp_path):
    """Errors raised below the commands reach a Korean reader whole: the command channel's (no
    daemon), a video's, the graph's output format, and doctor's model and calibration lines."""
    r = cli("call", "start")
    assert r.returncode == 1 and r.stderr.startswith("trayagent: 오류: ") and not _english(r.stderr, korean), r.stderr
    for args in (("analyze", str(tmp_path / "없는 통화.mp4")), ("graph", "--today", "--out", str(tmp_path / "a.xyz"))):
        r = cli(*args)
        out = re.sub(r"\.[a-z]+\b", "", r.stderr.replace(args[-1], ""))  # the path and file types as typed
        assert r.returncode == 1 and HANGUL.search(out) and not _english(out, korean), (args, out)
    (korean / "config.toml").write_text(f'[ui]\nlanguage = "ko"\n[model]\npath = "{tmp_path.as_posix()}"\n',
                                        encoding="utf-8")
    (korean / "calibration.json").write_text("{damaged", encoding="utf-8")
    r = cli("doctor", "--no-camera")
    lines = [x for x in r.stdout.splitlines() if x.startswith(("[조치] 모델:", "[조치] 표정 기준:"))]
    assert len(lines) == 2, r.stdout
    for line in lines:
        assert not _english(line.replace(str(tmp_path), ""), korean), line


def test_a_value_the_policy_sets_is_named_in_korean(korean):
    (korean / "policy.toml").write_text("[privacy]\nretention_days = 30\n", encoding="utf-8")
    (korean / "config.toml").write_text('[ui]\nlanguage = "ko"\n[privacy]\nretention_days = 10\n', encoding="utf-8")
    [line] = [x for x in cli("doctor", "--no-camera").stdout.splitlines() if x.startswith("[정상] 설정:")]
    assert "privacy.retention_days" in line and not _english(line, korean), line


def _typed_words() -> str:
    """A regex of the words argparse shows as they are typed: command names, argument names and
    metavars (COMMAND, VIDEO, OUT, ...) and choices, taken from the parser itself; and the emotion
    folder names `evaluate` reads."""
    import argparse

    from trayagent.cli import build_parser
    from trayagent.core.emotions import FER7

    words: set[str] = set(FER7)
    parsers = [build_parser()]
    while parsers:
        for action in parsers.pop()._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
            shown = action.metavar or (action.dest.upper() if action.option_strings else action.dest)
            for value in (shown, *(action.choices or ())):
                words |= set(re.findall(r"[A-Za-z]+", value or ""))
    return rf"(?<![A-Za-z])({'|'.join(sorted(words, key=len, reverse=True))})(?![A-Za-z])"


def _english_in_cli_text(text: str, home) -> set[str]:
    """English left in argparse's output, less what stays as typed; "README: Export" names a
    section of the English README."""
    return _english(re.sub(_typed_words(), "", re.sub(r"README:\s+Export", "", text)), home)


def _commands() -> list[str]:
    import argparse

    from trayagent.cli import build_parser

    [sub] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return list(sub.choices)


@pytest.mark.parametrize("command", [None, *_commands()])
def test_help_speaks_korean(korean, command):
    r = cli(*([command] if command else []), "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"사용법: trayagent{' ' + command if command else ''} [-h]"), r.stdout
    assert "\n옵션:\n" in r.stdout and "이 도움말을 보여 주고 끝냅니다" in r.stdout, r.stdout
    left = _english_in_cli_text(r.stdout, korean)
    assert not left, f"English left in `{command} --help`: {left}\n{r.stdout}"


@pytest.mark.parametrize("args, said", [
    (("analyze",), "trayagent analyze: 오류: 다음 인수가 필요합니다: video"),
    (("분석",), "trayagent: 오류: 인수 COMMAND: 잘못된 선택: '분석'"),
    (("call", "시작"), "trayagent call: 오류: 인수 action: 잘못된 선택: '시작'"),
    (("status", "--bogus"), "trayagent: 오류: 알 수 없는 인수: --bogus"),
    (("graph", "--out"), "trayagent graph: 오류: 인수 --out: 값이 하나 있어야 합니다"),
    (("graph", "--da", "1"), "trayagent graph: 오류: 모호한 옵션: --da"),
    (("calls", "--days", "x"), "trayagent calls: 오류: 인수 --days: 'x'은(는) 올바른 숫자가 아닙니다"),
    (("pause", "x"), "trayagent pause: 오류: 인수 minutes: 'x'은(는) 숫자가 아닙니다"),
    (("pause", "0"), "trayagent pause: 오류: 인수 minutes: 0은(는) 0보다 크고 1000보다 작아야 합니다"),
    (("calls", "--json=네"), "trayagent calls: 오류: 인수 --json: 값을 받지 않는 옵션입니다: '네'"),
])
def test_argument_errors_speak_korean(korean, args, said):
    r = cli(*args)
    assert r.returncode == 2 and r.stderr.startswith("사용법: trayagent"), r.stderr
    last = r.stderr.splitlines()[-1]
    assert last.startswith(said), last
    assert not _english_in_cli_text(r.stderr, korean), (args, r.stderr)


def test_help_and_errors_in_english_are_unchanged(home):
    import os

    (home / "config.toml").write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    wide = {**os.environ, "COLUMNS": "200"}  # argparse wraps to the terminal: one help to a line
    out = cli("--help", env=wide).stdout.splitlines()
    assert out[:3] == ["usage: trayagent [-h] [--version] COMMAND ...", "",
                       "Per-call stress at a glance: webcam expression -> stress index, in the tray."]
    for line in ("positional arguments:", "options:", "  -h, --help   show this help message and exit",
                 "  --version    show program's version number and exit",
                 "    export     your own calls over a range of days, as CSV or JSON (README: Export)",
                 "Start with `trayagent run`; `trayagent doctor` checks the set-up."):
        assert line in out
    out = cli("evaluate", "--help", env=wide).stdout.splitlines()
    assert "  dir                 folder with sub-folders named angry, disgust, fear, happy, sad, surprise, " \
           "neutral" in out, out
    out = cli("analyze", "--help", env=wide).stdout.splitlines()
    assert "  --out OUT         folder for VIDEO.csv and VIDEO.png (default: here)" in out, out
    r = cli("analyze", env=wide)
    assert r.stderr.splitlines()[-1] == "trayagent analyze: error: the following arguments are required: video"
    r = cli("pause", "0", env=wide)
    assert r.stderr.splitlines()[-1] == "trayagent pause: error: argument minutes: 0 must be above 0 and below 1000"


def test_korean_help_fits_the_terminal(korean):
    """A Hangul syllable takes two columns on a terminal: Korean help is wrapped to the screen's width,
    not to its number of characters, and the usage's lines stay under its first argument."""
    import os
    import unicodedata

    def columns(line: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)

    for args in (("--help",), ("evaluate", "--help"), ("graph", "--help"), ("calls", "--help")):
        lines = cli(*args, env={**os.environ, "COLUMNS": "60"}).stdout.splitlines()
        wide = [line for line in lines if columns(line) > 60]
        assert not wide, (args, wide)
        first = lines[0].index("[-h]")
        continued = lines[1:lines.index("")]
        assert all(columns(lines[0][:first]) == len(line) - len(line.lstrip()) for line in continued), lines
