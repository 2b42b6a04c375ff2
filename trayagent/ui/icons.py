"""Tray icons, drawn once per look with Pillow: one per stress band, plus idle, paused, problem and
unseen (the camera cannot see the face well: a calm blue face with a question mark, not an alarm).

Switching only between pre-rendered images, and only when the look changes, keeps pystray backends
from leaking temporary files or stalling on frequent icon updates.
"""

from __future__ import annotations

from functools import cache

from PIL import Image, ImageDraw

SIZE = 64
COLOURS = {
    "calm": (46, 160, 67),
    "elevated": (242, 169, 0),
    "alert": (214, 48, 49),
    "idle": (140, 148, 158),
    "paused": (110, 118, 128),
    "problem": (140, 148, 158),
    "unseen": (86, 128, 178),  # a quiet blue: nothing is wrong with the person, only with the picture
}
LOOKS = tuple(COLOURS)


@cache
def icon(look: str) -> Image.Image:
    """A round face: coloured by band during a call, grey when idle, pause bars when paused, and a
    struck-through camera mark when the camera cannot be used."""
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    colour = COLOURS[look]
    d.ellipse((3, 3, SIZE - 4, SIZE - 4), fill=colour + (255,), outline=(255, 255, 255, 255), width=3)
    white = (255, 255, 255, 255)
    if look == "paused":
        d.rectangle((22, 18, 28, 46), fill=white)
        d.rectangle((36, 18, 42, 46), fill=white)
    elif look == "problem":
        d.rounded_rectangle((14, 22, 40, 44), radius=4, fill=white)
        d.polygon([(40, 28), (50, 22), (50, 44), (40, 38)], fill=white)
        d.line((12, 50, 52, 14), fill=(214, 48, 49, 255), width=6)
    elif look == "unseen":  # a question mark where the face would be
        d.arc((21, 13, 43, 35), 180, 30, fill=white, width=5)
        d.line((40, 30, 32, 38), fill=white, width=5)
        d.line((32, 37, 32, 42), fill=white, width=5)
        d.ellipse((29, 46, 35, 52), fill=white)
    else:
        d.ellipse((21, 22, 27, 28), fill=white)
        d.ellipse((37, 22, 43, 28), fill=white)
        if look == "idle":
            d.line((22, 42, 42, 42), fill=white, width=4)
        elif look == "calm":
            d.arc((18, 26, 46, 48), 20, 160, fill=white, width=4)
        elif look == "elevated":
            d.line((22, 43, 42, 40), fill=white, width=4)
        else:  # alert
            d.arc((18, 38, 46, 58), 200, 340, fill=white, width=4)
    return img
