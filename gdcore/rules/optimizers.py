"""Optimizers: one registry entry each, and update rules that read like their formulas.

Every optimizer here acts on each parameter coordinate on its own, so a rule is a pure function of
scalars, the same shape for all of them (as optax writes ``update(grads, state, params)``)::

    new_p, new_state = rule(p, g, state, t, lr, hp)

``p`` is the coordinate, ``g`` its (already clipped) gradient, ``state`` a 3-tuple of floats (the
rule's running buffers; unused slots stay 0), ``t`` the step count (1 on the first update), ``lr``
the learning rate of this step and ``hp`` the run's :class:`Hyper` (hyperparameters by name).
Nothing is mutated. The interpreter loop (``gdcore.engine.loop``) calls these functions as they are; the
compiled accelerator (``gdcore.engine.accel``) compiles these very functions, so the formulas live here
once, next to their docstrings, and the golden tests check both loops against PyTorch.

Adding an optimizer is done here alone: write its rule (or reuse one with fixed settings) and
append it to ``RULES``, give a new hyperparameter a :class:`Hyper` field and a line in
``PARAMS`` (its title and bounds), and add one :class:`Optimizer` to ``OPTIMIZERS``. The
validation, the run editor, the schema, the accelerator's dispatch (one slot per entry of
``RULES``) and its verification cases are derived from these tables; golden cases come from
``tools/make_golden.py`` (README, "Adding an optimizer").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..limits import Bound, declare


class Hyper(NamedTuple):
    """An optimizer's hyperparameters by PyTorch's names (the rule reads the ones it uses)."""

    rule: int  # index of the update rule in RULES
    lr: float
    weight_decay: float = 0.0
    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    lr_decay: float = 0.0
    alpha: float = 0.99
    centered: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    amsgrad: bool = False
    decoupled: bool = False  # AdamW: decay the parameter, not the gradient


#: The hyperparameters a setup may set (PyTorch's names): each one's title in the editor and
#: the values it may hold (``gdcore.limits.declare``; None: a yes/no switch, or ``betas``, a
#: pair checked as two ``beta``). ``decoupled`` and ``rule`` come with the optimizer's name.
PARAMS = declare({
    "lr": ("Learning rate", Bound(1e-9, 1e6)),
    "momentum": ("Momentum", Bound(0.0, 1.0, high_open=True)),
    "dampening": ("Dampening", Bound(0.0, 1.0)),
    "nesterov": ("Nesterov", None),
    "weight_decay": ("Weight decay", Bound(0.0, 1e3)),
    "lr_decay": ("lr decay", Bound(0.0, 1e3)),
    "initial_accumulator_value": ("Initial accumulator", Bound(0.0, 1e6)),
    "eps": ("eps", Bound(0.0, 1.0, low_open=True)),
    "alpha": ("alpha (decay)", Bound(0.0, 1.0, high_open=True)),
    "centered": ("Centered", None),
    "betas": ("Betas", None),
    "beta": ("beta", Bound(0.0, 1.0, high_open=True)),  # each of Adam's betas
    "amsgrad": ("AMSGrad", None),
})


def lerp(a: float, b: float, w: float) -> float:
    """a + w (b - a), evaluated the way ``torch.lerp`` does (two forms, for accuracy)."""
    if w < 0.5:
        return a + w * (b - a)
    return b - (b - a) * (1.0 - w)


def sgd(p, g, state, t, lr, hp):
    """SGD with optional momentum, dampening and Nesterov.  state = (buf, -, -)

        g   <- g + wd p
        buf <- g                          (t = 1)
        buf <- mu buf + (1 - dampening) g (t > 1)
        p   <- p - lr (g + mu buf)        (Nesterov)   or   p - lr buf   (momentum)   or   p - lr g
    """
    buf = state[0]
    if hp.weight_decay != 0.0:
        g = g + hp.weight_decay * p
    if hp.momentum != 0.0:
        buf = g if t == 1 else hp.momentum * buf + (1.0 - hp.dampening) * g
        g = g + hp.momentum * buf if hp.nesterov else buf
    return p - lr * g, (buf, 0.0, 0.0)


def adagrad(p, g, state, t, lr, hp):
    """Adagrad.  state = (s, -, -), s starting at ``initial_accumulator_value``

        g   <- g + wd p
        clr  = lr / (1 + (t - 1) lr_decay)
        s   <- s + g^2
        p   <- p - clr g / (sqrt(s) + eps)
    """
    s = state[0]
    if hp.weight_decay != 0.0:
        g = g + hp.weight_decay * p
    clr = lr / (1.0 + (t - 1) * hp.lr_decay)
    s = s + g * g
    return p - clr * (g / (math.sqrt(s) + hp.eps)), (s, 0.0, 0.0)


def rmsprop(p, g, state, t, lr, hp):
    """RMSprop (no bias correction).  state = (sq, ga, buf)

        g   <- g + wd p
        sq  <- alpha sq + (1 - alpha) g^2
        avg  = sqrt(sq - ga^2) + eps  with  ga <- lerp(ga, g, 1 - alpha)   (centered)
        avg  = sqrt(sq) + eps                                               (otherwise)
        buf <- mu buf + g / avg;  p <- p - lr buf     (momentum > 0)
        p   <- p - lr g / avg                         (otherwise)
    """
    sq, ga, buf = state
    if hp.weight_decay != 0.0:
        g = g + hp.weight_decay * p
    sq = hp.alpha * sq + (1.0 - hp.alpha) * g * g
    if hp.centered:
        ga = lerp(ga, g, 1.0 - hp.alpha)
        avg = math.sqrt(sq - ga * ga) + hp.eps
    else:
        avg = math.sqrt(sq) + hp.eps
    if hp.momentum > 0.0:
        buf = hp.momentum * buf + g / avg
        return p - lr * buf, (sq, ga, buf)
    return p - lr * (g / avg), (sq, ga, buf)


def adam(p, g, state, t, lr, hp):
    """Adam / AdamW, with optional AMSGrad.  state = (m, v, vmax)

        p    <- p (1 - lr wd)                 (AdamW, decoupled)   or   g <- g + wd p (Adam)
        m    <- lerp(m, g, 1 - beta1)         i.e. beta1 m + (1 - beta1) g
        v    <- beta2 v + (1 - beta2) g^2
        vmax <- max(vmax, v)                  (AMSGrad, over the raw v)
        p    <- p - (lr / (1 - beta1^t)) m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps)
    """
    m, v, vmax = state
    if hp.weight_decay != 0.0:
        if hp.decoupled:
            p = p * (1.0 - lr * hp.weight_decay)
        else:
            g = g + hp.weight_decay * p
    m = lerp(m, g, 1.0 - hp.beta1)
    v = hp.beta2 * v + (1.0 - hp.beta2) * g * g
    bc1 = 1.0 - hp.beta1 ** float(t)
    bc2_sqrt = math.sqrt(1.0 - hp.beta2 ** float(t))
    if hp.amsgrad:
        vmax = v if v > vmax else vmax
        denom = math.sqrt(vmax) / bc2_sqrt + hp.eps
    else:
        denom = math.sqrt(v) / bc2_sqrt + hp.eps
    return p - (lr / bc1) * (m / denom), (m, v, vmax)


RULES: tuple[Callable, ...] = (sgd, adagrad, rmsprop, adam)  # Hyper.rule indexes this


# --- the registry ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Optimizer:
    """One choice of the ``optimizer.name`` field: its rule, PyTorch's defaults and its label.

    ``fixed`` are Hyper fields the name implies (Nesterov is SGD with ``nesterov=True``);
    ``state0`` names the hyperparameter the first state slot starts from (Adagrad's
    ``initial_accumulator_value``), if any.
    """

    name: str
    title: str
    rule: Callable
    defaults: dict[str, Any]
    fixed: dict[str, Any] = field(default_factory=dict)
    state0: str | None = None

    def hyper(self, params: dict[str, Any]) -> Hyper:
        """The :class:`Hyper` of validated ``params`` (defaults filled in)."""
        kw: dict[str, Any] = {"rule": RULES.index(self.rule)}
        for key, value in params.items():
            if key == "betas":
                kw["beta1"], kw["beta2"] = float(value[0]), float(value[1])
            elif key == "initial_accumulator_value":
                continue  # a starting state, not a hyperparameter of the rule
            elif isinstance(value, bool):
                kw[key] = value
            else:
                kw[key] = float(value)
        kw.update(self.fixed)
        return Hyper(**kw)

    def initial_state(self, params: dict[str, Any]) -> tuple[float, float, float]:
        """Each coordinate's starting state."""
        first = float(params[self.state0]) if self.state0 else 0.0
        return (first, 0.0, 0.0)


_SGD = {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}
_ADAM = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}

OPTIMIZERS: dict[str, Optimizer] = {o.name: o for o in (
    Optimizer("sgd", "SGD", sgd, _SGD),
    Optimizer("momentum", "SGD + momentum", sgd,
              {"lr": 1e-3, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0}),
    Optimizer("nesterov", "Nesterov momentum", sgd,
              {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.0}, fixed={"nesterov": True}),
    Optimizer("adagrad", "Adagrad", adagrad,
              {"lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0,
               "eps": 1e-10}, state0="initial_accumulator_value"),
    Optimizer("rmsprop", "RMSprop", rmsprop,
              {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0,
               "centered": False}),
    Optimizer("adam", "Adam", adam, _ADAM),
    Optimizer("adamw", "AdamW", adam, {**_ADAM, "weight_decay": 1e-2}, fixed={"decoupled": True}),
)}
