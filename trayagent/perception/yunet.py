"""YuNet, the fallback face detector: a small CNN that also finds faces turned, tilted, dark or
backlit, where Haar (faces.py) finds nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trayagent import paths
from trayagent.core.errors import TrayagentError
from trayagent.i18n import N_, _
from trayagent.perception.cv import cv2
from trayagent.perception.face_box import Box, read_model_file, resize


class YuNet:
    """YuNet (Wu, Peng and Yu 2023; Apache-2.0): a 75k-parameter CNN that also finds faces turned,
    tilted, dark or backlit, with five landmarks. It costs about twice a full Haar search, so it is
    the fallback, never the first step.

    Frames are searched `work_width` pixels wide, as Haar's are; `around` a face it found in the
    last frame, only that face's neighbourhood is searched, scaled so the face is TRACK_HEIGHT
    pixels tall (about a sixth of a full search's cost). Its box is mapped to the framing of a Haar
    box (and so of FER2013's crops, see BOX_TO_HAAR), and its eyes give the face's roll.
    """

    TRACK_HEIGHT = 48  # pixels the last face is scaled to for the local search

    # The crop must frame a face as the model's training faces were framed, that is as a Haar box
    # does. Measured on 209 FER2013 publictest faces in 640x480 scenes found by both (medians,
    # `python -m models.facebench --fit-box`): Haar centre = YuNet centre + (dx, dy) * YuNet
    # height, Haar side = k * YuNet height.
    BOX_TO_HAAR = (-0.006, -0.03, 0.949)
    # Confidence to accept a face. OpenCV's sample uses 0.9, which loses tilted, dark and backlit
    # faces; at 0.5 YuNet alone finds 84% of 15-degree tilted faces against 79% at 0.7, and raised no
    # false alarm on 600 face-free scenes (models/facebench.py, "none").
    SCORE = 0.5

    def __init__(self, model: Path | None = None, work_width: int = 320, min_face: float = 0.12) -> None:
        path = model or paths.yunet_file()
        data = np.frombuffer(read_model_file(path, N_("{path}: cannot read the YuNet face detector ({reason})")), np.uint8)
        try:
            self._net = cv2.FaceDetectorYN.create("onnx", data, np.zeros(0, np.uint8), (work_width, work_width),
                                                  self.SCORE, 0.3, 20)
        except cv2.error:
            raise TrayagentError(_("{path}: cannot load the YuNet face detector").format(path=path)) from None
        self.work_width = work_width
        self.min_face = min_face
        self._size: tuple[int, int] | None = None

    def find(self, frame: np.ndarray, around: Box | None = None) -> Box | None:
        """The largest face in a BGR (or grey) frame, or only near `around`, or None."""
        h, w = frame.shape[:2]
        if around is None:
            x0 = y0 = 0
            scale = min(1.0, self.work_width / w)
            small = resize(frame, scale)
            smallest = min(small.shape[:2]) * self.min_face  # as Haar's smallest face
        else:
            x0, y0 = max(0, around.x - around.w // 2), max(0, around.y - around.h // 2)
            x1, y1 = min(w, around.x + around.w * 3 // 2), min(h, around.y + around.h * 3 // 2)
            if x1 - x0 < 16 or y1 - y0 < 16:  # `around` lies (almost) outside this frame
                return None
            scale = min(1.0, self.TRACK_HEIGHT / max(1, around.h))
            small = resize(frame[y0:y1, x0:x1], scale)
            smallest = around.h * scale * 0.6  # the same face, nearer or farther, not a small one beside it
        if small.ndim == 2:
            small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
        size = (small.shape[1], small.shape[0])
        if size != self._size:
            self._net.setInputSize(size)
            self._size = size
        _found, faces = self._net.detect(small)
        if faces is None:
            return None
        faces = faces[faces[:, 3] * self.BOX_TO_HAAR[2] >= smallest]
        if len(faces) == 0:
            return None
        f = max(faces, key=lambda r: r[2] * r[3]) / scale
        f[[0, 4, 6, 8, 10, 12]] += x0
        f[[1, 5, 7, 9, 11, 13]] += y0
        x, y, bw, bh = f[:4]
        (rx, ry), (lx, ly) = f[4:6], f[6:8]  # the person's right eye is on the image's left
        dx, dy, k = self.BOX_TO_HAAR
        cx, cy, side = x + bw / 2 + dx * bh, y + bh / 2 + dy * bh, k * bh
        return Box(round(cx - side / 2), round(cy - side / 2), round(side), round(side),
                   ((float(rx), float(ry)), (float(lx), float(ly))))
