"""Softphones are recognised by name family: Debian's Linphone runs as linphonec or linphone-daemon."""

import pytest

from trayagent import config
from trayagent.signals.processes import name_key
from trayagent.signals.softphone import in_family

DEFAULTS = frozenset(name_key(s) for s in config.SOFTPHONES)


@pytest.mark.parametrize("process", ["linphonec", "linphone-daemon", "linphonecsh", "Linphone.exe", "baresip",
                                     "zoiper5", "Zoiper5.exe", "MicroSIP.exe", "ms-teams.exe", "jami",
                                     "3CXDesktopApp.exe", "twinkle"])
def test_todays_softphones_are_recognised(process):
    assert in_family(name_key(process), DEFAULTS)


@pytest.mark.parametrize("process", ["zoomit.exe", "python3", "pulseaudio", "teamsbot", "bash", "firefox",
                                     "linphonebook", "microsoft.photos.exe"])
def test_other_programs_are_not(process):
    assert not in_family(name_key(process), DEFAULTS)
