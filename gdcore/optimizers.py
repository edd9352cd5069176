"""Update rules, one coordinate at a time, exactly as PyTorch's ``torch.optim`` (float64).

Every optimizer here acts on each parameter coordinate independently, so each rule is a pure
function of scalars: it takes the parameter, its (already clipped) gradient, the optimizer's state
for that coordinate and the current learning rate, and returns the new parameter and new state.
Nothing is mutated. ``gdcore.kernel`` calls these same functions, compiled by numba, inside its
loop; the formulas live here, once, next to their docstrings. Each rule is compiled on its own
(scalars in, scalars out: nothing for numba to reference-count, and LLVM still inlines them), so
every variant of the loop shares it, typed once and cached once.

``t`` is the optimizer's step count, 1 on the first update. ``wd`` is weight decay: coupled (added
to the gradient) everywhere except AdamW, which decays the parameter itself.
"""

from __future__ import annotations

import math

from ._jit import jit

# optimizer kinds (the kernel dispatches on these numbers)
SGD, ADAGRAD, RMSPROP, ADAM = 0, 1, 2, 3
KIND = {"sgd": SGD, "momentum": SGD, "nesterov": SGD, "adagrad": ADAGRAD, "rmsprop": RMSPROP,
        "adam": ADAM, "adamw": ADAM}

# slots of the hyperparameter vector handed to the kernel
LR, MOMENTUM, DAMPENING, NESTEROV, BETA1, BETA2, EPS, WD, AMSGRAD, ALPHA, CENTERED, LR_DECAY, \
    DECOUPLED = range(13)
N_HP = 13
N_STATE = 3  # state slots per coordinate (momentum buffer, running averages)


@jit(inline=True)
def lerp(a: float, b: float, w: float) -> float:
    """a + w (b - a), evaluated the way ``torch.lerp`` does (two forms, for accuracy)."""
    if w < 0.5:
        return a + w * (b - a)
    return b - (b - a) * (1.0 - w)


@jit
def sgd(p, g, buf, t, lr, momentum, dampening, nesterov, wd):
    """SGD with optional momentum, dampening and Nesterov.

        g   <- g + wd p
        buf <- g                          (t = 1)
        buf <- mu buf + (1 - dampening) g (t > 1)
        p   <- p - lr (g + mu buf)        (Nesterov)   or   p - lr buf   (momentum)   or   p - lr g
    """
    if wd != 0.0:
        g = g + wd * p
    if momentum != 0.0:
        buf = g if t == 1 else momentum * buf + (1.0 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    return p - lr * g, buf


@jit
def adagrad(p, g, s, t, lr, lr_decay, eps, wd):
    """Adagrad (state s starts at ``initial_accumulator_value``).

        g   <- g + wd p
        clr  = lr / (1 + (t - 1) lr_decay)
        s   <- s + g^2
        p   <- p - clr g / (sqrt(s) + eps)
    """
    if wd != 0.0:
        g = g + wd * p
    clr = lr / (1.0 + (t - 1) * lr_decay)
    s = s + g * g
    return p - clr * (g / (math.sqrt(s) + eps)), s


@jit
def rmsprop(p, g, sq, ga, buf, lr, alpha, eps, wd, momentum, centered):
    """RMSprop (no bias correction).

        g   <- g + wd p
        sq  <- alpha sq + (1 - alpha) g^2
        avg  = sqrt(sq - ga^2) + eps  with  ga <- lerp(ga, g, 1 - alpha)   (centered)
        avg  = sqrt(sq) + eps                                               (otherwise)
        buf <- mu buf + g / avg;  p <- p - lr buf     (momentum > 0)
        p   <- p - lr g / avg                         (otherwise)
    """
    if wd != 0.0:
        g = g + wd * p
    sq = alpha * sq + (1.0 - alpha) * g * g
    if centered:
        ga = lerp(ga, g, 1.0 - alpha)
        avg = math.sqrt(sq - ga * ga) + eps
    else:
        avg = math.sqrt(sq) + eps
    if momentum > 0.0:
        buf = momentum * buf + g / avg
        return p - lr * buf, sq, ga, buf
    return p - lr * (g / avg), sq, ga, buf


@jit
def adam(p, g, m, v, vmax, t, lr, beta1, beta2, eps, wd, amsgrad, decoupled):
    """Adam / AdamW, with optional AMSGrad.

        p    <- p (1 - lr wd)                 (AdamW, decoupled)   or   g <- g + wd p (Adam)
        m    <- lerp(m, g, 1 - beta1)         i.e. beta1 m + (1 - beta1) g
        v    <- beta2 v + (1 - beta2) g^2
        vmax <- max(vmax, v)                  (AMSGrad, over the raw v)
        p    <- p - (lr / (1 - beta1^t)) m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps)
    """
    if wd != 0.0:
        if decoupled:
            p = p * (1.0 - lr * wd)
        else:
            g = g + wd * p
    m = lerp(m, g, 1.0 - beta1)
    v = beta2 * v + (1.0 - beta2) * g * g
    bc1 = 1.0 - beta1 ** float(t)
    bc2_sqrt = math.sqrt(1.0 - beta2 ** float(t))
    if amsgrad:
        vmax = v if v > vmax else vmax
        denom = math.sqrt(vmax) / bc2_sqrt + eps
    else:
        denom = math.sqrt(v) / bc2_sqrt + eps
    return p - (lr / bc1) * (m / denom), m, v, vmax
