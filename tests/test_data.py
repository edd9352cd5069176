"""Tests for gdcore.data.sources and gdcore.data.csvio: generated, uploaded, sample and inline data."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdcore.data.csvio import MAX_COLUMNS, MAX_ROWS, numeric_columns, read_table
from gdcore.data.sources import (
    DATA_DIR,
    MAX_ABS_VALUE,
    MAX_GENERATED_ROWS,
    SAMPLES,
    Dataset,
    SampleInfo,
    generate,
    inline,
    load_csv,
    load_sample,
)
from gdcore.errors import DataError

LATIN1_NOTE = ("File is not UTF-8; read it as Latin-1 (cp1252). "
               "Save as UTF-8 if accents look wrong.")


def one_line(err: pytest.ExceptionInfo) -> str:
    """The message of a raised DataError, checked to be a single line."""
    msg = str(err.value)
    assert "\n" not in msg and msg.strip() == msg and msg
    return msg


# --------------------------------------------------------------------------- generate


def test_generate_is_deterministic_per_seed():
    a = generate(n=500, slope=-1.5, noise=2.0, outliers=0.1, seed=7)
    b = generate(n=500, slope=-1.5, noise=2.0, outliers=0.1, seed=7)
    c = generate(n=500, slope=-1.5, noise=2.0, outliers=0.1, seed=8)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert a.content_hash() == b.content_hash()
    assert not np.array_equal(a.x, c.x)
    assert a.content_hash() != c.content_hash()


def test_generate_shape_names_and_source():
    ds = generate(n=200, seed=0)
    assert (ds.n, ds.d) == (200, 1)
    assert ds.x.shape == (200, 1) and ds.y.shape == (200,)
    assert ds.x.dtype == np.float64 and ds.y.dtype == np.float64
    assert ds.x.flags.c_contiguous and ds.y.flags.c_contiguous
    assert ds.x_names == ("x",) and ds.y_name == "y"
    assert ds.source == "generated (n=200, seed 0)"
    assert not ds.standardized and ds.notes == ()
    np.testing.assert_array_equal(ds.x_mean, [0.0])
    np.testing.assert_array_equal(ds.x_scale, [1.0])
    assert (ds.y_mean, ds.y_scale) == (0.0, 1.0)


def test_generate_statistics_match_the_request():
    ds = generate(n=200_000, slope=3.0, intercept=-1.0, noise=0.5, x_mean=4.0, x_spread=2.0,
                  seed=1)
    x = ds.x[:, 0]
    slope, intercept = np.polyfit(x, ds.y, 1)
    assert slope == pytest.approx(3.0, abs=0.01)
    assert intercept == pytest.approx(-1.0, abs=0.05)
    assert x.mean() == pytest.approx(4.0, abs=0.02)
    assert x.std() == pytest.approx(2.0, rel=0.01)
    assert np.std(ds.y - (slope * x + intercept)) == pytest.approx(0.5, rel=0.01)


def test_generate_without_noise_is_an_exact_line():
    ds = generate(n=50, slope=2.0, intercept=1.0, noise=0.0, seed=3)
    np.testing.assert_allclose(ds.y, 2.0 * ds.x[:, 0] + 1.0, rtol=0, atol=1e-12)


def test_generate_outlier_count_and_size():
    ds = generate(n=1000, slope=2.0, intercept=1.0, noise=1.0, outliers=0.1, seed=5)
    residual = ds.y - (2.0 * ds.x[:, 0] + 1.0)
    # shift = 8*noise + 5*|slope|*spread = 18; ordinary noise is N(0, 1)
    assert int((np.abs(residual) > 10).sum()) == 100
    assert (residual > 10).any() and (residual < -10).any()  # both signs
    assert ds.notes == ("100 of 1000 rows are outliers: y shifted by ±18.",)


def test_generate_more_outliers_keeps_the_earlier_ones():
    def outlier_rows(fraction: float) -> set[int]:
        ds = generate(n=400, noise=1.0, outliers=fraction, seed=11)
        return set(np.flatnonzero(np.abs(ds.y - (2.0 * ds.x[:, 0] + 1.0)) > 10).tolist())

    few, more = outlier_rows(0.05), outlier_rows(0.2)
    assert len(few) == 20 and len(more) == 80 and few <= more


def test_generate_same_seed_same_x_for_any_noise():
    a, b = generate(n=100, noise=0.1, seed=2), generate(n=100, noise=3.0, seed=2)
    np.testing.assert_array_equal(a.x, b.x)


def test_generate_outliers_even_when_noise_and_slope_are_zero():
    ds = generate(n=100, slope=0.0, noise=0.0, intercept=2.0, outliers=0.2, seed=0)
    assert int((ds.y != 2.0).sum()) == 20


def test_generate_accepts_numpy_and_integral_float_n():
    assert generate(n=np.int64(10), seed=np.int64(4)).n == 10
    assert generate(n=10.0).n == 10


def test_generate_standardized():
    ds = generate(n=1000, slope=5.0, intercept=3.0, x_mean=10.0, x_spread=4.0,
                  standardize=True)
    assert ds.standardized
    assert ds.x.mean() == pytest.approx(0.0, abs=1e-12)
    assert ds.x.std() == pytest.approx(1.0)
    assert ds.y.mean() == pytest.approx(0.0, abs=1e-12)
    assert ds.y.std() == pytest.approx(1.0)
    plain = generate(n=1000, slope=5.0, intercept=3.0, x_mean=10.0, x_spread=4.0)
    np.testing.assert_allclose(ds.frame().to_numpy(), plain.frame().to_numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"n": 1}, ["n", "2", "1,000,000"]),
        ({"n": 0}, ["n", "2"]),
        ({"n": -5}, ["n"]),
        ({"n": 2.5}, ["n", "whole number"]),
        ({"n": "10"}, ["n"]),
        ({"n": True}, ["n"]),
        ({"n": 1_000_001}, ["n", "1,000,000"]),
        ({"noise": -0.1}, ["noise", "from 0"]),
        ({"noise": float("nan")}, ["noise", "finite"]),
        ({"x_spread": 0}, ["x_spread", "greater than 0"]),
        ({"x_spread": -1.0}, ["x_spread", "greater than 0"]),
        ({"x_spread": float("inf")}, ["x_spread", "finite"]),
        ({"outliers": -0.1}, ["outliers", "0 to 0.5"]),
        ({"outliers": 0.51}, ["outliers", "0 to 0.5"]),
        ({"outliers": float("nan")}, ["outliers"]),
        ({"slope": float("inf")}, ["slope", "finite"]),
        ({"slope": float("nan")}, ["slope"]),
        ({"slope": "2"}, ["slope", "number"]),
        ({"slope": 1e300}, ["slope", "1e+09"]),
        ({"intercept": float("nan")}, ["intercept"]),
        ({"x_mean": float("-inf")}, ["x_mean"]),
        ({"x_mean": None}, ["x_mean"]),
        ({"seed": -1}, ["seed", ">= 0"]),
        ({"seed": 1.5}, ["seed"]),
        ({"seed": None}, ["seed"]),
    ],
)
def test_generate_rejects_bad_arguments(kwargs, words):
    with pytest.raises(DataError) as err:
        generate(**kwargs)
    msg = one_line(err)
    for word in words:
        assert word in msg


def test_generate_rejects_a_spread_too_small_to_vary_x():
    with pytest.raises(DataError) as err:
        generate(x_mean=1.0, x_spread=1e-300)
    assert "x_spread" in one_line(err)


# --------------------------------------------------------------------------- Dataset


def test_dataset_arrays_are_read_only_copies():
    x = np.array([1.0, 2.0, 3.0])
    ds = inline(x, [2.0, 4.0, 7.0])
    x[0] = 100.0
    assert ds.x[0, 0] == 1.0
    with pytest.raises(ValueError):
        ds.x[0, 0] = 5.0
    with pytest.raises(ValueError):
        ds.y[0] = 5.0


def test_dataset_direct_construction_coerces_and_validates():
    ds = Dataset(x=[[1], [2]], y=[3, 4], x_names=["a"], y_name="b", x_mean=[0],
                 x_scale=[1], y_mean=0, y_scale=1, standardized=False, source="test")
    assert ds.x.dtype == np.float64 and ds.x_names == ("a",) and ds.notes == ()
    with pytest.raises(DataError, match="3 values but x has 2 rows"):
        Dataset(np.zeros((2, 1)), np.zeros(3), ("a",), "b", np.zeros(1), np.ones(1), 0.0, 1.0,
                False, "test")
    with pytest.raises(DataError, match="2 names for 1 x columns"):
        Dataset(np.zeros((2, 1)), np.zeros(2), ("a", "c"), "b", np.zeros(1), np.ones(1), 0.0,
                1.0, False, "test")
    with pytest.raises(DataError, match="distinct"):
        Dataset(np.zeros((2, 1)), np.zeros(2), ("a",), "a", np.zeros(1), np.ones(1), 0.0, 1.0,
                False, "test")
    with pytest.raises(DataError, match="positive"):
        Dataset(np.zeros((2, 1)), np.zeros(2), ("a",), "b", np.zeros(1), np.zeros(1), 0.0,
                1.0, False, "test")


def test_standardization_round_trip_against_polyfit():
    ds = generate(n=300, slope=-4.0, intercept=50.0, noise=3.0, x_mean=100.0, x_spread=20.0,
                  outliers=0.05, seed=9, standardize=True)
    frame = ds.frame()
    expected = np.polyfit(frame["x"], frame["y"], 1)
    w, b = np.polyfit(ds.x[:, 0], ds.y, 1)  # fitted in model units
    slope, intercept = ds.to_original_units(w, b)
    assert isinstance(slope, float) and isinstance(intercept, float)
    assert slope == pytest.approx(expected[0], rel=1e-9)
    assert intercept == pytest.approx(expected[1], rel=1e-9)
    w2, b2 = ds.to_model_units(slope, intercept)
    assert w2 == pytest.approx(w, rel=1e-12) and b2 == pytest.approx(b, rel=1e-12, abs=1e-12)


def test_standardization_round_trip_multi_feature():
    rng = np.random.default_rng(0)
    x = rng.normal([10.0, -300.0, 0.01], [2.0, 50.0, 0.002], size=(200, 3))
    y = x @ np.array([1.5, -0.2, 800.0]) + 7.0 + rng.normal(size=200)
    ds = inline(x, y, x_names=["a", "b", "c"], standardize=True)
    design = np.column_stack([ds.x, np.ones(ds.n)])
    *w, b = np.linalg.lstsq(design, ds.y, rcond=None)[0]
    slope, intercept = ds.to_original_units(np.array(w), b)
    *expected_w, expected_b = np.linalg.lstsq(np.column_stack([x, np.ones(200)]), y,
                                              rcond=None)[0]
    np.testing.assert_allclose(slope, expected_w, rtol=1e-8)
    assert intercept == pytest.approx(expected_b, rel=1e-8)
    back_w, back_b = ds.to_model_units(slope, intercept)
    np.testing.assert_allclose(back_w, w, rtol=1e-10)
    assert back_b == pytest.approx(b, abs=1e-10)


def test_unit_conversion_is_identity_without_standardization():
    ds = inline([1.0, 2.0, 4.0], [3.0, 1.0, 2.0])
    assert ds.to_original_units(0.3, -2.5) == (0.3, -2.5)
    assert ds.to_model_units(0.3, -2.5) == (0.3, -2.5)
    w, b = ds.to_original_units([0.3], -2.5)
    assert isinstance(w, np.ndarray) and w.tolist() == [0.3] and b == -2.5


def test_unit_conversion_checks_the_number_of_weights():
    ds = inline([[1, 2], [2, 1], [3, 5]], [1, 2, 3])
    with pytest.raises(DataError, match="single weight.*2 x columns"):
        ds.to_original_units(1.0, 0.0)
    with pytest.raises(DataError, match="3 weights.*2 x column"):
        ds.to_model_units([1.0, 2.0, 3.0], 0.0)


def test_frame_is_in_original_units():
    ds = load_csv(b"a,b\n1,10\n2,30\n4,20\n", standardize=True)
    frame = ds.frame()
    assert list(frame.columns) == ["a", "b"]
    np.testing.assert_allclose(frame.to_numpy(), [[1, 10], [2, 30], [4, 20]], rtol=1e-12)
    assert not np.allclose(ds.x[:, 0], [1, 2, 4])


def test_content_hash():
    a = inline([1, 2, 3], [1, 0, 1])
    assert len(a.content_hash()) == 64 and int(a.content_hash(), 16) >= 0
    assert a.content_hash() == inline([1, 2, 3], [1, 0, 1]).content_hash()
    assert a.content_hash() != inline([1, 2, 3], [1, 0, 2]).content_hash()
    assert a.content_hash() != inline([1, 2, 3], [1, 0, 1], x_names=["t"]).content_hash()
    assert a.content_hash() != inline([1, 2, 3], [1, 0, 1], y_name="v").content_hash()
    assert a.content_hash() != inline([1, 2, 3], [1, 0, 1], standardize=True).content_hash()
    # the same standardized values from different original data are different data
    assert (inline([1, 2, 3], [1, 0, 1], standardize=True).content_hash()
            != inline([11, 12, 13], [1, 0, 1], standardize=True).content_hash())
    # the description is not part of the key
    from dataclasses import replace
    assert replace(a, source="other", notes=("n",)).content_hash() == a.content_hash()


def test_with_standardization():
    plain = inline([1.0, 2.0, 5.0], [2.0, 3.0, 9.0])
    std = plain.with_standardization(True)
    assert std.standardized and std.with_standardization(True) is std
    back = std.with_standardization(False)
    np.testing.assert_allclose(back.x, plain.x, rtol=1e-12)
    np.testing.assert_allclose(back.y, plain.y, rtol=1e-12)


def test_constant_y_is_centred_not_scaled():
    ds = inline([1, 2, 3], [5, 5, 5], standardize=True)
    assert ds.y_scale == 1.0 and np.all(ds.y == 0)
    assert any("'y' is constant" in note for note in ds.notes)


# --------------------------------------------------------------------------- read_table


def test_read_table_basic():
    df, notes = read_table(b"a,b,label\n1,2.5,foo\n3,4.5,bar\n")
    assert list(df.columns) == ["a", "b", "label"]
    assert df["a"].tolist() == [1, 3] and df["b"].tolist() == [2.5, 4.5]
    assert df["label"].tolist() == ["foo", "bar"]
    assert pd.api.types.is_numeric_dtype(df["a"]) and pd.api.types.is_numeric_dtype(df["b"])
    assert notes == ()
    assert isinstance(notes, tuple)


def test_read_table_semicolon_file_with_decimal_comma():
    df, notes = read_table(b"x;y;name\n1,5;2,25;a\n3;-4,5;b\n")
    assert df["x"].tolist() == [1.5, 3.0] and df["y"].tolist() == [2.25, -4.5]
    assert any("';'" in note for note in notes)
    assert any("decimal mark" in note and "'x'" in note for note in notes)


def test_read_table_semicolon_file_with_decimal_points():
    df, notes = read_table(b"x;y\n1.5;2\n3;4.25\n")
    assert df["x"].tolist() == [1.5, 3.0] and df["y"].tolist() == [2.0, 4.25]
    assert notes == ("Columns are separated by ';' (semicolons).",)


@pytest.mark.parametrize(("sep", "word"), [("\t", "tabs"), ("|", "'|'")])
def test_read_table_tab_and_pipe(sep, word):
    df, notes = read_table(f"a{sep}b\n1{sep}2\n3{sep}4\n".encode())
    assert df.to_numpy().tolist() == [[1, 2], [3, 4]]
    assert any(word in note for note in notes)


def test_read_table_tab_file_with_an_unnamed_first_column():
    df, _ = read_table(b"\tb\tc\n1\t2\t3\n4\t5\t6\n")
    assert list(df.columns) == ["column 1", "b", "c"] and df.shape == (2, 3)


def test_read_table_skips_leading_blank_lines():
    df, _ = read_table(b"  \n\r\n\n a , b\n1,2\n")
    assert list(df.columns) == ["a", "b"] and df.to_numpy().tolist() == [[1, 2]]


def test_read_table_comma_file_with_semicolons_in_text():
    df, notes = read_table(b"name,value\nfoo;bar,1\nbaz,2\n")
    assert list(df.columns) == ["name", "value"] and notes == ()


def test_read_table_utf8_with_bom():
    df, notes = read_table("\ufeffcafé,b\n1,2\n".encode())
    assert list(df.columns) == ["café", "b"] and notes == ()


def test_read_table_latin1_bytes():
    df, notes = read_table(b"caf\xe9,b\n1,2\n3,4\n")
    assert list(df.columns) == ["café", "b"]
    assert notes == (LATIN1_NOTE,)


def test_read_table_cp1252_and_undefined_bytes():
    df, notes = read_table(b"price \x80,b\x81\n1,2\n")
    assert list(df.columns) == ["price €", "b\x81"]
    assert notes == (LATIN1_NOTE,)


def test_read_table_utf16_with_bom():
    df, notes = read_table("a\tb\n1\t2\n3\t4\n".encode("utf-16"))
    assert df.to_numpy().tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("raw", [b"", b"   ", b"\n\n\r\n", b" \t \n "])
def test_read_table_empty_file(raw):
    with pytest.raises(DataError) as err:
        read_table(raw)
    assert one_line(err) == ("The file is empty: upload a CSV with a header row and at least "
                             "two data rows.")


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"a,b\n1,2\n3,4,5\n", ["line 3", "3 fields", "header has 2"]),
        (b"a,b\n1,2,3\n4,5,6\n", ["line 2", "3 fields"]),
        (b"\n\na,b\n1,2\n1,2,3\n", ["line 5"]),
        (b'a,b\n1,"2\n3,4\n', ["line 2", "never closed"]),
    ],
)
def test_read_table_parse_errors_name_the_line(raw, words):
    with pytest.raises(DataError) as err:
        read_table(raw, name="cars.csv")
    msg = one_line(err)
    assert "cars.csv" in msg
    for word in words:
        assert word in msg


def test_read_table_max_bytes(tmp_path):
    raw = b"a,b\n1,2\n3,4\n"
    with pytest.raises(DataError) as err:
        read_table(raw, name="big.csv", max_bytes=5)
    assert "big.csv" in one_line(err) and "limit of 5 bytes" in str(err.value)
    path = tmp_path / "big.csv"
    path.write_bytes(raw)
    with pytest.raises(DataError, match="limit of 5 bytes"):
        read_table(path, max_bytes=5)
    assert read_table(raw, max_bytes=len(raw))[0].shape == (2, 2)
    with pytest.raises(DataError, match="max_bytes"):
        read_table(raw, max_bytes=0)


def test_read_table_from_paths(tmp_path):
    path = tmp_path / "cars.csv"
    path.write_bytes(b"hp,mpg\n100,30\n200,20\n")
    for source in (path, str(path)):
        df, _ = read_table(source)
        assert df.shape == (2, 2)
    with pytest.raises(DataError) as err:
        read_table(tmp_path / "missing.csv")
    assert "missing.csv" in one_line(err) and "does not exist" in str(err.value)
    with pytest.raises(DataError, match="folder"):
        read_table(tmp_path)


def test_read_table_rejects_other_sources():
    with pytest.raises(DataError, match="bytes or its path"):
        read_table(123)  # type: ignore[arg-type]


def test_read_table_rejects_binary_and_excel():
    with pytest.raises(DataError) as err:
        read_table(b"a,b\n1,\x002\n")
    assert "binary" in one_line(err)
    with pytest.raises(DataError) as err:
        read_table(b"PK\x03\x04rest-of-a-zip", name="book.xlsx")
    assert "Excel" in one_line(err) and "book.xlsx" in str(err.value)


def test_read_table_duplicate_names():
    df, notes = read_table(b"x,x,x,y\n1,2,3,4\n")
    assert list(df.columns) == ["x", "x (2)", "x (3)", "y"]
    assert any("duplicate" in note and "'x (2)'" in note for note in notes)
    df, _ = read_table(b"x,x (2),x\n1,2,3\n")
    assert list(df.columns) == ["x", "x (2)", "x (3)"]


def test_read_table_strips_and_fills_names():
    df, notes = read_table(b"  a  ,,b, \n1,2,3,4\n")
    assert list(df.columns) == ["a", "column 2", "b", "column 4"]
    assert any("'column 2'" in note for note in notes)


def test_read_table_keeps_odd_names_verbatim():
    header = 'a.b,c:d,e[0],<b>x</b>,with space,"say ""hi""",{y},$z\\n'
    df, notes = read_table((header + "\n1,2,3,4,5,6,7,8\n").encode())
    assert list(df.columns) == ["a.b", "c:d", "e[0]", "<b>x</b>", "with space", 'say "hi"',
                                "{y}", "$z\\n"]
    assert notes == ()


