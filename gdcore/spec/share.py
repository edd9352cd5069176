"""Shareable links: a whole experiment as one short, URL-safe text, and back.

    token = encode(experiment)          # dict, JSON text or Experiment -> "1eNq..." (URL-safe)
    exp = decode(token)                 # -> Experiment, validated by parse_experiment

The token is ``"1"`` (the format of the token) followed by the URL-safe base64 of the
zlib-compressed compact JSON of the engine's experiment format, with parameters that equal
their defaults left out (they come back on decoding). Decoding checks the size before and
after decompression (so a tampered link cannot make it allocate much) and raises
:class:`ShareError` with a message a person can act on. Pure Python: no Streamlit here.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from .config import (
    CLIP_DEFAULTS,
    OPTIMIZER_DEFAULTS,
    SCHEDULE_DEFAULTS,
    Experiment,
    load_experiment_json,
    parse_experiment,
)

__all__ = ["MAX_JSON_BYTES", "MAX_TOKEN_CHARS", "ShareError", "compact_dict", "decode", "encode"]

TOKEN_VERSION = "1"
MAX_TOKEN_CHARS = 16_000  # far below browsers' URL limits and Streamlit's 512 KiB query cap
MAX_JSON_BYTES = 256_000  # decompressed size limit: a tampered link cannot be a zip bomb
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]*$")
_BROKEN = ("The shared link is broken ({why}): copy the whole address again from the page "
           "that made it, or load the setup from its JSON file.")


class ShareError(ConfigError):
    """A shared link cannot be read. ``str(err)`` says why and what to do."""


def _strip_defaults(section: dict[str, Any], table: dict[str, dict[str, Any]]) -> dict[str, Any]:
    defaults = table.get(section.get("name", ""), {})
    out = {}
    for key, value in section.items():
        default = defaults.get(key, object())
        if isinstance(default, tuple):
            default = list(default)
        if key in ("name", "per") or value != default:
            out[key] = value
    if out.get("per") == "epoch":
        del out["per"]
    return out


def compact_dict(experiment: Experiment | Mapping | str) -> dict[str, Any]:
    """The experiment as a dict without the parameters that equal their defaults."""
    exp = _as_experiment(experiment)
    full = exp.to_dict()
    runs = []
    for run in full["runs"]:
        run = dict(run)
        run["optimizer"] = _strip_defaults(run["optimizer"], OPTIMIZER_DEFAULTS)
        run["schedule"] = _strip_defaults(run["schedule"], SCHEDULE_DEFAULTS)
        run["clip"] = _strip_defaults(run["clip"], CLIP_DEFAULTS)
        if run["schedule"] == {"name": "constant"}:
            del run["schedule"]
        if run["clip"] == {"name": "none"}:
            del run["clip"]
        runs.append(run)
    full["runs"] = runs
    return full


def _as_experiment(experiment: Experiment | Mapping | str) -> Experiment:
    if isinstance(experiment, str):
        return load_experiment_json(experiment)
    return parse_experiment(dict(experiment) if isinstance(experiment, Mapping) else experiment)


def encode(experiment: Experiment | Mapping | str) -> str:
    """A URL-safe token holding the whole (validated) experiment."""
    text = json.dumps(compact_dict(experiment), separators=(",", ":"), ensure_ascii=False)
    packed = zlib.compress(text.encode("utf-8"), 9)
    token = TOKEN_VERSION + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")
    if len(token) > MAX_TOKEN_CHARS:
        raise ShareError(f"This setup is too large for a link ({len(token):,} characters, the "
                         f"limit is {MAX_TOKEN_CHARS:,}): use fewer runs, or download the setup "
                         "as JSON and share the file.")
    return token


def decode(token: str) -> Experiment:
    """The experiment a token holds, validated; :class:`ShareError` if it cannot be read."""
    if not isinstance(token, str):
        raise ShareError(_BROKEN.format(why="it is not text"))
    token = token.strip()
    if not token:
        raise ShareError(_BROKEN.format(why="the setup part is empty"))
    if len(token) > MAX_TOKEN_CHARS:
        raise ShareError(f"The shared link is too long ({len(token):,} characters, the limit is "
                         f"{MAX_TOKEN_CHARS:,}): share the setup as a JSON file instead.")
    if token[0] != TOKEN_VERSION:
        raise ShareError(f"The shared link was made by another version of this lab (format "
                         f"{token[0]!r}; this one reads {TOKEN_VERSION!r}): load the setup from "
                         "its JSON file instead.")
    body = token[1:]
    if not _TOKEN_RE.match(body):
        raise ShareError(_BROKEN.format(why="it contains characters a link of this lab never has"))
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise ShareError(_BROKEN.format(why="it was cut off or changed")) from None
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(packed, MAX_JSON_BYTES + 1)
    except zlib.error:
        raise ShareError(_BROKEN.format(why="it was cut off or changed")) from None
    if len(raw) > MAX_JSON_BYTES or inflater.unconsumed_tail:
        raise ShareError(f"The shared link unpacks to more than {MAX_JSON_BYTES:,} bytes, more "
                         "than any setup of this lab: it was changed. Ask for a new link.")
    if not inflater.eof:
        raise ShareError(_BROKEN.format(why="it was cut off"))
    if inflater.unused_data:
        raise ShareError(_BROKEN.format(why="it has extra characters at the end"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ShareError(_BROKEN.format(why="its content is not a setup")) from None
    try:
        return load_experiment_json(text)
    except ShareError:
        raise
    except ConfigError as err:
        raise ShareError(f"The shared link holds a setup this lab cannot use: {err}") from None
