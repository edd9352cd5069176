"""Small typed checks for config values: each failure is a ConfigError naming the field."""

from __future__ import annotations

import math
from typing import Any

from .errors import ConfigError


def fail(where: str, msg: str) -> ConfigError:
    return ConfigError(f"{where}: {msg}")


def choices(options) -> str:
    return ", ".join(repr(o) for o in options)


def as_float(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(where, f"expected a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise fail(where, f"must be a finite number, got {value!r}")
    return v


def as_int(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise fail(where, f"expected a whole number, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise fail(where, f"expected a whole number, got {value!r}")
    return value


def as_bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise fail(where, f"expected true or false, got {value!r}")
    return value


def as_mapping(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise fail(where, f"expected an object like {{\"name\": ...}}, got {value!r}")
    return value


def unicode_problem(text: str) -> str | None:
    """Why ``text`` is not valid Unicode text, or None. A lone surrogate (``"\\udc80"``: JSON
    may spell one, and undecodable command-line bytes become one) cannot be encoded as UTF-8,
    so nothing could show, send or save it: it is refused where it enters."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return (f"text that is not valid Unicode: a lone surrogate {ascii(text[err.start])} at "
                f"character {err.start + 1:,}; retype the text or remove that character")
    return None


def valid_text(value: Any, where: str = "") -> None:
    """Raise ConfigError (naming the field) if any text in ``value`` (a decoded JSON document:
    dict keys, values, list items at any depth) is not valid Unicode."""
    stack = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            problem = unicode_problem(item)
            if problem:
                raise fail(at, problem)
        elif isinstance(item, dict):
            for k, v in item.items():
                named = isinstance(k, str) and not unicode_problem(k)
                key_at = (f"{at}.{k}" if at else k) if named else at or "setup"
                stack.append((k, f"{at or 'setup'} (a field name)"))
                stack.append((v, key_at))
        elif isinstance(item, (list, tuple)):
            stack.extend((v, f"{at}[{i}]") for i, v in enumerate(item))
