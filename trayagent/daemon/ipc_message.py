"""A request's bytes checked before they are trusted: UTF-8, a flat JSON object, nested no deeper
than MAX_DEPTH (counted before parsing, which recurses)."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 4  # a request is a flat object: {"cmd": "pause", "minutes": 5}


def _depth(text: str) -> int:
    """How deeply a JSON text nests, counted without parsing it (parsing deep text recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    break
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_message(body: bytes) -> dict[str, Any]:
    """A request's bytes as a JSON object; ValueError saying what is wrong with them."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    if _depth(text) > MAX_DEPTH:
        raise ValueError("nested too deeply")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise ValueError("not JSON") from None
    if not isinstance(message, dict):
        raise ValueError("a request is a JSON object")
    return message
