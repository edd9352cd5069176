"""The choices an experiment can make and their defaults: PyTorch's names and values.

``python -m gdcore schema`` prints these tables; ``gdcore.config`` validates against them.
"""

from __future__ import annotations

from typing import Any

# --- optimizers: name -> PyTorch defaults -------------------------------------------------------
OPTIMIZER_DEFAULTS: dict[str, dict[str, Any]] = {
    "sgd": {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
    "momentum": {"lr": 1e-3, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0},
    "nesterov": {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.0},
    "adagrad": {
        "lr": 1e-2,
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
    },
    "rmsprop": {
        "lr": 1e-2,
        "alpha": 0.99,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "centered": False,
    },
    "adam": {
        "lr": 1e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
    },
    "adamw": {
        "lr": 1e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 1e-2,
        "amsgrad": False,
    },
}

SCHEDULE_DEFAULTS: dict[str, dict[str, Any]] = {
    "constant": {},
    "step": {"step_size": 10, "gamma": 0.1},
    "multistep": {"milestones": (30, 80), "gamma": 0.1},
    "exponential": {"gamma": 0.95},
    "inverse_time": {"k": 0.1},
    "cosine": {"T_max": 100, "eta_min": 0.0},
    "warmup": {"start_factor": 1.0 / 3.0, "total_iters": 5},
    "plateau": {
        "factor": 0.1,
        "patience": 10,
        "threshold": 1e-4,
        "cooldown": 0,
        "min_lr": 0.0,
        "eps": 1e-8,
    },
}
SCHEDULE_PER = ("epoch", "update")

CLIP_DEFAULTS: dict[str, dict[str, Any]] = {
    "none": {},
    "value": {"clip_value": 1.0},
    "norm": {"max_norm": 1.0},
}

UPDATE_MODES = ("simultaneous", "sequential")
GRADIENT_MODES = ("analytic", "numeric")
DATA_SOURCES = ("generate", "sample", "csv", "inline")

BOOL_PARAMS = {"nesterov", "centered", "amsgrad"}
INT_PARAMS = {"step_size", "T_max", "total_iters", "patience", "cooldown"}
