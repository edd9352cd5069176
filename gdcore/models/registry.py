"""Every problem by name: the models on a data set and the test functions."""

from __future__ import annotations

from ..errors import ConfigError
from ..limits import MAX_ROWS
from .functions import FUNCTIONS, get_function
from .linear import LinearRegression
from .logistic import LogisticRegression

DATA_PROBLEMS: tuple[str, ...] = ("linear", "logistic")  # problems on a data set
PROBLEMS: tuple[str, ...] = (*DATA_PROBLEMS, *FUNCTIONS)


def make_problem(name: str, dataset=None):
    """The problem object for an experiment: a :class:`LinearRegression` or a :class:`TestFunction`."""
    if name in DATA_PROBLEMS:
        if dataset is None:
            raise ConfigError(f"problem {name!r} needs data")
        if dataset.n > MAX_ROWS:
            raise ConfigError(f"the data has {dataset.n:,} rows; the lab works with at most "
                              f"{MAX_ROWS:,}: use a sample of the rows")
        if name == "logistic":
            return LogisticRegression.from_dataset(dataset)
        return LinearRegression.from_dataset(dataset)
    return get_function(name)
