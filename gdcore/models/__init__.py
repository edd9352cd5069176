"""The problems the engine optimises: models on rows of data (linear and logistic
regression, their objectives) and the 1-D and 2-D test functions, by name in the registry."""

from .functions import FUNCTIONS, Minimum, TestFunction, get_function
from .linear import LinearRegression, Moments
from .logistic import LogisticRegression
from .problem import Problem
from .registry import DATA_PROBLEMS, PROBLEMS, make_problem
from .rows import RowModel

__all__ = ["DATA_PROBLEMS", "FUNCTIONS", "PROBLEMS", "LinearRegression", "LogisticRegression",
           "Minimum", "Moments", "Problem", "RowModel", "TestFunction", "get_function", "make_problem"]