def test_read_table_blank_rows():
    df, _ = read_table(b"a,b\n1,2\n\n3,4\n\n\n,\n")
    # a blank line inside the data is a (blank) row; trailing blank lines are not rows
    assert len(df) == 3 and np.isnan(df["a"].iloc[1])


def test_read_table_keeps_text_visible():
    df, _ = read_table(b"a,b\n1,NA\n2,x\n3,\n")
    assert df["b"].tolist() == ["NA", "x", ""]


# --------------------------------------------------------------------------- numeric_columns


def test_numeric_columns():
    df, _ = read_table(b"a,b,c,d,e,f\n1,x,1,,inf,1\n2,y,2,,inf,2\n3,z,w,,1,3\n")
    assert numeric_columns(df) == ["a", "c", "f"]


def test_numeric_columns_on_any_dataframe():
    df = pd.DataFrame({
        "num": [1.0, 2.0, np.nan],
        "text": ["a", "b", "c"],
        "mostly": ["1", " 2 ", "x"],
        "half": ["1", "x", None],
        "mixed": [1, "2", 3.5],
        "flags": [True, False, True],
        "empty": [None, None, None],
    })
    assert numeric_columns(df) == ["num", "mostly", "mixed"]


# --------------------------------------------------------------------------- load_csv


def test_load_csv_defaults_first_and_last_numeric():
    ds = load_csv(b"name,hp,weight,mpg,origin\ncar1,100,2000,30,us\ncar2,150,3000,25,eu\n"
                  b"car3,200,3500,18,jp\n", name="cars.csv")
    assert ds.x_names == ("hp",) and ds.y_name == "mpg"
    assert ds.x[:, 0].tolist() == [100, 150, 200] and ds.y.tolist() == [30, 25, 18]
    assert ds.source == "upload: cars.csv"


