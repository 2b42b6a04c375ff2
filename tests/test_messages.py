"""The daemon's named texts: English and Korean, chosen from the OS locale unless the settings say otherwise."""

import string

import pytest

from trayagent.messages import TEXT, Messages, system_language


def test_every_named_text_is_translated_with_the_same_fields():
    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    ko = Messages("ko")
    for key, english in TEXT.items():
        if key != "app" and any(c.isalpha() for c in english.format(**dict.fromkeys(fields(english), ""))):
            assert ko.gettext(english) != english, key
        assert fields(english) == fields(ko.gettext(english)), key


@pytest.mark.parametrize("lang, expected", [("ko_KR.UTF-8", "ko"), ("en_US.UTF-8", "en"), ("de_DE.UTF-8", "en")])
def test_language_follows_the_locale(monkeypatch, lang, expected):
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", lang)
    assert system_language() == expected
    assert Messages("auto").language == expected


def test_settings_override_the_locale(monkeypatch):
    monkeypatch.setenv("LC_ALL", "ko_KR.UTF-8")
    assert Messages("en")("idle") == "Idle: no call"
    assert Messages("auto")("idle") == "대기 중: 통화 없음"
    assert Messages("ko")("on_call", elapsed="01:00", band=Messages("ko")("stress_alert"), level="0.74") == \
        "통화 중 01:00: 스트레스 높음 (0.74)"
