"""Folder-per-class labelled image sets: `DIR/happy/*.png`, `DIR/sadness/*.jpg`, ..."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from trayagent import os_errors
from trayagent.core.emotions import FOLDER_ALIASES
from trayagent.core.errors import TrayagentError
from trayagent.i18n import _

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"})


class LabelledSetError(TrayagentError):
    """The folder cannot serve as a labelled set; the message says why."""


@dataclass
class LabelledSet:
    items: list[tuple[Path, str]] = field(default_factory=list)  # (image, FER2013 emotion)
    skipped_folders: list[str] = field(default_factory=list)  # folders named for no emotion we know
    skipped_files: list[Path] = field(default_factory=list)  # files that are not images by name


def scan(root: Path) -> LabelledSet:
    root = Path(root)
    found = LabelledSet()
    try:
        if not root.exists():
            raise LabelledSetError(_("{root}: no such folder").format(root=root))
        if not root.is_dir():
            raise LabelledSetError(_("{root}: not a folder (expected one sub-folder per emotion)").format(root=root))
        folders = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError as e:  # a name too long, a folder that cannot be entered
        raise LabelledSetError(_("{root}: cannot list folder ({error})").format(root=root, error=os_errors.reason(e))) from None
    for folder in folders:
        label = FOLDER_ALIASES.get(folder.name.lower())
        if label is None:
            found.skipped_folders.append(folder.name)
            continue
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            if path.suffix.lower() in IMAGE_SUFFIXES:
                found.items.append((path, label))
            else:
                found.skipped_files.append(path)
    if not found.items:
        known = ", ".join(sorted(FOLDER_ALIASES))
        raise LabelledSetError(_("{root}: no images found in emotion folders (folder names: {known})").format(
            root=root, known=known))
    return found
