"""Which loop runs a plan: the interpreter loop always works; the compiled accelerator takes the
runs that would keep the interpreter busy, once it is ready (it is never waited for unless asked).

    execute(problem, plan, "auto")      # or "python", or "compiled" (waits for the compiler)

``GDCORE_ENGINE=python|compiled|auto`` in the environment overrides ``"auto"`` (the test suite
uses it to run everything through one path).
"""

from __future__ import annotations

import os

from .. import limits
from ..errors import ConfigError
from ..rules import clipping
from . import accel
from .accel import bridge
from .loop import run_loop
from .plan import STOPPED, Plan, Trace, has_rows

ENGINES = ("auto", "python", "compiled")
COMPILED_FROM_SECONDS = 0.02  # once compiled code is ready, runs above this use it


def plan_shape(problem, plan: Plan) -> limits.RunShape:
    """What the cost of ``plan`` on ``problem`` depends on (:class:`gdcore.limits.RunShape`)."""
    rows = has_rows(problem)
    return limits.RunShape(
        kind=problem.family,
        n_rows=problem.n if rows else 1, dim=len(plan.p0),
        batch_size=plan.batching.batch_size if rows else None, epochs=plan.stop.epochs,
        shuffle=plan.batching.shuffle, numeric=plan.batching.numeric,
        sequential=plan.batching.sequential, method=plan.method.name,
        max_trials=plan.method.max_trials, clip=plan.clip.kind != clipping.NONE,
        tol_grad=plan.stop.tol_grad > 0.0)


def python_seconds(problem, plan: Plan) -> float:
    """Estimated seconds the interpreter loop needs for ``plan`` at most (a run that ends early
    costs less): the work budget's cost model, ``gdcore.limits.loop_seconds``."""
    return limits.loop_seconds(plan_shape(problem, plan))


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
    :func:`gdcore.engine.loop.run_loop`: called now and then with (updates done, planned); returning
    False stops the run (status "stopped"); an exception it raises stops it and propagates."""
    engine = choice(engine)
    if engine != "python" and bridge.supports(problem, plan):
        if engine == "compiled":
            kernel = accel.wait()
        else:
            kernel = accel.kernel()
            if kernel is not None and python_seconds(problem, plan) < COMPILED_FROM_SECONDS:
                kernel = None
        if kernel is not None and bridge.knows(kernel, plan):
            try:
                return bridge.execute(kernel, problem, plan, progress)
            except (ArithmeticError, LookupError, TypeError, ValueError, RuntimeError,
                    AssertionError, SystemError) as err:  # never seen by a user: log, carry on
                accel.fail(f"a compiled run failed ({type(err).__name__}: {err})")
    return run_loop(problem, plan, progress)


def execute_repeats(problem, plans, engine: str = "auto", progress=None) -> list[Trace]:
    """The repeats ``plans`` of one run (``bridge.alike``): on the compiled loop along one seed
    axis when it takes them (as :func:`execute` decides for the first, on the work of all),
    else one after another as :func:`execute` runs each. ``progress`` is over all repeats; a
    stop leaves the repeats not run out (the last one returned is "stopped")."""
    plans = list(plans)
    engine = choice(engine)
    if len(plans) > 1 and engine != "python" and bridge.supports(problem, plans[0]) \
            and bridge.alike(plans):
        kernel = accel.wait() if engine == "compiled" else accel.kernel()
        if kernel is not None and engine == "auto" and \
                python_seconds(problem, plans[0]) * len(plans) < COMPILED_FROM_SECONDS:
            kernel = None
        if kernel is not None and bridge.knows(kernel, plans[0]):
            try:
                return bridge.execute_repeats(kernel, problem, plans, progress)
            except (ArithmeticError, LookupError, TypeError, ValueError, RuntimeError,
                    AssertionError, SystemError) as err:  # never seen by a user: log, carry on
                accel.fail(f"compiled repeats failed ({type(err).__name__}: {err})")
    traces: list[Trace] = []
    for i, plan in enumerate(plans):
        during = None if progress is None else (
            lambda done, planned, i=i: progress(i * planned + done, planned * len(plans)))
        traces.append(execute(problem, plan, engine, during))
        if traces[-1].status == STOPPED:
            break
    return traces


def start_accelerator(delay: float = 0.0) -> None:
    accel.start(delay)


def wait_accelerator(timeout: float | None = None):
    return accel.wait(timeout)