def test_load_csv_explicit_columns_and_multi_feature():
    raw = b"a,b,c,d\n1,2,3,4\n2,1,5,7\n3,5,4,6\n4,3,1,2\n"
    ds = load_csv(raw, x="c", y="a")
    assert ds.x_names == ("c",) and ds.y_name == "a"
    ds = load_csv(raw, x=["b", "c"])
    assert ds.x_names == ("b", "c") and ds.y_name == "d" and ds.d == 2
    ds = load_csv(raw, x=(" b ",), y="d")  # names are matched after stripping spaces
    assert ds.x_names == ("b",)
    ds = load_csv(raw, y="a")  # x defaults to the first numeric column other than y
    assert ds.x_names == ("b",)


def test_load_csv_path_source(tmp_path):
    path = tmp_path / "points.csv"
    path.write_bytes(b"u,v\n1,2\n2,4\n3,7\n")
    ds = load_csv(path)
    assert ds.source == "file: points.csv" and ds.n == 3
    assert load_csv(str(path), name="mine.csv").source == "file: mine.csv"


def test_load_csv_semicolon_and_latin1_file():
    ds = load_csv("année;prix\n2001;1,5\n2002;2,5\n2003;2,75\n".encode("cp1252"))
    assert ds.x_names == ("année",) and ds.y_name == "prix"
    assert ds.y.tolist() == [1.5, 2.5, 2.75]
    assert LATIN1_NOTE in ds.notes
    assert any("';'" in note for note in ds.notes)


def test_load_csv_odd_names_are_usable():
    header = b'a.b,c:d,e[0],<b>x</b>,with space'
    ds = load_csv(header + b"\n1,2,3,4,5\n2,3,5,4,1\n3,1,1,2,2\n", x=["<b>x</b>", "e[0]"],
                  y="with space")
    assert ds.x_names == ("<b>x</b>", "e[0]") and ds.y_name == "with space"
    assert list(ds.frame().columns) == ["<b>x</b>", "e[0]", "with space"]
    ds = load_csv(header + b"\n1,2,3,4,5\n2,3,5,4,1\n3,1,1,2,2\n")
    assert ds.x_names == ("a.b",) and ds.y_name == "with space"


