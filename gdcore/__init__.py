"""gdcore: an exact gradient-descent engine (numpy; numba only as an optional accelerator for
big runs; never Streamlit).

The flat public API::

    import gdcore
    result = gdcore.run_experiment(config)          # dict, JSON text or gdcore.Experiment
    result.history, result.summary                  # tidy pandas DataFrames
"""

from __future__ import annotations

from .engine.runner import ExperimentResult, RunResult, load_dataset, run, run_experiment, warm_up
from .errors import ConfigError, DataError, GDError
from .models import FUNCTIONS, PROBLEMS, LinearRegression, TestFunction, make_problem
from .rules.clipping import CLIPS
from .rules.optimizers import OPTIMIZERS
from .rules.schedules import SCHEDULES
from .spec.config import (
    CLIP_DEFAULTS,
    OPTIMIZER_DEFAULTS,
    SCHEDULE_DEFAULTS,
    ClipConfig,
    Experiment,
    OptimizerConfig,
    RepeatConfig,
    RunConfig,
    ScheduleConfig,
    load_experiment_json,
    parse_experiment,
    parse_run,
)

__version__ = "0.1.0"

__all__ = [
    "CLIPS",
    "CLIP_DEFAULTS",
    "FUNCTIONS",
    "OPTIMIZERS",
    "OPTIMIZER_DEFAULTS",
    "PROBLEMS",
    "SCHEDULES",
    "SCHEDULE_DEFAULTS",
    "ClipConfig",
    "ConfigError",
    "DataError",
    "Experiment",
    "ExperimentResult",
    "GDError",
    "LinearRegression",
    "OptimizerConfig",
    "RepeatConfig",
    "RunConfig",
    "RunResult",
    "ScheduleConfig",
    "TestFunction",
    "load_dataset",
    "load_experiment_json",
    "make_problem",
    "parse_experiment",
    "parse_run",
    "run",
    "run_experiment",
    "warm_up",
]
