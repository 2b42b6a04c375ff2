"""Following a face through a call (issue 21, item 3): after the first frame, Haar searches only
where the face's look went, and the boxes it gives are the boxes a full search gives."""

from __future__ import annotations

import numpy as np
import pytest

from tests import videos
from trayagent.perception.cv import cv2
from trayagent.perception.face_look import FaceLook
from trayagent.perception.faces import FaceDetector, face_detector


class CountingCascade:
    """The real cascade, noting the size of every image Haar is asked to search."""

    def __init__(self, cascade: cv2.CascadeClassifier) -> None:
        self.cascade, self.searched = cascade, []

    def detectMultiScale(self, image, **kw):
        self.searched.append(image.shape[:2])
        return self.cascade.detectMultiScale(image, **kw)


def grey(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


@pytest.fixture(scope="module")
def seated() -> list[np.ndarray]:
    """The astronaut as a seated agent: 30 frames, moving up to 20 pixels and nodding in size."""
    scene, face = videos.background(), videos.astronaut()
    return [grey(videos.paste(scene, face, height=210 + 6 * (i % 3), centre=(300 + 5 * (i % 5), 220 + 4 * (i % 4))))
            for i in range(30)]


def test_after_the_first_frame_haar_searches_only_where_the_face_went(seated):
    det = FaceDetector(track=True)
    spy = det._cascade = CountingCascade(det._cascade)
    assert det.detect(seated[0]) is not None
    spy.searched.clear()
    assert all(det.detect(g) is not None for g in seated[1:])
    # Around the last face the search is 2 faces wide; where its look went, 1.3 (1 + 2 x LOOK_PAD).
    # A miss there falls back to the wider search in the same frame.
    spot = det.TRACK_WIDTH * 1.3 + 2
    only_spot = len(seated) - 1 - sum(max(shape) > spot for shape in spy.searched)
    assert only_spot >= 0.8 * (len(seated) - 1), spy.searched


def test_tracked_boxes_are_the_boxes_of_a_full_search(seated):
    tracked, full = FaceDetector(track=True), FaceDetector()
    sizes, offsets = [], []
    for g in seated:
        a, b = tracked.detect(g), full.detect(g)
        assert a is not None
        if b is None:  # the full search at half size misses a frame now and then
            continue
        sizes.append(a.w / b.w)
        offsets.append(max(abs((a.x + a.w / 2) - (b.x + b.w / 2)), abs((a.y + a.h / 2) - (b.y + b.h / 2))) / b.w)
    assert 0.95 <= float(np.median(sizes)) <= 1.05, sizes  # no drift to larger or smaller faces
    assert min(sizes) >= 0.85 and max(sizes) <= 1.15
    assert len(sizes) >= 0.8 * len(seated) and max(offsets) < 0.08


def test_a_face_that_moved_far_is_found_where_it_is_now():
    scene, face = videos.background(), videos.astronaut()
    det = face_detector(video=True)
    assert det.detect(grey(videos.paste(scene, face, height=200, centre=(180, 220)))) is not None
    box = det.detect(grey(videos.paste(scene, face, height=200, centre=(470, 260))))
    assert box is not None and abs(box.x + box.w / 2 - 470) < 40


def test_a_face_that_left_leaves_no_box_behind(seated):
    det = face_detector(video=True)
    assert all(det.detect(g) is not None for g in seated[:5])
    empty = grey(videos.background())
    assert [det.detect(empty) for _ in range(3)] == [None, None, None]


def texture(size: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return cv2.GaussianBlur(rng.integers(0, 256, (size, size)).astype(np.uint8), (5, 5), 0)


def test_a_look_is_found_where_the_face_moved():
    frame = texture(200)
    look = FaceLook()
    look.remember(frame, 60, 60, 40)
    moved = np.roll(frame, (10, -6), axis=(0, 1))  # 10 down, 6 left
    x, y = look.where(moved[20:140, 20:140], 40)  # a region from (20, 20)
    assert abs(x - (60 - 6 - 20)) <= 2 and abs(y - (60 + 10 - 20)) <= 2


def test_no_look_no_guess():
    flat = np.full((120, 120), 128, np.uint8)
    look = FaceLook()
    assert look.where(flat, 40) is None  # nothing remembered
    look.remember(flat, 40, 40, 40)
    assert look.where(flat, 40) is None  # a flat picture correlates with nothing (NaN)
    frame = texture(120)
    look.remember(frame, 100, 100, 40)  # partly outside the frame: not kept
    assert look.where(frame, 40) is None
    look.remember(frame, 40, 40, 40)
    assert look.where(frame, 40) is not None
