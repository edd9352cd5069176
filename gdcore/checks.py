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
