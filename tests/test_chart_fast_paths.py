"""The charts' numpy shortcuts give what the pandas calls they replace give (ui/charts.py,
ui/render.py, ui/results.py): on random frames with missing run names, NaN steps, repeated
steps, empty frames, both string storages."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ui import charts, render, results


def _frames(seed: int, count: int = 200):
    rng = np.random.default_rng(seed)
    for t in range(count):
        n = int(rng.integers(0, 25))
        names = rng.choice(np.array(["a", "b", None, "c"], dtype=object), n)
        step = rng.integers(0, 6, n).astype(float if t % 3 == 0 else int)
        if t % 3 == 0 and n:
            step[rng.integers(0, n)] = np.nan
        loss = rng.normal(size=n)
        if t % 4 == 0 and n:
            loss[rng.integers(0, n)] = [np.inf, -np.inf, np.nan][t % 3]
        for dtype in (object, "str"):
            yield pd.DataFrame({"run": pd.Series(names, dtype=dtype), "step": step,
                                "loss": loss, "flag": loss > 0},
                               index=rng.permutation(n))


def test_groups_are_groupbys_groups():
    for df in _frames(0):
        expected = [g for _, g in df.groupby("run", sort=False)]
        got = list(charts.groups(df, "run"))
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            pd.testing.assert_frame_equal(a, b)


def test_first_values_are_sorted_groupbys_heads():
    for df in _frames(1):
        if df.empty:
            assert charts.first_values(df, "loss") == []
            continue
        heads = df.sort_values("step", kind="stable").groupby("run", sort=False).head(1)
        expected = heads["loss"].to_numpy(dtype=float)
        assert np.array_equal(np.array(charts.first_values(df, "loss"), dtype=float), expected,
                              equal_nan=True)


def test_json_safe_blanks_only_non_finite_numbers_and_leaves_its_input_alone():
    for df in _frames(2):
        before = df.copy()
        out = charts.json_safe(df)
        pd.testing.assert_frame_equal(df, before)  # the input is not changed
        loss = out["loss"].to_numpy(dtype=float)
        assert np.array_equal(np.isnan(loss), ~np.isfinite(before["loss"].to_numpy(dtype=float)))
        out.loc[out.index[:1], "step"] = -1  # nor does a change to the copy reach it
        pd.testing.assert_frame_equal(df, before)
    mixed = pd.DataFrame({"v": pd.Series([1.0, math.inf, "x"], dtype=object)})
    assert charts.json_safe(mixed)["v"].tolist() == [1.0, None, "x"]


def test_numeric_shortcut_matches_parsing():
    cases = [pd.Series([1, 2, 3]), pd.Series([True, False]), pd.Series([1.5, np.nan]),
             pd.Series([1, None], dtype="Int64"), np.array([1, 2], dtype=np.int32),
             pd.Series(["1", "x", None], dtype=object), [1, "2", None]]
    for values in cases:
        slow = pd.to_numeric(pd.Series(values, dtype=object) if not isinstance(values, pd.Series)
                             else values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        assert np.array_equal(charts.numeric(values), slow, equal_nan=True)


def test_plain_arrow_table_holds_what_pandas_conversion_holds():
    for df in _frames(3, 60):
        df = df.reset_index(drop=True)
        want = pa.Table.from_pandas(df, preserve_index=False)
        got = render._plain_table(df)
        if df["run"].dtype == object:
            assert got is None  # object columns: pandas' own conversion
            continue
        assert got.schema == want.schema.remove_metadata()
        assert got.equals(want.replace_schema_metadata(None))
    assert render._plain_table(pd.DataFrame({"t": pd.to_datetime(["2020-01-01"])})) is None
    assert render._plain_table(pd.DataFrame([[1, 2]], columns=["a", "a"])) is None


@pytest.mark.parametrize("differ_only", [False, True])
def test_settings_frame_cells_and_kinds(differ_only):
    runs = [{"name": "a", "optimizer": {"name": "sgd", "lr": 0.1}, "batch_size": "full",
             "epochs": 10, "x": float("nan")},
            {"name": "b", "optimizer": {"name": "adam", "betas": [0.9, 0.999]},
             "batch_size": 32, "epochs": 10}]
    table = results.settings_frame(runs, differ_only=differ_only)
    assert list(table["run"]) == ["a", "b"]
    assert list(table["batch_size"]) == ["full", "32"]  # mixed kinds: shown as text
    assert list(table["optimizer.lr"]) == [0.1, None]  # absent: empty, not a number
    assert ("epochs" in table.columns) is not differ_only  # the same for both runs
    if not differ_only:
        assert list(table["x"]) == [None, None]  # NaN is shown empty
        assert table["epochs"].dtype == object
