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
    ("[camera]\nfps = 'fast'\n", "camera.fps = 'fast' is not allowed; use a number from 0.2 to 15"),
    ("[camera]\nfps = 100\n", "camera.fps = 100 is not allowed"),
    ("[camera]\nindex = -1\n", "camera.index = -1 is not allowed; use an integer from 0 to 63"),
    ("[camera]\nindex = true\n", "camera.index = True is not allowed"),
    ("[camera]\nfsp = 2\n", "unknown key camera.fsp; [camera] has index, backend, fps, warmup_s"),
    ("[cam]\nfps = 2\n", "unknown section [cam]"),
    ("camera = 3\n", "[camera] must be a table"),
    ("[ui]\nlanguage = 'fr'\n", 'ui.language = \'fr\' is not allowed; use one of "auto", "en", "ko"'),
    ("[calls]\nsoftphones = 'microsip.exe'\n", "use a list of at most 256 strings"),
    ("[stress]\ncalm_below = 0.9\nalert_from = 0.5\n", "calm_below (0.9) must not exceed stress.alert_from (0.5)"),
])
def test_a_bad_user_value_is_reported_with_file_and_key_and_falls_back_alone(files, text, expected):
    policy, user = files
    policy.write_text("[privacy]\nretention_days = 30\n")
    user.write_text(text + "\n[calls]\nmin_call_s = 9\n" if "[calls]" not in text else text)
    cfg = config.load(policy, user)
    assert cfg.problem and str(user) in cfg.problem and expected in cfg.problem
    assert any(expected in w for w in cfg.warnings)
    assert cfg["privacy.retention_days"] == 30  # the policy holds
    for (section, key), setting in ((k, config.SETTINGS[k[0]][k[1]]) for k in
                                    [("camera", "fps"), ("camera", "index"), ("ui", "language"), ("stress", "calm_below")]):
        assert cfg[f"{section}.{key}"] == setting.default  # the bad value fell back
    if "[calls]" not in text:
        assert cfg["calls.min_call_s"] == 9.0  # the user's good values stay


def test_a_user_file_that_is_not_toml_is_ignored_but_the_policy_holds(files):
    policy, user = files
    policy.write_text("[privacy]\nretention_days = 30\n")
    user.write_text("[camera\nfps = 2")
    cfg = config.load(policy, user)
    assert "not valid TOML" in cfg.problem and str(user) in cfg.problem
    assert cfg["privacy.retention_days"] == 30


def test_a_bad_user_value_cannot_drop_the_policy(files, monkeypatch):
    """Issue 12, 15: `language = "kr"` made the daemon run on pure defaults, dropping IT's retention."""
    policy, user = files
    policy.write_text("[privacy]\nretention_days = 30\n")
    user.write_text("[ui]\nlanguage = 'kr'\n[privacy]\nretention_days = 3650\n")
    monkeypatch.setattr(config.paths, "policy_file", lambda: policy)
    monkeypatch.setattr(config.paths, "config_file", lambda: user)
    cfg = config.load_or_defaults()
    assert cfg["privacy.retention_days"] == 30 and ("privacy", "retention_days") in cfg.locked
    assert cfg["ui.language"] == "auto"
    assert "ui.language = 'kr' is not allowed" in cfg.problem


def test_a_refused_policy_value_stays_locked_at_the_default(files, monkeypatch):
    policy, user = files
    policy.write_text("[privacy]\nretention_days = -5\n[camera]\nfps = 1\n")
    user.write_text("[privacy]\nretention_days = 0\n")
    with pytest.raises(ConfigError, match="retention_days = -5 is not allowed"):
        config.load(policy, user)  # the installer's check of a policy stays strict
    monkeypatch.setattr(config.paths, "policy_file", lambda: policy)
    monkeypatch.setattr(config.paths, "config_file", lambda: user)
    cfg = config.load_or_defaults()
    assert cfg["privacy.retention_days"] == 90 and ("privacy", "retention_days") in cfg.locked
    assert cfg["camera.fps"] == 1.0
    assert "policy.toml: privacy.retention_days = -5 is not allowed" in cfg.problem


def test_an_unreadable_policy_leaves_defaults_and_never_the_users_file(files, monkeypatch):
    policy, user = files
    policy.write_bytes(b"\xff\xff\xff not text")
    user.write_text("[privacy]\nretention_days = 0\n")
    monkeypatch.setattr(config.paths, "policy_file", lambda: policy)
    monkeypatch.setattr(config.paths, "config_file", lambda: user)
    cfg = config.load_or_defaults()
    assert cfg["privacy.retention_days"] == 90
    assert "policy.toml" in cfg.problem and "UTF-8" in cfg.problem


