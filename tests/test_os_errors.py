"""Why the system refused a file, in the reader's language: English keeps the system's own words,
Korean gets a Korean reason for the common errors, from real failures of real file operations."""

from __future__ import annotations

import errno
import os
import re

import pytest

from tests.korean import HANGUL
from trayagent import i18n, os_errors, settings_file
from trayagent.config import ConfigError


@pytest.fixture
def korean():
    i18n.use("ko")
    yield
    i18n.use("auto")


def _error(action) -> OSError:
    try:
        action()
    except OSError as e:
        return e
    raise AssertionError("the operation did not fail")


def _through_a_file(tmp) -> OSError:
    (tmp / "file").write_text("x")
    return _error(lambda: open(tmp / "file" / "x", "rb"))  # it fails: nothing to close


@pytest.mark.parametrize("make", [
    lambda tmp: _error(lambda: open(tmp / "missing.toml", "rb")),  # noqa: SIM115 - ENOENT: nothing to close
    lambda tmp: _error(lambda: open(tmp, "rb")),  # noqa: SIM115 - EISDIR (EACCES on Windows)
    _through_a_file,  # ENOTDIR
    lambda tmp: _error(lambda: os.mkdir(tmp)),  # EEXIST
], ids=["missing", "folder", "through a file", "exists"])
def test_common_errors_read_korean_and_keep_the_systems_words_in_english(make, tmp_path, korean):
    e = make(tmp_path)
    assert e.errno in (errno.ENOENT, errno.EISDIR, errno.EACCES, errno.ENOTDIR, errno.EEXIST)
    ko = os_errors.reason(e)
    assert HANGUL.search(ko) and not re.search(r"[A-Za-z]", ko), ko
    i18n.use("en")
    assert os_errors.reason(e) == e.strerror


def test_a_settings_file_that_cannot_be_read_says_why_in_korean(tmp_path, korean):
    with pytest.raises(ConfigError) as e:
        settings_file.read(tmp_path / "config.toml")
    assert str(e.value) == f"{tmp_path / 'config.toml'}: 읽을 수 없습니다 (파일이나 폴더가 없음)"


def test_a_file_held_by_another_program_on_windows_is_not_a_permission_problem(korean):
    # Windows reports a sharing violation as EACCES with its own code 32 beside it.
    e = PermissionError(errno.EACCES, "다른 프로세스가 파일을 사용 중이기 때문에 프로세스가 액세스 할 수 없습니다")
    e.winerror = 32  # type: ignore[attr-defined]  # set by Python on Windows only
    assert os_errors.reason(e) == "다른 프로그램이 사용 중"
    assert os_errors.reason(PermissionError(errno.EACCES, "Permission denied")) == "접근 권한이 없음"


def test_a_rare_error_keeps_the_systems_words(korean):
    assert os_errors.reason(OSError(errno.EINVAL, "Invalid argument")) == "Invalid argument"
    assert os_errors.reason(OSError("no errno at all")) == "no errno at all"
