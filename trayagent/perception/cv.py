"""OpenCV, imported once with the environment it needs set first."""

import os

# Windows' Media Foundation backend takes seconds to open a camera with hardware transforms on.
os.environ.setdefault("OPENCV_VIDEOIO_MSMF_ENABLE_HW_TRANSFORMS", "0")
# Our own messages name a bad video; FFmpeg's console noise about it helps nobody.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

import cv2  # noqa: E402

cv2.setNumThreads(1)  # a few frames a second need no thread pool beside the softphone and CRM

__all__ = ["cv2"]