def test_trayagent_policy_cannot_replace_the_machine_policy(tmp_path, monkeypatch):
    """Any user can set TRAYAGENT_POLICY: it may stand in where IT set no policy (tests), never replace IT's."""
    from trayagent import paths

    machine = tmp_path / "machine" / "policy.toml"
    mine = tmp_path / "mine.toml"
    monkeypatch.setattr(paths, "machine_policy_file", lambda: machine)
    monkeypatch.setenv("TRAYAGENT_POLICY", str(mine))
    assert paths.policy_file() == mine  # no machine policy: the variable stands in
    machine.parent.mkdir()
    machine.write_text("[privacy]\nretention_days = 30\n")
    mine.write_text("")
    assert paths.policy_file() == machine
    cfg = config.load()
    assert cfg["privacy.retention_days"] == 30
    assert any("TRAYAGENT_POLICY is ignored" in w for w in cfg.warnings)


@pytest.mark.parametrize("encoding, data", [
    ("UTF-8 with BOM", "\ufeff[privacy]\r\nretention_days = 30\r\n[model]\r\npath = 'C:\\Users\\김민수\\m.onnx'\r\n".encode("utf-8")),
    ("UTF-16 LE with BOM", "\ufeff[privacy]\r\nretention_days = 30\r\n[model]\r\npath = 'C:\\Users\\김민수\\m.onnx'\r\n".encode("utf-16-le")),
    ("UTF-16 BE with BOM", "\ufeff[privacy]\nretention_days = 30\n[model]\npath = 'C:\\Users\\김민수\\m.onnx'\n".encode("utf-16-be")),
    ("CP949", "# 설정\n[privacy]\nretention_days = 30\n[model]\npath = 'C:\\Users\\김민수\\m.onnx'\n".encode("cp949")),
], ids=["utf8-bom", "utf16le-bom", "utf16be-bom", "cp949"])
def test_settings_files_as_windows_editors_save_them_are_read(files, encoding, data):
    """Issue 11, 3: Notepad (BOM, ANSI = CP949 on Korean Windows) and PowerShell 5.1 (UTF-16)."""
    policy, user = files
    policy.write_bytes(data)
    user.write_bytes(data)
    cfg = config.load(policy, user)
    assert cfg["privacy.retention_days"] == 30 and ("privacy", "retention_days") in cfg.locked
    assert cfg["model.path"] == "C:\\Users\\김민수\\m.onnx"


@pytest.mark.parametrize("data, expected", [
    ("[privacy]\nretention_days = 30\n".encode("utf-16-le"), "UTF-16 without a byte-order mark"),
    (b"[privacy]\nretention_days = 30\n# \xff\xfe\xff\n", "neither UTF-8 nor CP949"),
], ids=["utf16-no-bom", "not-text"])
def test_undecodable_policy_is_refused_with_file_and_encoding(files, data, expected):
    policy, user = files
    policy.write_bytes(data)
    with pytest.raises(ConfigError) as e:
        config.load(policy, user)
    assert str(policy) in str(e.value) and expected in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("text, expected", [
    ("[calls]\nsoftphones = " + "[" * 100_000 + "]" * 100_000 + "\n", "softphones: values nested too deeply"),
    ("[calls]\nhotkey = '" + "x" * 10_000_000 + "'\n", "calls.hotkey = 'xxxx"),
    ("[model]\npath = '" + "x" * 5000 + "'\n", "model.path = 'xxx"),
    ("[camera]\n" + "k" * 100_000 + " = 1\n", "unknown key camera.kkk"),
], ids=["nested", "10MB-value", "long-path", "long-key"])
def test_hostile_values_give_one_short_line(files, text, expected):
    """Issue 12, 16: deep arrays, 10 MB values: one short line naming file, key and problem."""
    policy, user = files
    user.write_text(text)
    cfg = config.load(policy, user)
    assert cfg.problem and str(user) in cfg.problem and expected in cfg.problem
    assert len(cfg.problem) < 400 and "\n" not in cfg.problem
    assert cfg.values == config.defaults().values


def test_bad_policy_is_reported_as_the_policy(files):
    policy, user = files
    policy.write_text("[camera]\nbackend = 'firewire'\n")
    with pytest.raises(ConfigError, match="policy.toml: camera.backend = 'firewire' is not allowed"):
        config.load(policy, user)


def test_unreadable_file_is_reported(files):
    policy, user = files
    user.mkdir()  # a folder where the file should be
    assert "user.toml: cannot read" in config.load(policy, user).problem
    policy.mkdir()
    with pytest.raises(ConfigError, match="policy.toml: cannot read"):
        config.load(policy, user)


def test_default_file_is_valid_toml_documenting_every_setting(files):
    policy, user = files
    text = config.default_text()
    assert tomllib.loads(text).keys() == config.SETTINGS.keys()
    user.write_text(text)
    assert config.load(policy, user).values == config.load(*files).values
    for keys in config.SETTINGS.values():
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