def test_load_csv_duplicate_names_are_selectable():
    ds = load_csv(b"x,x\n1,5\n2,3\n3,4\n")
    assert ds.x_names == ("x",) and ds.y_name == "x (2)"
    assert any("duplicate" in note for note in ds.notes)


def test_load_csv_drops_bad_rows_with_a_note():
    raw = b"x,y,comment\n1,2,ok\n2,,empty\n3,inf,inf\n4,5,\nabc,6,text\n6,7,ok\n7,8,\n"
    ds = load_csv(raw, x="x", y="y")
    assert ds.n == 4 and ds.x[:, 0].tolist() == [1, 4, 6, 7]
    (note,) = ds.notes
    assert note.startswith("Dropped 3 of 7 rows with empty or non-numeric or infinite values "
                           "in 'x', 'y' (rows 2, 3, 5;")
    assert "row 1 = first row below the header" in note


def test_load_csv_shows_at_most_five_dropped_rows():
    rows = b"\n".join(b"%d,%s" % (i, b"" if i % 2 else b"%d" % i) for i in range(1, 21))
    ds = load_csv(b"x,y\n" + rows + b"\n")
    (note,) = ds.notes
    assert "Dropped 10 of 20 rows" in note and "'y'" in note
    assert "(rows 1, 3, 5, 7, 9 and 5 more;" in note


def test_load_csv_row_numbers_count_data_rows_from_one():
    ds = load_csv(b"x,y\n1,2\n,3\n3,4\n4,6\n")
    assert "(row 2;" in ds.notes[0]


@pytest.mark.parametrize(
    ("raw", "kwargs", "words"),
    [
        (b"a,b\nq,x\nr,y\n", {},
         ["No numeric column found in data.csv", "'a', 'b'", "at least two columns"]),
        (b"a,b\n1,x\n2,y\n", {}, ["Only one numeric column", "'a'"]),
        (b"a,b\n1,x\n2,y\n", {"y": "a"}, ["Only one numeric column"]),
        (b"a,b\n1,x\n2,y\n", {"x": "a"}, ["Only one numeric column"]),
        (b"a,b,c\n1,2,x\n2,3,y\n", {"x": "zz"},
         ["'zz'", "not in data.csv", "Numeric columns: 'a', 'b'"]),
        (b"a,b\n1,2\n2,3\n", {"y": "zz"}, ["'zz'", "Numeric columns"]),
        (b"a,b\n1,2\n2,3\n", {"x": "a", "y": "a"}, ["'a'", "both x and y"]),
        (b"a,b,c\n1,2,3\n2,3,4\n", {"x": ["a", "c"], "y": "a"}, ["both x and y"]),
        (b"a,b,c\n1,2,3\n2,3,4\n", {"x": ["a", "a"]}, ["'a'", "twice"]),
        (b"a,b\n1,2\n2,3\n", {"x": []}, ["non-empty list"]),
        (b"a,b\n1,2\n2,3\n", {"x": 0}, ["column name"]),
        (b"a,b\n1,2\n2,3\n", {"x": [0]}, ["name"]),
        (b"a,b\n1,2\n2,3\n", {"x": ["a", "b"]}, ["No numeric column left for y"]),
        (b"a,b,price\n1,2,3\n2,3,abc\n3,4,x\n", {"y": "price"},
         ["Column 'price' holds text in 2 of 3 rows", "first at row 2: 'abc'"]),
        (b"a,b,label\n1,2,\n2,3,\n", {"x": "label"}, ["'label'", "empty in all 2 rows"]),
        (b"a,b,c\n1,2,inf\n2,3,inf\n", {"y": "c"}, ["'c'", "no finite numbers"]),
        (b"a,b\n1,2\n3,\n", {}, ["Only 1 usable row", "'b'", "row 2"]),
        (b"a,b\n,2\n3,\n", {"x": "a", "y": "b"}, ["No usable row", "rows 1, 2"]),
        (b"a,b\n1,2\n", {}, ["Only 1 usable row"]),
        (b"a,b\n", {}, ["no data rows"]),
        (b"x,y\n3,1\n3,2\n3,5\n", {},
         ["Column 'x' is constant (every value is 3.0): a slope cannot be fitted. "
          "Pick another x column."]),
        (b"x,z,y\n1,3,1\n2,3,2\n3,3,5\n", {"x": ["x", "z"]}, ["'z' is constant"]),
    ],
)
def test_load_csv_errors(raw, kwargs, words):
    with pytest.raises(DataError) as err:
        load_csv(raw, **kwargs)
    msg = one_line(err)
    for word in words:
        assert word in msg, msg


def test_load_csv_error_names_the_file():
    with pytest.raises(DataError, match="in prices.csv"):
        load_csv(b"a,b\nq,x\nr,y\n", name="prices.csv")


def test_load_csv_long_names_are_shortened_in_messages():
    name = "n" * 300
    with pytest.raises(DataError) as err:
        load_csv(f"{name},b\nx,y\nz,w\n".encode())
    assert len(one_line(err)) < 250 and "…" in str(err.value)


def test_load_csv_standardized_matches_polyfit():
    raw = b"x,y\n" + b"\n".join(b"%d,%f" % (v, 3 * v + 7 + (v % 3)) for v in range(1, 41))
    ds = load_csv(raw, standardize=True)
    slope, intercept = ds.to_original_units(*np.polyfit(ds.x[:, 0], ds.y, 1))
    expected = np.polyfit(ds.frame()["x"], ds.frame()["y"], 1)
    assert slope == pytest.approx(expected[0]) and intercept == pytest.approx(expected[1])


def test_load_csv_huge_values_cannot_be_standardized():
    with pytest.raises(DataError, match="'x'.*too large"):
        load_csv(b"x,y\n1e308,1\n-1e308,2\n1e307,3\n", standardize=True)


# --------------------------------------------------------------------------- inline


def test_inline_one_and_two_dimensional():
    ds = inline([1, 2, 3], [2, 4, 6.5])
    assert ds.x.shape == (3, 1) and ds.x_names == ("x",) and ds.source == "inline (n=3)"
    ds = inline(np.array([[1, 2], [2, 0], [4, 1]]), np.array([[1], [2], [3]]))
    assert ds.x_names == ("x1", "x2") and ds.y.shape == (3,)
    ds = inline([[1, 2], [2, 0], [4, 1]], [1, 2, 3], x_names=["u", "v"], y_name="w")
    assert ds.frame().columns.tolist() == ["u", "v", "w"]


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "words"),
    [
        ([1, 2, 3], [1, 2], {}, ["x has 3 rows but y has 2 values"]),
        ([1, float("nan"), 3], [1, 2, 3], {}, ["non-finite", "nan", "'x'", "row 2"]),
        ([1, 2, 3], [1, 2, float("inf")], {}, ["non-finite", "inf", "'y'", "row 3"]),
        ([[1, 2], [3, float("-inf")]], [1, 2], {}, ["'x2'", "row 2"]),
        ([1], [1], {}, ["Only 1 row"]),
        ([], [], {}, ["Only 0 row"]),
        ([2, 2, 2], [1, 2, 3], {}, ["'x' is constant"]),
        ([[1, 2], [2, 2]], [1, 2], {}, ["'x2' is constant"]),
        ([[1, 2], [3]], [1, 2], {}, ["numbers only"]),
        (["a", "b"], [1, 2], {}, ["numbers only"]),
        ([[[1]], [[2]]], [1, 2], {}, ["shape"]),
        ([1, 2], [[1, 2], [3, 4]], {}, ["y must be a list"]),
        ([1, 2], [1, 2], {"x_names": ["a", "b"]}, ["2 name(s)", "1 column"]),
        ([1, 2], [1, 2], {"x_names": ["y"]}, ["distinct"]),
        ([[1, 2], [2, 1]], [1, 2], {"x_names": ["a", "a"]}, ["distinct"]),
        ([1, 2], [1, 2], {"y_name": ""}, ["non-empty"]),
    ],
)
def test_inline_errors(x, y, kwargs, words):
    with pytest.raises(DataError) as err:
        inline(x, y, **kwargs)
    msg = one_line(err)
    for word in words:
        assert word in msg, msg


