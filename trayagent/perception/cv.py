"""OpenCV, imported once with the environment it needs set first, and images read through Python.

Images are read as bytes by Python and decoded by OpenCV (`read_image`): OpenCV's own `imread`,
`imwrite` and `CascadeClassifier(path)` hand the path to the narrow Windows file API, which fails
for any path with Hangul in it (a Korean user name puts Hangul in every per-user path).
"""

import os
from pathlib import Path

# Windows' Media Foundation backend takes seconds to open a camera with hardware transforms on.
os.environ.setdefault("OPENCV_VIDEOIO_MSMF_ENABLE_HW_TRANSFORMS", "0")
# Our own messages name a bad video; FFmpeg's console noise about it helps nobody.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
# Decompression bombs: a 389 KB PNG can claim 20000x20000 pixels (2.4 GB decoded). OpenCV checks
# the header against this before decoding; 50 megapixels still admits a 48 MP phone photo.
MAX_IMAGE_PIXELS = 50_000_000
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_IMAGE_PIXELS))
MAX_IMAGE_BYTES = 256 << 20  # no picture of a face is bigger; a bigger file is not read into memory

import cv2  # noqa: E402
import numpy as np  # noqa: E402

cv2.setNumThreads(1)  # a few frames a second need no thread pool beside the softphone and CRM


def read_image(path: Path, flags: int = cv2.IMREAD_COLOR) -> "np.ndarray | None":
    """The picture at `path` (any Unicode path), or None when it cannot be read or decoded, or is
    larger than MAX_IMAGE_PIXELS / MAX_IMAGE_BYTES."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_IMAGE_BYTES + 1)
    except OSError:
        return None
    if not data or len(data) > MAX_IMAGE_BYTES:
        return None
    try:
        return cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:  # over the pixel limit, or a header OpenCV refuses
        return None


def write_image(path: Path, image: "np.ndarray") -> bool:
    """Write `image` in the format its suffix names (any Unicode path); False if it cannot."""
    try:
        ok, data = cv2.imencode(Path(path).suffix or ".png", image)
    except cv2.error:
        return False
    if not ok:
        return False
    try:
        data.tofile(str(path))
    except OSError:
        return False
    return True


__all__ = ["cv2", "read_image", "write_image", "MAX_IMAGE_PIXELS"]
