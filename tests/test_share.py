"""Shareable links: round trip, compactness, and clear errors for broken or tampered links."""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gdcore
from gdcore.spec import share
from gdcore.spec.config import MAX_NAME_CHARS
from lab import presets

SETUP = {
    "data": {"source": "generate", "n": 150, "slope": -1.5, "noise": 0.5, "seed": 3},
    "runs": [
        {"name": "Adam + cosine", "batch_size": 16, "epochs": 30, "init": {"w": 1, "b": -2},
         "optimizer": {"name": "adam", "lr": 0.05, "betas": [0.8, 0.99]},
         "schedule": {"name": "cosine", "T_max": 30, "per": "update"},
         "clip": {"name": "norm", "max_norm": 2.0}},
        {"name": "SGD ünïcode <b>name</b>", "optimizer": {"name": "sgd", "lr": 0.1}},
    ],
}


def _token(doc) -> str:
    raw = json.dumps(doc).encode()
    return "1" + base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")


def test_round_trip_gives_the_same_experiment():
    token = share.encode(SETUP)
    assert share.decode(token).to_dict() == gdcore.parse_experiment(SETUP).to_dict()


def test_token_is_url_safe_and_compact():
    token = share.encode(SETUP)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(token) < 500


@pytest.mark.parametrize("key", list(presets.PRESETS))
def test_every_preset_fits_in_a_link(key):
    exp = presets.build(key)
    assert share.decode(share.encode(exp)).to_dict() == gdcore.parse_experiment(exp).to_dict()


def test_defaults_are_left_out():
    compact = share.compact_dict(SETUP)
    assert compact["runs"][1]["optimizer"] == {"name": "sgd", "lr": 0.1}
    assert "schedule" not in compact["runs"][1] and "clip" not in compact["runs"][1]
    assert compact["runs"][0]["schedule"]["per"] == "update"


@settings(max_examples=40, deadline=None)
@given(lr=st.floats(1e-6, 10), epochs=st.integers(1, 1000), bs=st.integers(1, 150),
       name=st.text(min_size=1, max_size=20).filter(lambda s: s.strip()))
def test_round_trip_property(lr, epochs, bs, name):
    doc = {"data": {"source": "generate", "n": 150},
           "runs": [{"name": name, "epochs": epochs, "batch_size": bs,
                     "optimizer": {"name": "momentum", "lr": lr}}]}
    assert share.decode(share.encode(doc)).to_dict() == gdcore.parse_experiment(doc).to_dict()


@pytest.mark.parametrize("token, words", [
    ("", "empty"),
    ("2" + "A" * 20, "another version"),
    ("1abc!def", "characters"),
    ("1" + "A" * 40, "cut off or changed"),
    ("1" + base64.urlsafe_b64encode(b"not zlib at all").decode(), "cut off or changed"),
])
def test_broken_links_say_what_to_do(token, words):
    with pytest.raises(share.ShareError) as err:
        share.decode(token)
    assert words in str(err.value)
    assert "copy" in str(err.value).lower() or "json" in str(err.value).lower()