# --------------------------------------------------------------------------- samples


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_samples_load_with_their_defaults(key):
    info = SAMPLES[key]
    assert isinstance(info, SampleInfo)
    assert all([info.file, info.title, info.description, info.source, info.licence])
    assert info.path.is_file() and info.path.stat().st_size < 100_000
    ds = load_sample(key)
    assert ds.x_names == info.x_columns and ds.y_name == info.y
    assert ds.n >= 10 and ds.problem == info.problem
    assert ds.source == f"sample: {info.title}"
    std = load_sample(key, standardize=True)
    if info.problem == "logistic":  # (tests/test_data_classes.py checks the fit)
        assert ds.classes is not None and info.positive == ds.classes[1]
        assert np.array_equal(std.y, ds.y)  # labels are never standardized
        return
    # a clear, roughly linear relation: least squares explains most of the variance
    design = np.column_stack([ds.x, np.ones(ds.n)])
    coef, rss, *_ = np.linalg.lstsq(design, ds.y, rcond=None)
    assert 1 - rss[0] / np.sum((ds.y - ds.y.mean()) ** 2) > 0.64
    std_coef = np.linalg.lstsq(np.column_stack([std.x, np.ones(std.n)]), std.y, rcond=None)[0]
    slope, intercept = std.to_original_units(std_coef[:-1], std_coef[-1])
    np.testing.assert_allclose(slope, coef[:-1], rtol=1e-8)
    assert intercept == pytest.approx(coef[-1], rel=1e-8)


def test_samples_are_documented():
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    for info in SAMPLES.values():
        assert info.file in readme
        assert info.licence in readme
    assert DATA_DIR == Path(__file__).resolve().parent.parent / "data"


def test_sample_values():
    ds = load_sample("anscombe")
    assert ds.n == 11
    slope, intercept = np.polyfit(ds.x[:, 0], ds.y, 1)
    assert slope == pytest.approx(0.5, abs=0.001) and intercept == pytest.approx(3.0, abs=0.01)
    assert load_sample("engel").n == 235
    assert load_sample("longley").n == 16
    for key in ("anscombe", "engel", "longley"):  # clean tables: nothing to say
        assert load_sample(key).notes == ()


def test_sample_with_other_columns():
    ds = load_sample("anscombe", x="x3", y="y3")
    assert (ds.x_names, ds.y_name) == (("x3",), "y3")
    ds = load_sample("longley", x=["GNP", "POP"])
    assert ds.x_names == ("GNP", "POP") and ds.y_name == "TOTEMP"
    ds = load_sample("longley", y="GNP")  # the default x is now y: pick another x
    assert ds.y_name == "GNP" and ds.x_names == ("TOTEMP",)
    ds = load_sample("engel", x="foodexp")
    assert ds.x_names == ("foodexp",) and ds.y_name == "income"


def test_unknown_sample():
    with pytest.raises(DataError) as err:
        load_sample("iris")
    msg = one_line(err)
    assert "'iris'" in msg
    for key in SAMPLES:
        assert f"'{key}'" in msg


def test_unknown_sample_column():
    with pytest.raises(DataError, match="'nope' is not in anscombe.csv"):
        load_sample("anscombe", x="nope")


# --------------------------------------------------------------------------- robustness


def test_data_module_does_not_import_streamlit():
    code = ("import sys, gdcore.data.sources, gdcore.data.csvio; "
            "assert 'streamlit' not in sys.modules, 'streamlit imported'")
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr


CSV_ALPHABET = list('0123456789,;.\t\n\r-+eE "|abcxé\x00') + ["inf", "nan", "NA"]
csv_like = st.lists(st.sampled_from(CSV_ALPHABET), max_size=120).map("".join)
byte_inputs = st.one_of(
    st.binary(max_size=200),
    csv_like.map(lambda s: s.encode("utf-8")),
    csv_like.map(lambda s: s.encode("cp1252", "replace")),
    csv_like.map(lambda s: ("x,y\n" + s).encode("utf-8")),
)


def check_dataset(ds: Dataset) -> None:
    assert isinstance(ds, Dataset) and ds.n >= 2 and ds.d >= 1
    assert np.isfinite(ds.x).all() and np.isfinite(ds.y).all()
    assert (ds.x_scale > 0).all() and ds.y_scale > 0
    assert ds.frame().shape == (ds.n, ds.d + 1)


@pytest.mark.filterwarnings("error")
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=byte_inputs, standardize=st.booleans())
def test_random_bytes_give_a_dataset_or_a_data_error(raw, standardize):
    try:
        df, notes = read_table(raw)
    except DataError as err:
        assert "\n" not in str(err)
    else:
        assert isinstance(df, pd.DataFrame) and isinstance(notes, tuple)
        # columns that are mostly numbers come back as numbers
        for col in numeric_columns(df):
            assert pd.api.types.is_numeric_dtype(df[col])
    try:
        ds = load_csv(raw, standardize=standardize)
    except DataError as err:
        assert "\n" not in str(err)
    else:
        check_dataset(ds)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.tuples(finite, finite), min_size=0, max_size=30),
       w=finite, b=finite)
def test_random_inline_data_round_trips(values, w, b):
    x = [v[0] for v in values]
    y = [v[1] for v in values]
    try:
        ds = inline(x, y, standardize=True)
    except DataError:
        return
    check_dataset(ds)
    slope, intercept = ds.to_original_units(w, b)
    if abs(slope) < 1e-290 and w != 0:
        return  # the slope underflows in original units (e.g. y ~ 1e-147, w ~ 1e-266)
    back_w, back_b = ds.to_model_units(slope, intercept)
    assert back_w == pytest.approx(w, rel=1e-9, abs=1e-300)
    # b goes through y_mean and slope*x_mean: the error scales with those terms
    scale = abs(b) + (abs(ds.y_mean) + abs(slope * ds.x_mean[0])) / ds.y_scale
    assert back_b == pytest.approx(b, abs=1e-9 * scale + 1e-300)


# --------------------------------------------------------------------------- real-world uploads
# The files in tests/fixtures/csv/ are synthetic (made by make_fixtures.py there from fixed
# seeds; no real data set is copied): see the README.md next to them.

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "csv"
NO_HEADER_NOTE = ("The first row looks like data, not column names: it was read as data and the "
                  "columns were named column 1..3. If it was a header, give the columns names "
                  "that are not numbers.")


def test_no_header_row_is_read_as_data_with_a_note():
    df, notes = read_table(b"130,3504,12\n165,3693,11.5\n150,3436,11\n")
    assert list(df.columns) == ["column 1", "column 2", "column 3"]
    assert df.to_numpy().tolist() == [[130, 3504, 12], [165, 3693, 11.5], [150, 3436, 11]]
    assert notes == (NO_HEADER_NOTE,) and df.attrs["header"] is False
    ds = load_csv(FIXTURES / "no_header.csv")
    assert ds.n == 20 and ds.x_names == ("column 1",) and ds.y_name == "column 3"
    assert ds.x[:3, 0].tolist() == [130, 165, 150]  # the first row is kept
    assert ds.notes == (NO_HEADER_NOTE,)


def test_no_header_row_with_semicolons_and_decimal_commas():
    df, notes = read_table(b"1,5;2;3\n3,25;4;5\n")
    assert df.to_numpy().tolist() == [[1.5, 2, 3], [3.25, 4, 5]]
    assert any(note.startswith("The first row looks like data") for note in notes)
    # "1;2,5" splits into two fields at ',' and at ';': the numbers decide
    df, notes = read_table(b"1;2,5\r\n3;4,5\r\n")
    assert df.to_numpy().tolist() == [[1, 2.5], [3, 4.5]]
    assert "Columns are separated by ';' (semicolons)." in notes


def test_no_header_row_numbers_rows_from_the_first_line():
    ds = load_csv(b"1,2\n2,\n3,5\n4,4\n")
    assert ds.n == 3 and "(row 2; row 1 = first row of the file)" in ds.notes[-1]
    with pytest.raises(DataError) as err:
        read_table(b"1,2\n3,4,5\n")
    assert "line 2" in one_line(err)


AUTO_MPG = (  # the first lines of UCI's auto-mpg.data, as downloaded (spaces, a tab, quotes)
    b'18.0   8   307.0      130.0      3504.      12.0   70  1\t"chevrolet chevelle malibu"\n'
    b'15.0   8   350.0      165.0      3693.      11.5   70  1\t"buick skylark 320"\n'
    b'18.0   8   318.0      150.0      3436.      11.0   70  1\t"plymouth satellite"\n'
    b'25.0   4   98.00      ?          2046.      19.0   71  1\t"ford pinto"\n'
    b'21.0   6   200.0      85.00      2587.      16.0   70  1\t"ford maverick"\n')
