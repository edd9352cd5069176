"""Which loop runs a plan: the interpreter loop always works; the compiled accelerator takes the
runs that would keep the interpreter busy, once it is ready (it is never waited for unless asked).

    execute(problem, plan, "auto")      # or "python", or "compiled" (waits for the compiler)

``GDCORE_ENGINE=python|compiled|auto`` in the environment overrides ``"auto"`` (the test suite
uses it to run everything through one path).
"""

from __future__ import annotations

import os

from . import accel
from .accel import bridge
from .classification import LogisticRegression
from .errors import ConfigError
from .loop import run_loop
from .plan import Plan, Trace, has_rows, n_updates, visits_shuffled

ENGINES = ("auto", "python", "compiled")
# The interpreter's cost model (microseconds, measured on the project machine: bench/run.py E):
US_PER_UPDATE = 2.0  # one update's bookkeeping, update rule and full-data loss
US_PER_ROW = 0.25  # each row of a mini-batch gradient, per feature + 1
US_PER_SHUFFLED_ROW = 0.3  # each row of an epoch's shuffle and gather
COMPILED_FROM_SECONDS = 0.02  # once compiled code is ready, runs above this use it
US_PER_PASS = 25.0  # the cross-entropy on all rows (numpy): a fixed cost ...
US_PER_PASS_ROW = 0.01  # ... and each row, per feature + 1


def python_seconds(problem, plan: Plan) -> float:
    """Estimated seconds the interpreter loop needs for ``plan`` (a run that ends early costs
    less)."""
    n = problem.n if has_rows(problem) else 1
    updates = n_updates(plan, n)
    batch = min(plan.batching.batch_size, n)
    per_update = US_PER_UPDATE
    if isinstance(problem, LogisticRegression):  # a vectorised full-data pass per update
        per_update += US_PER_PASS + US_PER_PASS_ROW * n * len(plan.p0)
    if batch < n:
        per_update += US_PER_ROW * batch * len(plan.p0)
    if plan.batching.sequential:
        per_update *= 2
    if plan.batching.numeric:
        per_update *= 2 * len(plan.p0) + 1
    shuffle = US_PER_SHUFFLED_ROW * n * plan.stop.epochs if visits_shuffled(plan, n) else 0.0
    return (updates * per_update + shuffle) * 1e-6


def choice(engine: str) -> str:
    if engine not in ENGINES:
        raise ConfigError(f"engine: unknown value {engine!r}; choose one of "
                          + ", ".join(map(repr, ENGINES)))
    if engine == "auto":
        env = os.environ.get("GDCORE_ENGINE", "auto").strip().lower() or "auto"
        engine = env if env in ENGINES else "auto"
    return engine


def execute(problem, plan: Plan, engine: str = "auto", progress=None) -> Trace:
    """Run ``plan`` on the loop ``engine`` chooses (see the module docstring). ``progress`` as in
    :func:`gdcore.loop.run_loop`: called now and then with (updates done, planned); returning
    False stops the run (status "stopped"); an exception it raises stops it and propagates."""
    engine = choice(engine)
    if engine != "python" and bridge.supports(problem, plan):
        if engine == "compiled":
            kernel = accel.wait()
        else:
            kernel = accel.kernel()
            if kernel is not None and python_seconds(problem, plan) < COMPILED_FROM_SECONDS:
                kernel = None
        if kernel is not None:
            try:
                return bridge.execute(kernel, problem, plan, progress)
            except (ArithmeticError, LookupError, TypeError, ValueError, RuntimeError,
                    AssertionError, SystemError) as err:  # never seen by a user: log, carry on
                accel.fail(f"a compiled run failed ({type(err).__name__}: {err})")
    return run_loop(problem, plan, progress)


def start_accelerator(delay: float = 0.0) -> None:
    accel.start(delay)


def wait_accelerator(timeout: float | None = None):
    return accel.wait(timeout)
