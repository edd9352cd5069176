"""One benchmark case in a fresh interpreter: ``python -m bench.fresh CASE`` prints one JSON line.

bench/run.py starts this module in a child process (GDCORE_CACHE_DIR = a new empty directory,
GDCORE_ENGINE unset unless the case needs it) for workloads E, F and G. The clock starts at the
top of this file, before anything else is imported, so ``total_s`` covers ``import gdcore``
(numpy, pandas and the engine) plus the case's work. Nothing at module level imports more than
the standard library.

Cases (what a first visitor's request computes, engine part only, unless it says AppTest):

    dashboard            presets.build("lr") + run_experiment: the dashboard's default comparison
    preset:KEY           presets.build(KEY) + run_experiment, for every key of presets.PRESETS
    landscape            pages/1_Loss_landscape.py's default (quadratic, starts -1 and 9.5, sgd,
                         lr 0.1, 40 steps): paths, curve, minima, current points, gradient check
    sweep                pages/2_Learning_rate_sweep.py's DEFAULT: quadratic, full batch, sgd,
                         25 lrs from 1e-3 to 3, 200 epochs; largest stable lr, theory limit
    lessons              pages/3_Lessons.py's default (lesson 1, the three-step cycle)
    lessons-all          every lesson's default content (lessons 1 to 7)
    apptest:PATH         the whole page script via streamlit's AppTest (charts included)
    lr-sweep:N,B,E,K     workload F: linear regression on generated data (n = N), K log-spaced
                         lrs 1e-4..1, batch B, E epochs, sgd (the engine from GDCORE_ENGINE)
    accel                accel.wait(): build (empty cache) or load (warm cache) the accelerator
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # before every other import, on purpose
C0 = time.process_time()  # CPU seconds of this process (all its threads), for the notes

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# The page defaults, as the page scripts set them (bench/run.py checks them against the files).
LANDSCAPE_DEFAULT = {"fn": "quadratic", "starts": "-1, 9.5", "opts": ("sgd",), "lr": 0.1,
                     "steps": 40, "h": 1e-5}
SWEEP_DEFAULT = {"problem": "quadratic", "lo": 1e-3, "hi": 3.0, "n": 25, "epochs": 200,
                 "optimizers": ("sgd",)}


def _import_gdcore() -> float:
    import gdcore  # noqa: F401

    return time.perf_counter() - T0


def case_dashboard() -> dict:
    import gdcore
    from lab import presets

    res = gdcore.run_experiment(presets.build("lr"))
    return {"runs": len(res.runs), "status": [r.status for r in res.runs]}


def case_preset(key: str) -> dict:
    import gdcore
    from lab import presets

    res = gdcore.run_experiment(presets.build(key))
    return {"runs": len(res.runs), "status": [r.status for r in res.runs],
            "updates": sum(r.steps for r in res.runs)}


def case_landscape() -> dict:
    """What the landscape page computes through gdcore on its first load (quadratic is 1-D with
    one minimum, so no basins)."""
    import gdcore
    from lab import landscape as L

    d = LANDSCAPE_DEFAULT
    fn = gdcore.FUNCTIONS[d["fn"]]
    starts = L.parse_points(d["starts"], fn.dim)
    path_df = L.paths(fn, tuple(starts), d["opts"], {"epochs": d["steps"],
                                                     "optimizer": {"lr": d["lr"]},
                                                     "max_points": d["steps"] + 2})
    shape = L.curve(fn) if fn.dim == 1 else L.surface(fn, 60)
    minima = L.minima_frame(fn)
    last = int(path_df["step"].max())
    L.at_step(path_df, last)
    now = L.current_points(path_df, last)
    point = now.loc[now["run"] == now["run"].iloc[0], list(fn.param_names)].iloc[0].tolist()
    check = L.gradient_check(fn, point, d["h"])
    basins = 0
    if fn.dim == 1 and len(fn.minima) > 1:  # not for the default function; kept in step
        basins = len(L.basins(fn, L.start_grid(*fn.window[0], 61),
                              {"epochs": 1000, "tol_grad": 1e-9,
                               "optimizer": {"name": d["opts"][0], "lr": d["lr"]}}))
    return {"path_rows": len(path_df), "shape_rows": len(shape), "minima": len(minima),
            "check_rows": len(check), "basin_starts": basins}


def case_sweep() -> dict:
    import gdcore
    from lab import sweep as S

    d = SWEEP_DEFAULT
    problem = gdcore.FUNCTIONS[d["problem"]]
    lrs = S.log_lrs(d["lo"], d["hi"], d["n"])
    df = S.sweep(problem, {"epochs": d["epochs"], "seed": 0}, lrs,
                 variants={"full batch": {"batch_size": "full"}}, optimizers=d["optimizers"])
    stable = S.largest_stable_lr(df)
    theory = S.gd_stability_limit(problem)
    return {"runs": len(df), "labels": df["label"].value_counts().to_dict(),
            "largest_stable_lr": float(stable["largest_stable_lr"].iloc[0]), "theory": theory}


def _lesson_1() -> None:
    import gdcore
    from lab import landscape as L
    from lab import lessons as G

    steps = G.cycle_steps(-1.0, 0.1, 1)
    G.cycle_points(steps)
    L.curve(gdcore.FUNCTIONS["quadratic"])
    G.first_update(-1.0, 0.1)


def case_lessons() -> dict:
    _lesson_1()
    return {"lessons": 1}


def case_lessons_all() -> dict:
    """Every lesson's default content, as pages/3_Lessons.py computes it (not in classroom mode:
    the learning-rate lesson's multiselect default is (0.01, 0.1, 0.9, 1.05))."""
    import gdcore
    from lab import landscape as L
    from lab import lessons as G

    well = gdcore.FUNCTIONS["double_well"]
    _lesson_1()
    G.first_step_by_mode(0.05)  # 2: modes
    G.update_modes(0.05, 30)
    G.demo_optimum()
    G.lr_runs([0.01, 0.1, 0.9, 1.05], 50)  # 3: learning rate
    G.lr_runs((0.01, 0.9), 50)
    G.batch_noise(0.02, 20, 10)  # 4: batches
    G.batch_seeds(0.02, 20, 10, 20)  # 4: the same over 20 paired seeds
    G.restarts(8, 0)  # 5: restarts
    L.curve(well)
    L.minima_frame(well)
    L.hump(well)
    G.clipping_demo(10.0)  # 6: clipping
    G.schedule_demo(0.05, 20)  # 7: schedules
    return {"lessons": 7}