SPACES_NOTE = "Columns are separated by spaces (runs of spaces or tabs)."


def test_a_whitespace_aligned_file_without_a_header_is_read_column_by_column():
    df, notes = read_table(AUTO_MPG, name="auto-mpg.data")
    assert df.shape == (5, 9) and df.attrs["header"] is False
    assert notes == (SPACES_NOTE, NO_HEADER_NOTE.replace("1..3", "1..9"),
                     "Read '?' as missing values in 'column 4' (rows without a value there are "
                     "dropped when that column is used).")
    assert df["column 1"].tolist() == [18, 15, 18, 25, 21]
    assert df["column 5"].tolist() == [3504, 3693, 3436, 2046, 2587]  # "3504." is a number
    assert df["column 9"].tolist()[:2] == ["chevrolet chevelle malibu", "buick skylark 320"]
    assert df["column 4"].isna().tolist() == [False, False, False, True, False]  # the "?"
    ds = load_csv(AUTO_MPG, x="column 4", y="column 1", name="auto-mpg.data")
    assert ds.n == 4 and ds.x[:, 0].tolist() == [130, 165, 150, 85]
    assert "Dropped 1 of 5 rows with empty or non-numeric or infinite values in 'column 4' " \
           "(row 4; row 1 = first row of the file)." in ds.notes


def test_missing_value_markers_in_a_numeric_column_are_gaps_with_a_note():
    raw = b"x,y,name\n1,2,NA\n2,NA,bo\n3,N/A,cy\n4,8,di\n5,null,ek\n6,11,fu\n7,#N/A,gi\n"
    df, notes = read_table(raw)
    assert df["y"].isna().tolist() == [False, True, True, False, True, False, True]
    assert df["y"].dropna().tolist() == [2, 8, 11]
    assert df["name"].tolist()[0] == "NA"  # a text column keeps its text
    assert notes == ("Read '#N/A', 'N/A', 'NA', 'null' as missing values in 'y' (rows without a "
                     "value there are dropped when that column is used).",)
    ds = load_csv(raw, x="x", y="y")
    assert ds.n == 3 and ds.x[:, 0].tolist() == [1, 4, 6]
    assert ds.notes[-1].startswith("Dropped 4 of 7 rows with empty or non-numeric or infinite "
                                   "values in 'y' (rows 2, 3, 5, 7;")
    # a column of markers alone is not numbers
    df, notes = read_table(b"x,y\n1,NA\n2,NA\n")
    assert df["y"].tolist() == ["NA", "NA"] and notes == ()


@pytest.mark.parametrize(("raw", "values", "notes"), [
    (b'item,price\na,"$1,234.50"\nb,$99.00\nc,-$5.25\n', [1234.5, 99.0, -5.25],
     ("Read 'price' as numbers without their '$' signs.",
      "Read ',' as a thousands separator in 'price'.")),
    (b"x,rate\n1,45%\n2,50 %\n3,61.5%\n", [45, 50, 61.5],
     ("Read 'rate' as numbers without their '%' signs (45% is read as 45).",)),
    ("x;preis\n1;1.234,50 €\n2;99,00 €\n".encode(), [1234.5, 99.0],
     ("Columns are separated by ';' (semicolons).",
      "Read 'preis' as numbers without their '€' signs.", "Read ',' as the decimal mark in "
      "'preis'.", "Read '.' as a thousands separator in 'preis'.")),
])
def test_numbers_with_a_currency_or_percent_sign_are_read_with_a_note(raw, values, notes):
    df, got = read_table(raw)
    assert df.iloc[:, 1].tolist() == values and got == notes


@pytest.mark.parametrize("raw", [
    "x,p\n1,$5\n2,€6\n3,$7\n".encode(),  # dollars and euros are not one quantity
    b"x,name\n1,$ave\n2,bob\n3,$x\n",  # text that starts with a dollar sign
])
def test_mixed_or_textual_signs_stay_text(raw):
    df, notes = read_table(raw)
    assert df.iloc[:, 1].dtype.kind not in "if" and notes == ()


def test_missing_value_markers_among_two_classes_are_gaps_else_a_class():
    raw = b"x,label\n1,NA\n2,yes\n3,no\n4,yes\n5,?\n"
    ds = load_csv(raw, problem="logistic")
    assert ds.y_name == "label" and ds.n == 3 and set(ds.classes) == {"yes", "no"}
    assert ds.notes[0].startswith("Dropped 2 of 5 rows with no class label in 'label' "
                                  "(rows 1, 5;")
    ds = load_csv(b"x,smoker\n1,None\n2,Heavy\n3,None\n", problem="logistic")
    assert ds.n == 3 and set(ds.classes) == {"None", "Heavy"}  # "None" is a class here


@pytest.mark.parametrize(("raw", "names", "rows"), [
    (b"  x   y\n  1   2.5\n  3   4\n\n", ["x", "y"], [[1, 2.5], [3, 4]]),  # a printed table
    (b"x y\n1 2\n3 4\n", ["x", "y"], [[1, 2], [3, 4]]),
    (b"1.5 2\n3 4\n", ["column 1", "column 2"], [[1.5, 2], [3, 4]]),
])
def test_space_separated_tables(raw, names, rows):
    df, notes = read_table(raw)
    assert list(df.columns) == names and df.to_numpy().tolist() == rows
    assert notes[0] == SPACES_NOTE


@pytest.mark.parametrize(("raw", "names"), [
    (b"x,y\n1,2\n3,4\n", ["x", "y"]),
    (b"x, y\n1, 2\n3, 4\n", ["x", "y"]),  # spaces after the commas: still commas
    (b"first name,last name,age\nann lee,bo ma,3\ncy do,di ek,4\n",
     ["first name", "last name", "age"]),  # as many spaces in every row: still commas
    (b"a\tb c\n1\t2\n3\t4\n", ["a", "b c"]),  # tabs, a name with a space
])
def test_commas_and_tabs_win_over_spaces(raw, names):
    df, notes = read_table(raw)
    assert list(df.columns) == names
    assert SPACES_NOTE not in notes


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        (b"name,2019,2020\nfoo,1,2\nbar,3,4\n", ["name", "2019", "2020"]),  # whole numbers
        (b"car,mpg,hp\nford,18.0,130\nfiat,25.5,90\n", ["car", "mpg", "hp"]),
        (b"year,2019,2020\n1,2,3\n4,5,6\n", ["year", "2019", "2020"]),
        (b",2019,2020\n1,2,3\n4,5,6\n", ["column 1", "2019", "2020"]),  # an empty name
        (b"0,1,2\n5,6,7\n8,9,10\n", ["0", "1", "2"]),  # pandas' names for unnamed columns
        (b"x,y\n1,2\n", ["x", "y"]),
    ],
)
def test_headers_with_number_like_names_stay_headers(raw, names):
    df, notes = read_table(raw)
    assert list(df.columns) == names and df.attrs["header"] is True
    assert not any("looks like data" in note for note in notes)
    if names == ["0", "1", "2"]:
        assert notes == ("The column names are all numbers ('0', '1', '2'): the first row was "
                         "read as names, as pandas writes them for unnamed columns.",)


@pytest.mark.parametrize(
    ("raw", "expected", "note"),
    [
        (b'a,b\n"1,234",5\n"12,345.5",6\n"999",7\n"-1,000,000",8\n',
         [1234, 12345.5, 999, -1_000_000], "Read ',' as a thousands separator in 'a'."),
        (b"a,b\n1 234,5\n12 345,6\n", [1234, 12345], "Read spaces as thousands separators in 'a'."),
        ("a,b\n1\u00a0234.5,5\n2\u00a0000,6\n".encode(), [1234.5, 2000],
         "Read non-breaking spaces as thousands separators in 'a'."),
        (b"a;b\n1.234,5;5\n2.345,5;6\n3.456;8\n", [1234.5, 2345.5, 3456],
         "Read '.' as a thousands separator in 'a'."),
        (b"a;b\n1.234.567;5\n2.345;6\n", [1_234_567, 2345],
         "Read '.' as a thousands separator in 'a'."),
        (b"a;b\n1 234,5;5\n2 000;6\n", [1234.5, 2000], "Read spaces as thousands separators in 'a'."),
        (b"a;b\n1,234.5;5\n2,000;6\n", [1234.5, 2000], "Read ',' as a thousands separator in 'a'."),
        (b"a\tb\n1'234.5\t5\n2'000\t6\n", [1234.5, 2000],
         "Read apostrophes as thousands separators in 'a'."),
    ],
)
def test_thousands_separators_are_read_with_a_note(raw, expected, note):
    df, notes = read_table(raw)
    assert df["a"].tolist() == expected and pd.api.types.is_numeric_dtype(df["a"])
    assert note in notes