def test_truncated_and_padded_links_are_refused():
    token = share.encode(SETUP)
    for bad in (token[: len(token) // 2], token[:-3], token + "AAAA"):
        with pytest.raises(share.ShareError):
            share.decode(bad)


def test_tampered_content_is_validated_by_the_engine():
    doc = gdcore.parse_experiment(SETUP).to_dict()
    doc["runs"][0]["optimizer"]["lr"] = -1
    with pytest.raises(share.ShareError) as err:
        share.decode(_token(doc))
    assert "runs[0].optimizer.lr" in str(err.value)
    with pytest.raises(share.ShareError, match="not a setup"):
        share.decode("1" + base64.urlsafe_b64encode(
            zlib.compress(b"\xff\xfe not json")).decode().rstrip("="))


def test_oversized_links_are_refused_before_work():
    with pytest.raises(share.ShareError, match="too long"):
        share.decode("1" + "A" * (share.MAX_TOKEN_CHARS + 1))


def test_zip_bomb_is_refused():
    bomb = json.dumps({"runs": [], "data": {"pad": " " * (share.MAX_JSON_BYTES * 4)}})
    token = "1" + base64.urlsafe_b64encode(zlib.compress(bomb.encode(), 9)).decode()
    assert len(token) < share.MAX_TOKEN_CHARS  # small link, huge content
    with pytest.raises(share.ShareError, match="more than"):
        share.decode(token)


def test_the_largest_valid_setup_fits_in_a_link():
    """The limits (16 runs, 100-character names, 20 milestones) keep every valid setup
    linkable."""
    import random

    rnd = random.Random(0)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    runs = [{"name": "".join(rnd.choice(letters) for _ in range(MAX_NAME_CHARS)),
             "batch_size": 7 + i,
             "epochs": 99_999 - i, "seed": rnd.randrange(2**31), "init": {"w": rnd.random(),
                                                                           "b": rnd.random()},
             "optimizer": {"name": "adam", "lr": rnd.random(), "betas": [rnd.random() * 0.9,
                                                                        rnd.random() * 0.9],
                           "eps": rnd.random(), "weight_decay": rnd.random(), "amsgrad": True},
             "schedule": {"name": "multistep", "per": "update", "gamma": rnd.random(),
                          "milestones": sorted(rnd.sample(range(10**6), 20))},
             "clip": {"name": "norm", "max_norm": rnd.random()}, "tol_grad": rnd.random(),
             "tol_loss": rnd.random(), "max_points": 20_000 - i, "h": rnd.random() * 0.5}
            for i in range(16)]
    big = {"data": {"source": "generate", "n": 999_999, "slope": rnd.random(),
                    "intercept": rnd.random(), "noise": rnd.random(), "x_mean": rnd.random(),
                    "x_spread": rnd.random(), "outliers": 0.5, "seed": 2**31 - 1},
           "runs": runs}
    token = share.encode(big)
    assert len(token) <= share.MAX_TOKEN_CHARS
    assert share.decode(token).to_dict() == gdcore.parse_experiment(big).to_dict()


def test_share_error_is_a_gd_error():
    assert issubclass(share.ShareError, gdcore.GDError)


LOGISTIC_SETUP = {
    "problem": "logistic",
    "data": {"source": "inline", "x": [[0.5, 1.0], [1.5, -0.5], [2.0, 0.3], [3.0, 1.2],
                                       [0.2, -1.0], [2.5, 0.0], [1.0, 0.8]],
             "y": [0, 1, 0, 1, 0, 1, 1]},
    "runs": [{"name": "newton", "epochs": 10, "optimizer": {"name": "sgd", "lr": 1.0},
              "method": {"name": "newton", "min_curvature": 0.001}},
             {"name": "armijo", "epochs": 40, "optimizer": {"name": "sgd", "lr": 2.0},
              "method": {"name": "line_search", "shrink": 0.3}},
             {"name": "sgd", "batch_size": 2, "optimizer": {"name": "sgd", "lr": 0.1}}],
}


def test_a_logistic_setup_with_methods_round_trips():
    token = share.encode(LOGISTIC_SETUP)
    back = share.decode(token)
    assert back.to_dict() == gdcore.parse_experiment(LOGISTIC_SETUP).to_dict()
    assert back.problem == "logistic"
    assert [r.method.name for r in back.runs] == ["newton", "line_search", "gd"]
    assert back.runs[0].method.params["min_curvature"] == 0.001
    assert back.runs[1].method.params["shrink"] == 0.3


def test_a_version_1_link_still_opens():
    """A link made before format version 2: its JSON says "version": 1."""
    v1 = {"version": 1, **SETUP}
    back = share.decode(_token(v1))
    assert back.to_dict() == gdcore.parse_experiment({**SETUP, "version": 2}).to_dict()
    v2 = share.decode(_token({**SETUP, "version": 2}))  # and one made before version 3
    assert v2.to_dict() == back.to_dict() and v2.repeats == gdcore.RepeatConfig()
    with pytest.raises(share.ShareError, match="versions 1 to 3, got 4"):
        share.decode(_token({**SETUP, "version": 4}))