def case_apptest(path: str) -> dict:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / path), default_timeout=120)
    t, c = time.perf_counter(), time.process_time()
    at.run()
    run_s, cpu_s = time.perf_counter() - t, time.process_time() - c
    return {"script_s": run_s, "script_cpu_s": cpu_s,
            "exceptions": [str(e.value)[:300] for e in at.exception],
            "charts": len(at.get("vega_lite_chart"))}


def case_lr_sweep(spec: str) -> dict:
    import gdcore
    from lab import sweep as S

    n, batch, epochs, count = (int(v) for v in spec.split(","))
    ds = gdcore.load_dataset({"source": "generate", "n": n, "seed": 0})
    problem = gdcore.LinearRegression.from_dataset(ds)
    t = time.perf_counter()
    df = S.sweep(problem, {"epochs": epochs, "batch_size": batch, "seed": 0},
                 S.log_lrs(1e-4, 1.0, count), optimizers=("sgd",))
    return {"sweep_s": time.perf_counter() - t, "runs": len(df),
            "labels": df["label"].value_counts().to_dict(),
            "final_loss_sum": float(df["final_loss"].sum())}


def case_accel() -> dict:
    from gdcore.engine import accel

    t = time.perf_counter()
    kernel = accel.wait()
    return {"wait_s": time.perf_counter() - t, "ready": kernel is not None,
            "detail": accel.status()[1]}


def run_case(case: str) -> dict:
    name, _, arg = case.partition(":")
    fns = {"dashboard": case_dashboard, "landscape": case_landscape, "sweep": case_sweep,
           "lessons": case_lessons, "lessons-all": case_lessons_all, "accel": case_accel}
    if name in fns and not arg:
        fn = lambda: fns[name]()  # noqa: E731
    elif name == "preset" and arg:
        fn = lambda: case_preset(arg)  # noqa: E731
    elif name == "apptest" and arg:
        fn = lambda: case_apptest(arg)  # noqa: E731
    elif name == "lr-sweep" and arg:
        fn = lambda: case_lr_sweep(arg)  # noqa: E731
    else:
        raise SystemExit(f"unknown case {case!r}")
    import_s = None if name == "apptest" else _import_gdcore()  # AppTest: the page imports it
    out = fn()
    total = time.perf_counter() - T0
    from gdcore.engine import accel

    state, detail = accel.status()
    return {"case": case, "total_s": total, "cpu_s": time.process_time() - C0,
            "import_s": import_s,
            "work_s": None if import_s is None else total - import_s,
            "numba_imported": "numba" in sys.modules,
            "llvmlite_imported": "llvmlite" in sys.modules,
            "accel_state": state, "accel_detail": detail,
            "engine_env": os.environ.get("GDCORE_ENGINE"), "result": out}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(json.dumps(run_case(sys.argv[1])), flush=True)