def test_thousands_fixture_loads():
    ds = load_csv(FIXTURES / "thousands.csv", x="area_sqft", y="price")
    assert ds.n == 30 and ds.notes == (
        "Read ',' as a thousands separator in 'area_sqft', 'price'.",)
    assert ds.x.min() >= 600 and ds.x.max() <= 4200 and ds.y.min() > 10_000


@pytest.mark.parametrize(
    ("raw", "expected", "note"),
    [
        # with ';' a comma is the decimal mark unless the column proves otherwise
        (b"a;b\n1,5;5\n2,25;6\n", [1.5, 2.25], "Read ',' as the decimal mark in 'a'."),
        (b"a;b\n1,234;5\n2,500;6\n", [1.234, 2.5], "Read ',' as the decimal mark in 'a'."),
        (b"a;b\n1.234;5\n2.5;6\n", [1.234, 2.5], None),  # decimal points, as before
    ],
)
def test_decimal_commas_are_never_read_as_thousands_separators(raw, expected, note):
    df, notes = read_table(raw)
    assert df["a"].tolist() == expected
    assert not any("thousands" in n for n in notes)
    if note:
        assert note in notes


def test_thousands_separators_that_cannot_be_read_are_named():
    # "12345" has no separator while "1,234" has one: the column is not consistent
    raw = b'a,b,c\n"1,234",1,2\n12345,2,3\n"2,500",3,5\n'
    df, notes = read_table(raw)
    assert df["a"].tolist() == ["1,234", "12345", "2,500"]
    hint = ("Column 'a' looks like numbers with thousands separators (e.g. '1,234' in row 1) "
            "that could not be read: save the file without thousands separators (plain numbers "
            "like 1234.5).")
    assert notes == (hint,)
    with pytest.raises(DataError) as err:
        load_csv(raw, x="a")
    msg = one_line(err)
    assert "Column 'a' holds text in 2 of 3 rows" in msg and hint in msg
    with pytest.raises(DataError) as err:
        load_csv(b'a,b\n"1,234",x\n12345,y\n"2,500",z\n')
    msg = one_line(err)
    assert msg.startswith("No numeric column found in data.csv: columns are 'a', 'b'.")
    assert "thousands separators" in msg and "'a'" in msg
    with pytest.raises(DataError) as err:
        load_csv(b'a,b\n"1,234",1\n12345,2\n"2,500",3\n')
    assert "Only one numeric column" in one_line(err) and "thousands separators" in str(err.value)


def test_quoted_decimal_commas_in_a_comma_file_are_explained():
    raw = b'x,y\n"1,5",1\n"2,5",2\n"3,25",4\n'
    df, notes = read_table(raw)
    assert df["x"].tolist() == ["1,5", "2,5", "3,25"]
    assert any("decimal comma" in note and "'x'" in note for note in notes)
    with pytest.raises(DataError) as err:
        load_csv(raw)
    msg = one_line(err)
    assert "Only one numeric column" in msg and "decimal comma" in msg and "';'" in msg


def wide_csv(columns: int, rows: int) -> bytes:
    rng = np.random.default_rng(0)
    header = ",".join(f"c{j}" for j in range(columns))
    body = "\n".join(",".join(map(str, rng.integers(0, 100, columns))) for _ in range(rows))
    return f"{header}\n{body}\n".encode()


def test_very_wide_files_are_refused_from_the_header():
    # 10,000 columns x 200 rows (about 6 MB): refused before the body is parsed
    with pytest.raises(DataError) as err:
        load_csv(wide_csv(10_000, 200), name="wide.csv")
    assert one_line(err) == ("wide.csv has 10,000 columns; the lab reads at most 1,000. Keep only "
                             "the columns you need.")


def test_column_limit_boundary_and_argument(tmp_path):
    assert MAX_COLUMNS == 1_000
    assert read_table(wide_csv(1_000, 3))[0].shape == (3, 1_000)
    with pytest.raises(DataError, match="1,001 columns"):
        read_table(wide_csv(1_001, 3))
    with pytest.raises(DataError, match="3 columns; the lab reads at most 2"):
        read_table(b"1,2,3\n4,5,6\n", max_columns=2)  # also without a header row
    path = tmp_path / "wide.csv"
    path.write_bytes(b"a,b,c\r1,2,3\r4,5,6\r")  # old Mac line ends: pandas counts the header
    with pytest.raises(DataError, match="wide.csv has 3 columns"):
        read_table(path, max_columns=2)
    assert read_table(path)[0].shape == (2, 3)
    with pytest.raises(DataError, match="max_columns"):
        read_table(b"a,b\n1,2\n", max_columns=0)


def test_row_limit():
    assert MAX_ROWS == MAX_GENERATED_ROWS
    raw = b"a,b\n1,2\n3,4\n5,6\n"
    with pytest.raises(DataError) as err:
        read_table(raw, name="long.csv", max_rows=2)
    assert one_line(err) == ("long.csv has more than 2 data rows; the lab reads at most 2. Keep a "
                             "sample of the rows (or upload a smaller file).")
    assert len(read_table(raw, max_rows=3)[0]) == 3
    assert len(read_table(b"a,b\n1,2\n3,4\n\n\n\n", max_rows=2)[0]) == 2  # trailing blank lines
    with pytest.raises(DataError, match="more than 2 data rows"):
        read_table(b"a,b\n1,2\n3,4\n\n5,6\n", max_rows=2)  # a blank row, then more data
    with pytest.raises(DataError, match="max_rows"):
        read_table(raw, max_rows=-1)


def test_unknown_sample_names_are_never_substituted():
    for name in ("Anscombe", " anscombe", "anscombe.csv", None, 3):
        with pytest.raises(DataError) as err:
            load_sample(name)  # type: ignore[arg-type]
        msg = one_line(err)
        assert "No sample data set called" in msg
        assert all(f"'{key}'" in msg for key in SAMPLES)


def test_unknown_columns_name_the_valid_ones():
    with pytest.raises(DataError) as err:
        load_sample("longley", x="gnp")
    msg = one_line(err)
    assert "'gnp' is not in longley.csv" in msg and "'GNP'" in msg and "Did you mean 'GNP'?" in msg
    with pytest.raises(DataError) as err:
        load_csv(FIXTURES / "cars_like.csv", x="hp", y="mpg")
    msg = one_line(err)
    assert "'hp' is not in cars_like.csv" in msg and "'horsepower'" in msg and "'name'" not in msg


@pytest.mark.parametrize("value", ["1e151", "1e300", "-2.5e200"])
def test_values_that_would_overflow_are_refused_without_standardization(value):
    raw = f"x,y\n1,1\n2,3\n{value},2\n".encode()
    with pytest.raises(DataError) as err:
        load_csv(raw)
    msg = one_line(err)
    shown = value.lstrip("-")
    assert msg.startswith(f"Values in 'x' reach {shown}; the squared error would overflow")
    assert "rescale the column" in msg and "turn on standardization" in msg
    with pytest.raises(DataError, match="Values in 'y' reach"):
        load_csv(f"x,y\n1,1\n2,3\n3,{value}\n".encode())
    with pytest.raises(DataError, match="Values in 'x' reach"):
        inline([1.0, 2.0, float(value)], [1.0, 2.0, 3.0])


def test_values_up_to_the_limit_load():
    ds = load_csv(b"x,y\n1e150,1\n-1e150,2\n0,3\n")
    assert ds.x.max() == 1e150 and MAX_ABS_VALUE == 1e150


def test_huge_values_load_with_standardization():
    with pytest.raises(DataError, match="Values in 'x' reach 2e150"):
        load_csv(FIXTURES / "huge_values.csv")
    ds = load_csv(FIXTURES / "huge_values.csv", standardize=True)
    assert ds.n == 20 and np.isfinite(ds.x).all() and np.isfinite(ds.x_scale).all()
    assert ds.x.mean() == pytest.approx(0.0, abs=1e-12) and ds.x.std() == pytest.approx(1.0)
    x = np.arange(1, 21) * 1e149
    np.testing.assert_allclose(ds.frame()["x"], x, rtol=1e-14)
    slope, intercept = ds.to_original_units(*np.polyfit(ds.x[:, 0], ds.y, 1))
    expected = np.polyfit(x / 1e149, ds.frame()["y"], 1)
    assert slope * 1e149 == pytest.approx(expected[0], rel=1e-9)
    assert intercept == pytest.approx(expected[1], rel=1e-9)


