"""Errors the engine raises for bad input.

Every message names what is wrong and what to do about it, in one line, so the CLI
and the dashboard can show it to a person as it is (no traceback).
"""

from __future__ import annotations


class GDError(ValueError):
    """Base class: bad input that a person can fix. ``str(err)`` is the message to show."""


class ConfigError(GDError):
    """An experiment configuration is invalid (unknown name, bad value, wrong type)."""


class DataError(GDError):
    """A data set cannot be used (empty, no numeric column, constant x, ...)."""
