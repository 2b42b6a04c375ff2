from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests import videos
from tests.desktop import running_desktop
from tests.pulse import running_pulse

# .ci/run spreads the test files over two workers (pytest-xdist, a file at a time, in collection
# order): the longest go first, so the two finish together (seconds in CI, --durations).
LONGEST_FIRST = ("test_installer.py", "test_installer_policy.py", "test_installer_korean.py", "test_analyze.py",
                 "test_team_daemon.py", "test_visibility.py", "test_team_wine.py", "test_soak.py",
                 "test_damaged_data.py", "test_damage_fuzz.py", "test_calibration.py", "test_faults.py",
                 "test_hostile_media.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


@pytest.fixture(autouse=True)
def home(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own data folder and no machine policy, never the real user's."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TRAYAGENT_HOME", str(home))
    monkeypatch.setenv("TRAYAGENT_POLICY", str(home / "policy.toml"))
    return home


def _need_fer() -> None:
    if not (videos.FER / "publictest.labels.npy").exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"FER2013 not found at {videos.FER}; CI must run with ../shared beside the checkout")
        pytest.skip(f"FER2013 not found at {videos.FER}")


@pytest.fixture(scope="session")
def publictest() -> tuple[np.ndarray, np.ndarray]:
    _need_fer()
    return videos.fer_split("publictest")


@pytest.fixture(scope="session")
def perception():
    from trayagent.perception.pipeline import Perception

    return Perception()


@pytest.fixture(scope="session")
def clear_faces(publictest) -> dict[str, list[np.ndarray]]:
    """FER2013 publictest faces per emotion that a stock Haar detector finds once pasted in a scene,
    so a video of them has a known face in every face frame."""
    import cv2

    from trayagent import paths
    from trayagent.core.emotions import FER7

    cascade = cv2.CascadeClassifier(str(paths.cascade_file()))
    images, labels = publictest
    out: dict[str, list[np.ndarray]] = {name: [] for name in FER7}
    for img, y in zip(images[:800], labels[:800]):
        frame = cv2.cvtColor(videos.paste(videos.background(), img), cv2.COLOR_BGR2GRAY)
        if len(cascade.detectMultiScale(frame, 1.05, 6, minSize=(120, 120))) == 1:
            out[FER7[y]].append(img)
    return out


@pytest.fixture
def pulse(monkeypatch) -> Iterator[Path]:
    """A private PulseAudio with a null source "fakemic" (tests/pulse.py)."""
    yield from running_pulse(monkeypatch)


@pytest.fixture
def desktop(home, tmp_path):
    """Xvfb + a session bus + trayer (tests/desktop.py); yields (environment, processes)."""
    yield from running_desktop()