def test_standardization_of_values_near_1e300():
    rows = b"x,y\n" + b"".join(b"%de298,%d\n" % (k, 3 * k + k % 4) for k in range(1, 101))
    ds = load_csv(rows, standardize=True)  # x reaches 1e300: squares would overflow
    assert np.isfinite(ds.x).all() and ds.x_scale[0] == pytest.approx(np.arange(1, 101).std()
                                                                      * 1e298, rel=1e-12)
    plain = load_csv(b"x,y\n" + b"".join(b"%d,%d\n" % (k, 3 * k + k % 4) for k in range(1, 101)),
                     standardize=True)
    np.testing.assert_allclose(ds.x, plain.x, rtol=1e-12, atol=1e-12)
    ds = inline([1e300, -1e300, 5e299], [3e299, 1e300, 2e299], standardize=True)
    assert np.isfinite(ds.x).all() and np.isfinite(ds.y).all()
    np.testing.assert_allclose(ds.frame().to_numpy(), [[1e300, 3e299], [-1e300, 1e300],
                                                       [5e299, 2e299]], rtol=1e-14)
    with pytest.raises(DataError) as err:
        load_csv(b"x,y\n2e300,1\n1,2\n3,3\n", standardize=True)
    assert one_line(err).startswith("Column 'x' has values too large to standardize (they reach "
                                    "2e300; at most 1e300 can be used)")
    with pytest.raises(DataError, match="'x' is constant"):
        inline([1e300, 1e300, 1e300], [1, 2, 3], standardize=True)


def test_cars_like_table_drops_blank_horsepower_rows_with_a_note():
    df, notes = read_table(FIXTURES / "cars_like.csv")
    assert df.shape == (406, 9) and notes == ()
    assert list(df.columns) == ["mpg", "cylinders", "displacement", "horsepower", "weight",
                                "acceleration", "model_year", "origin", "name"]
    assert numeric_columns(df) == list(df.columns[:-1])
    assert int(df["horsepower"].isna().sum()) == 6
    assert df["name"].str.contains(",").sum() == 8  # quoted names with a comma
    assert df["horsepower"].between(46, 230).sum() == 400 and df["mpg"].between(9, 46).all()
    assert df["weight"].between(1600, 5100).all() and df["acceleration"].between(8, 25).all()
    ds = load_csv(FIXTURES / "cars_like.csv", x="horsepower", y="mpg")
    assert ds.n == 400
    assert ds.notes == ("Dropped 6 of 406 rows with empty or non-numeric or infinite values in "
                        "'horsepower' (rows 33, 127, 331, 337, 355 and 1 more; row 1 = first row "
                        "below the header).",)
    slope, intercept = np.polyfit(ds.x[:, 0], ds.y, 1)
    assert slope == pytest.approx(-0.12, abs=0.02) and intercept == pytest.approx(40, abs=3)
    ds = load_csv(FIXTURES / "cars_like.csv", x=["weight", "acceleration"], y="mpg")
    assert ds.n == 406 and ds.notes == ()  # the blank cells are not in the chosen columns
    with pytest.raises(DataError) as err:
        load_csv(FIXTURES / "cars_like.csv", x="name", y="mpg")
    assert "Column 'name' holds text in 406 of 406 rows" in one_line(err)


def test_a_constant_y_with_rounding_noise_is_called_constant():
    ds = inline([1.0, 2.0, 3.0, 4.0], [0.3] * 4, standardize=True)  # std() gives 5.5e-17, not 0
    assert ds.y_scale == 1.0 and np.allclose(ds.y, 0.0)
    assert any("constant" in note for note in ds.notes)


def test_a_first_data_row_far_longer_than_the_header_is_refused_naming_it():
    # issue 15, item 6: pandas lets a too-long first data row through and builds a column for
    # each field before it warns (a 49 MB one-line row took the page 90 s and ~1 GB); the
    # reader counts the row's fields in place and names the line
    row = ",".join(str(i % 97) for i in range(300_000))
    with pytest.raises(DataError) as err:
        read_table(f"x,y\n{row}\n1,2\n".encode(), name="long.csv")
    assert one_line(err).startswith("Cannot read long.csv as CSV: line 2 has 300,000 fields but "
                                    "the header has 2.")
    with pytest.raises(DataError, match="line 4 has 300,000 fields but the header has 2"):
        read_table(f"\n\nx,y\n{row}\n".encode(), name="long.csv")  # blank lines above count
    with pytest.raises(DataError, match="line 2 has 4 fields but the header has 2"):
        read_table(b"x,y\n1,2,3,4\n5,6\n", name="short.csv")
    assert read_table(b'x,y\n"1,5",2\n3,4\n')[0].shape == (2, 2)  # a quoted separator


def test_one_line_of_millions_of_fields_is_refused_as_too_wide():
    line = ",".join(str(i % 97) for i in range(2_000_000))
    with pytest.raises(DataError, match="has 2,000,000 columns; the lab reads at most 1,000"):
        read_table(line.encode(), name="one.csv")
    spaced = " ".join(str(i % 97) for i in range(2_000_000))
    with pytest.raises(DataError, match="has 2,000,000 columns"):
        read_table(spaced.encode(), name="one.txt")
    quoted = ",".join(f'"a{i}"' for i in range(5_000))
    with pytest.raises(DataError, match="has 5,000 columns"):
        read_table(quoted.encode(), name="names.csv")
    with pytest.raises(DataError, match="has 1,001 columns"):  # a quoted comma is not a field
        read_table((",".join(f'"a,{i}"' for i in range(1_001)) + "\n").encode())


def test_zip_files_are_named_for_what_they_are():
    # issue 16, item 15: every zip was called "an Excel workbook"
    def archive(files: dict[str, str]) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name, text in files.items():
                z.writestr(name, text)
        return buf.getvalue()

    with pytest.raises(DataError, match=r"book.csv looks like an Excel workbook, not a CSV"):
        read_table(archive({"xl/workbook.xml": "<workbook/>"}), name="book.csv")
    with pytest.raises(DataError, match=r"looks like an OpenDocument spreadsheet"):
        read_table(archive({"mimetype": "x", "content.xml": "<x/>"}), name="sheet.csv")
    with pytest.raises(DataError) as err:
        read_table(archive({"data/": "", "data/cars.csv": "x,y\n1,2\n"}), name="cars.zip")
    assert one_line(err) == ("cars.zip is a zip archive, not a CSV file (it holds "
                             "'data/cars.csv'): unzip it and upload the CSV file inside.")
    with pytest.raises(DataError, match=r"Excel 97-2003 workbook"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), name="old.xls")


@pytest.mark.parametrize("codec, order", [("utf-16-le", "little"), ("utf-16-be", "big")])
def test_utf16_without_a_byte_order_mark_is_read(codec, order):
    text = "größe,Gewicht\n1.5,2\n2.5,4\n3.5,5\n"
    table, notes = read_table(text.encode(codec), name="w.csv")
    assert list(table.columns) == ["größe", "Gewicht"] and table.shape == (3, 2)
    assert f"Read as UTF-16 ({order}-endian, without a byte-order mark)." in notes
    with pytest.raises(DataError, match="binary"):
        read_table(b"x,y\n1,2\x00\n3,4\n", name="nul.csv")  # a stray NUL is not UTF-16


def test_whole_numbers_beyond_2_53_get_a_note():
    big = 2**64 + 1
    table, notes = read_table(f"x,y\n1,{big}\n2,{big + 10}\n3,5\n".encode(), name="b.csv")
    assert any("'y' has whole numbers beyond 2⁵³" in n for n in notes)
    _, notes = read_table(b"x,y\n1,9007199254740993\n2,3\n3,4\n", name="b.csv")  # int64
    assert any("'y' has whole numbers beyond 2⁵³" in n for n in notes)
    _, notes = read_table(b"x,y\n1,9007199254740992\n2,3\n3,4\n", name="b.csv")  # exactly 2^53
    assert not any("2⁵³" in n for n in notes)
