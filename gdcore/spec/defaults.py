"""The choices an experiment can make and their defaults: PyTorch's names and values.

The tables are read off the registries (``optimizers.OPTIMIZERS``, ``schedules.SCHEDULES``,
``clipping.CLIPS``), so a new entry there appears here, in validation, in
``python -m gdcore schema`` and in the dashboard's choices at once.
"""

from __future__ import annotations

from typing import Any

from ..rules.clipping import CLIPS
from ..rules.optimizers import OPTIMIZERS
from ..rules.schedules import SCHEDULES

OPTIMIZER_DEFAULTS: dict[str, dict[str, Any]] = {k: dict(o.defaults) for k, o in OPTIMIZERS.items()}
SCHEDULE_DEFAULTS: dict[str, dict[str, Any]] = {k: dict(s.defaults) for k, s in SCHEDULES.items()}
CLIP_DEFAULTS: dict[str, dict[str, Any]] = {k: dict(c.defaults) for k, c in CLIPS.items()}

SCHEDULE_PER = ("epoch", "update")
UPDATE_MODES = ("simultaneous", "sequential")
GRADIENT_MODES = ("analytic", "numeric")
#: "classes" draws two Gaussian clouds for the logistic problem (gdcore.data.sources.generate_classes)
DATA_SOURCES = ("generate", "sample", "csv", "inline", "classes")

BOOL_PARAMS = {"nesterov", "centered", "amsgrad"}
INT_PARAMS = {"step_size", "T_max", "total_iters", "patience", "cooldown"}
