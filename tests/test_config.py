"""Settings: defaults < machine policy < user file; policy keys stay locked; errors name file and key."""

from __future__ import annotations

import tomllib

import pytest

from trayagent import config
from trayagent.config import ConfigError


@pytest.fixture
def files(tmp_path):
    return tmp_path / "policy.toml", tmp_path / "user.toml"


def test_defaults_without_files(files):
    cfg = config.load(*files)
    assert cfg["camera.fps"] == 2.0
    assert cfg["calls.auto_detect"] is True
    assert cfg.locked == frozenset() and cfg.warnings == ()


def test_user_overrides_defaults(files):
    policy, user = files
    user.write_text("[camera]\nfps = 4\nindex = 1\n")
    cfg = config.load(policy, user)
    assert cfg["camera.fps"] == 4.0 and isinstance(cfg["camera.fps"], float)
    assert cfg["camera.index"] == 1


def test_policy_beats_user_and_says_so(files):
    policy, user = files
    policy.write_text("[privacy]\nretention_days = 30\n[camera]\nfps = 1\n")
    user.write_text("[privacy]\nretention_days = 365\n[ui]\nlanguage = 'ko'\n")
    cfg = config.load(policy, user)
    assert cfg["privacy.retention_days"] == 30
    assert cfg["camera.fps"] == 1.0
    assert cfg["ui.language"] == "ko"  # keys the policy leaves alone stay the user's
    assert ("privacy", "retention_days") in cfg.locked
    assert len(cfg.warnings) == 1 and "privacy.retention_days" in cfg.warnings[0]


@pytest.mark.parametrize("text, expected", [
    ("[camera\nfps = 2", "not valid TOML"),
    ("[camera]\nfps = 'fast'\n", "camera.fps = 'fast' is not allowed; use a number from 0.2 to 15"),
    ("[camera]\nfps = 100\n", "camera.fps = 100 is not allowed"),
    ("[camera]\nindex = -1\n", "camera.index = -1 is not allowed; use an integer from 0 to 63"),
    ("[camera]\nindex = true\n", "camera.index = True is not allowed"),
    ("[camera]\nfsp = 2\n", "unknown key camera.fsp; [camera] has index, backend, fps, warmup_s"),
    ("[cam]\nfps = 2\n", "unknown section [cam]"),
    ("camera = 3\n", "[camera] must be a table"),
    ("[ui]\nlanguage = 'fr'\n", 'ui.language = \'fr\' is not allowed; use one of "auto", "en", "ko"'),
    ("[calls]\nsoftphones = 'microsip.exe'\n", "use a list of strings"),
    ("[stress]\ncalm_below = 0.9\nalert_from = 0.5\n", "calm_below (0.9) must not exceed stress.alert_from (0.5)"),
])
def test_bad_user_file_is_reported_with_file_and_key(files, text, expected):
    policy, user = files
    user.write_text(text)
    with pytest.raises(ConfigError) as e:
        config.load(policy, user)
    assert str(user) in str(e.value)
    assert expected in str(e.value)


def test_bad_policy_is_reported_as_the_policy(files):
    policy, user = files
    policy.write_text("[camera]\nbackend = 'firewire'\n")
    with pytest.raises(ConfigError, match="policy.toml: camera.backend = 'firewire' is not allowed"):
        config.load(policy, user)


def test_unreadable_file_is_reported(files):
    policy, user = files
    user.mkdir()  # a folder where the file should be
    with pytest.raises(ConfigError, match="user.toml: cannot read"):
        config.load(policy, user)


def test_default_file_is_valid_toml_documenting_every_setting(files):
    policy, user = files
    text = config.default_text()
    assert tomllib.loads(text).keys() == config.SETTINGS.keys()
    user.write_text(text)
    assert config.load(policy, user).values == config.load(*files).values
    for section, keys in config.SETTINGS.items():
        for key in keys:
            assert f"# {key} = " in text
    # uncommenting a line gives a valid setting
    user.write_text(text.replace("# fps = 2.0", "fps = 3.0"))
    assert config.load(policy, user)["camera.fps"] == 3.0


def test_thresholds_come_from_config(files):
    policy, user = files
    user.write_text("[stress]\ncalm_below = 0.1\nalert_from = 0.3\n")
    t = config.load(policy, user).thresholds
    assert (t.calm_below, t.alert_from) == (0.1, 0.3)
