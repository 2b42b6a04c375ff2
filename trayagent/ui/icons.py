"""Tray icons, drawn once per look with Pillow: one per stress band, plus idle, paused, problem,
unseen (the camera cannot see the face well: a crossed-out eye on quiet blue, neither an alarm nor a
"help" question mark) and calibrating (the camera is on outside a call: a camera with a red light).

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
    "calibrating": (38, 130, 140),  # teal: the camera is on, on purpose
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
    elif look == "unseen":  # an eye, crossed out: "cannot see you"
        xs = [10 + 44 * i / 20 for i in range(21)]
        upper = [(x, 32 - 13 * (1 - ((x - 32) / 22) ** 2)) for x in xs]
        lower = [(x, 32 + 13 * (1 - ((x - 32) / 22) ** 2)) for x in reversed(xs)]
        d.polygon(upper + lower, fill=white)
        d.ellipse((25, 25, 39, 39), fill=colour + (255,))
        d.line((13, 51, 51, 13), fill=colour + (255,), width=10)
        d.line((13, 51, 51, 13), fill=white, width=4)
    elif look == "calibrating":  # a camera, its light on
        d.rounded_rectangle((13, 22, 41, 44), radius=4, fill=white)
        d.polygon([(41, 29), (51, 23), (51, 43), (41, 37)], fill=white)
        d.ellipse((17, 26, 25, 34), fill=(230, 57, 70, 255))
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
