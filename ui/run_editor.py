"""The run editor: one expander per run, returning runs in the engine's format.

Every optimizer, schedule and clipping choice and parameter is drawn from the engine's
registries (``gdcore.OPTIMIZERS``, ``SCHEDULES``, ``CLIPS``: names, titles, defaults), so an entry
added to the engine shows up here without a change. Values are checked by
``gdcore.parse_experiment`` afterwards; the page shows its message. Keys include the setup
version, so a new setup restarts the widgets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

import gdcore
from gdcore.limits import LIMITS, TITLES
from gdcore.rules.methods import DEFAULTS as METHOD_DEFAULTS
from gdcore.spec.config import MAX_NAME_CHARS
from ui import state
from ui.widgets import escape_md

VARIANTS = {"full": "Batch (all rows)", "stochastic": "Stochastic (1 row)",
            "mini": "Mini-batch"}
METHODS = {"gd": "Gradient descent (an optimizer)", "line_search": "Line search (Armijo)",
           "newton": "Newton's method"}
METHOD_HELP = {
    "line_search": "Each step tries the step length below first and halves it until the loss "
                   "falls enough (Armijo's condition): no learning rate to tune. Full batch.",
    "newton": "Steps along H⁻¹·gradient, the curvature's own answer (H the Hessian); where H "
              "is not positive definite it is damped. Full batch.",
}
LR_LABELS = {"gd": "Learning rate", "line_search": "First trial step",
             "newton": "Step scale (1 = the full Newton step)"}


def _variant(bs: Any) -> str:
    if bs in (None, "full") or isinstance(bs, str):
        return "full"
    return "stochastic" if int(bs) == 1 else "mini"


def _bounded(label: str, name: str, value: float, key: str, **kw: Any):
    """A number input over the engine's range for ``name`` (``gdcore.limits.LIMITS``): the
    editor offers exactly what a link, an import and the CLI accept. An open bound is shown
    as the nearest value the widget can hold."""
    b = LIMITS[name]
    if b.integer:
        return int(st.number_input(label, min_value=int(b.low), max_value=int(b.high),
                                   value=int(min(max(value, b.low), b.high)), step=1, key=key,
                                   **kw))
    lo = b.low if not b.low_open else (min(1e-12, b.high / 1e6) if b.low == 0
                                       else b.low + 1e-9 * max(abs(b.low), 1.0))
    hi = b.high if not b.high_open else b.high - 1e-9
    return st.number_input(label, min_value=float(lo), max_value=float(hi),
                           value=float(min(max(value, lo), hi)), format="%g",
                           step=_step(float(value)), key=key, **kw)


def _param(name: str, value: Any, key: str, limit: str | None = None) -> Any:
    label = TITLES.get(name, name)  # declared beside its rule (gdcore.limits.declare)
    if isinstance(value, bool):
        return st.checkbox(label, value=value, key=key)
    if name == "betas":
        b = list(value)
        c1, c2 = st.columns(2)
        with c1:
            beta1 = _bounded("beta1", "beta", float(b[0]), f"{key}.0")
        with c2:
            beta2 = _bounded("beta2", "beta", float(b[1]), f"{key}.1")
        return [beta1, beta2]
    if name == "milestones":
        text = st.text_input(label, ", ".join(str(int(m)) for m in value), key=key,
                             help="Epochs (or updates) at which the rate is multiplied by gamma, "
                                  "e.g. 30, 80")
        parts = [p.strip() for p in text.split(",") if p.strip()]
        return [int(p) if p.lstrip("-").isdigit() and len(p) < 12 else p for p in parts]
    if name == "T_max":  # None: the run's length (the engine resolves it with the data)
        whole = st.checkbox("T_max: the run's length (decays once)", value=value is None,
                            key=f"{key}.auto",
                            help="Cosine is periodic past T_max (as in PyTorch): with the run's "
                                 "length it falls once, to the minimum lr at the end.")
        return None if whole else _bounded(label, "T_max", float(value or 100), key)
    return _bounded(label, limit or name, float(value), key)


def _step(value: float) -> float:
    """A +/- step about a tenth of the value's order of magnitude."""
    if value <= 0:
        return 0.01
    mag = 10.0 ** int(f"{value:e}".split("e")[1])
    return mag / 10 if value / mag < 2 else mag


def _named(kind: str, current: Mapping[str, Any], registry: Mapping[str, Any], key: str,
           skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A choice from an engine registry (``gdcore.OPTIMIZERS`` ...), shown by its title, and
    one control per parameter of the chosen entry."""
    names = list(registry)
    now = current.get("name", names[0])
    name = st.selectbox(kind, names, index=names.index(now) if now in names else 0,
                        format_func=lambda k: registry[k].title, key=f"{key}.name")
    out: dict[str, Any] = {"name": name}
    for p, default in registry[name].defaults.items():
        if p in skip:
            continue
        value = current.get(p, default) if now == name else default
        # (a schedule's eps is a small change of lr, 0..1, not an optimizer's eps)
        limit = "threshold" if p == "eps" and registry is gdcore.SCHEDULES else None
        out[p] = _param(p, value, f"{key}.{name}.{p}", limit)
    return out


def _start_values(init: Any, params: tuple[str, ...]) -> dict[str, float]:
    """A run's start as one number per parameter (a single "w" starts every weight there)."""
    if isinstance(init, (list, tuple)):
        init = dict(zip(params, init, strict=False))
    init = dict(init or {})
    out = {}
    for nm in params:
        value = init.get(nm, init.get("w", 0.0) if nm.startswith("w") else 0.0)
        if isinstance(value, (list, tuple)):  # "w": [..] for several weights
            j = int(nm[1:]) - 1 if nm[1:].isdigit() else 0
            value = value[j] if 0 <= j < len(value) else 0.0
        try:
            out[nm] = float(value)
        except (TypeError, ValueError):
            out[nm] = 0.0
    return out


def _run_form(run: Mapping[str, Any], i: int, key: str, n_rows: int,
              params: tuple[str, ...]) -> dict[str, Any]:
    out = dict(run)
    out["name"] = st.text_input("Name", run.get("name", f"run {i + 1}"), key=f"{key}.name",
                                max_chars=MAX_NAME_CHARS)
    method_now = dict(run.get("method") or {"name": "gd"})
    names = list(METHODS)
    method = st.selectbox("Method", names, format_func=METHODS.get, key=f"{key}.method",
                          index=names.index(method_now.get("name", "gd"))
                          if method_now.get("name", "gd") in names else 0,
                          help="Gradient descent with an optimizer, or a reference it is "
                               "measured against: a line search, Newton's method.")
    if method != "gd":
        st.caption(METHOD_HELP[method])
        out["method"] = {"name": method}
        for p, default in METHOD_DEFAULTS[method].items():
            value = method_now.get(p, default) if method_now.get("name") == method else default
            out["method"][p] = _param(p, value, f"{key}.{method}.{p}")
        # these methods take whole-data steps of their own: no batches, no clipping
        out["batch_size"] = "full"
        out["clip"] = {"name": "none"}
        out.pop("update", None)
        variant = "full"
    else:
        out.pop("method", None)
        variant = st.radio("Variant", list(VARIANTS), format_func=VARIANTS.get,
                           horizontal=True,
                           index=list(VARIANTS).index(_variant(run.get("batch_size"))),
                           key=f"{key}.variant")
    if variant == "full":
        out["batch_size"] = "full"
    elif variant == "stochastic":
        out["batch_size"] = 1
    else:
        bs = run.get("batch_size")
        now = int(bs) if isinstance(bs, int) and bs > 1 else min(32, max(2, n_rows // 4))
        if now > n_rows:
            st.caption(f"The batch size was {now:,}, more than the {n_rows:,} rows of this data: "
                       f"it is {n_rows:,} now (one batch per epoch).")
        out["batch_size"] = int(st.number_input("Batch size", 2, max(2, n_rows), min(now, n_rows),
                                                key=f"{key}.bs"))
    c1, c2 = st.columns(2)
    with c1:
        out["epochs"] = _bounded("Epochs", "epochs", int(run.get("epochs", 50)), f"{key}.epochs")
    with c2:
        out["seed"] = _bounded("Seed", "seed", int(run.get("seed", 0)), f"{key}.seed")
    if variant != "full":
        out["shuffle"] = st.checkbox("Shuffle rows every epoch", bool(run.get("shuffle", True)),
                                     key=f"{key}.shuffle")
    opt = dict(run.get("optimizer") or {"name": "sgd"})
    lr = float(opt.get("lr", gdcore.OPTIMIZER_DEFAULTS.get(opt.get("name", "sgd"), {})
                       .get("lr", 0.01)))
    if method == "gd":
        out["optimizer"] = _named("Optimizer", opt, gdcore.OPTIMIZERS, f"{key}.opt",
                                  skip=("lr",))
    else:  # the method's own step; the optimizer's settings are kept as they were
        out["optimizer"] = opt
    out["optimizer"]["lr"] = _bounded(LR_LABELS[method], "lr", lr, f"{key}.lr")
    sched = dict(run.get("schedule") or {"name": "constant"})
    out["schedule"] = _named("Schedule", sched, gdcore.SCHEDULES, f"{key}.sched")
    if out["schedule"]["name"] != "constant":
        per = sched.get("per", "epoch")
        out["schedule"]["per"] = st.radio("Step the schedule every", ["epoch", "update"],
                                          index=0 if per == "epoch" else 1, horizontal=True,
                                          key=f"{key}.sched.per")
    if method == "gd":
        clip = dict(run.get("clip") or {"name": "none"})
        out["clip"] = _named("Gradient clipping", clip, gdcore.CLIPS, f"{key}.clip")
    start = _start_values(run.get("init"), params)
    cols = st.columns(2 if len(params) <= 2 else 3)
    init = {}
    for j, nm in enumerate(params):
        with cols[j % len(cols)]:
            # keys by name and count: another x column restarts these inputs at the setup's
            init[nm] = _bounded(f"Start {nm}", "init", start[nm],
                                f"{key}.start.{len(params)}.{nm}")
    out["init"] = init
    with st.popover("Stopping rules", width="stretch"):
        defaults = gdcore.RunConfig()
        out["tol_grad"] = _bounded(
            "Stop when the gradient norm is below", "tol_grad",
            float(run.get("tol_grad", defaults.tol_grad)), f"{key}.tolg",
            help="The full-data gradient's norm; 0 = never stop early for this.")
        out["tol_loss"] = _bounded(
            "Stop when the loss changes by less than (relative)", "tol_loss",
            float(run.get("tol_loss", defaults.tol_loss)), f"{key}.toll",
            help="|loss change| <= this × max(1, loss); 0 = never stop early for this.")
        out["divergence_factor"] = _bounded(
            "Call it diverged when the loss exceeds its start by a factor of",
            "divergence_factor", float(run.get("divergence_factor",
                                               defaults.divergence_factor)), f"{key}.div")
    b1, b2 = st.columns(2)
    b1.button("Duplicate", key=f"{key}.dup", on_click=state.duplicate_run, args=(i,),
              disabled=len(state.current()["runs"]) >= state.MAX_EDITOR_RUNS, width="stretch")
    b2.button("Remove", key=f"{key}.del", on_click=state.remove_run, args=(i,),
              disabled=len(state.current()["runs"]) <= 1, width="stretch")
    return out


def _as_is(run: Mapping[str, Any], n_rows: int) -> dict[str, Any]:
    """A run whose form is not drawn (its expander is closed), as its form would return it:
    the setup's own values, with a mini-batch larger than the data made the whole data's
    size, as the form does."""
    out = dict(run)
    bs = out.get("batch_size")
    if isinstance(bs, int) and not isinstance(bs, bool) and bs > n_rows >= 2:
        out["batch_size"] = n_rows
    return out


def run_editor(runs: list[Mapping[str, Any]], *, n_rows: int,
               params: tuple[str, ...] = ("w", "b")) -> list[dict[str, Any]]:
    """One expander per run (the first open) and an "Add run" button; returns the runs.
    ``params`` are the model's parameter names (w, b; or w1 .. wd, b): one start value each.

    Only an open expander's form is drawn (``on_change="rerun"``, Streamlit's lazy
    expander): a closed run is returned as the setup holds it. Each widget is a message to
    the browser and a turn of the server's event loop; four runs' forms were 100 of a page's
    170 elements, drawn again on every rerun by every session of a class."""
    v = state.version()
    out = []
    for i, run in enumerate(runs):
        key = f"run.v{v}.{i}"
        name = st.session_state.get(f"{key}.name", run.get("name", ""))
        box = st.expander(f"{i + 1}. {escape_md(name)}", expanded=(i == 0), key=f"{key}.box",
                          on_change="rerun")
        if box.open:
            with box:
                out.append(_run_form(run, i, key, n_rows, tuple(params)))
        else:
            out.append(_as_is(run, n_rows))
    st.button("Add run", key=f"run.v{v}.add", on_click=state.add_run, icon=":material/add:",
              disabled=len(runs) >= state.MAX_EDITOR_RUNS, width="stretch")
    return out


VARY_LABELS = {"shuffle": "row order", "init": "start point"}


def repeats_editor(current: Mapping[str, Any] | None) -> dict[str, Any]:
    """How often every run is repeated, over paired seeds (the experiment's "repeats"), and
    what changes between repeats. Returns the section (``{"n": 1, ...}`` for one sample)."""
    now = dict(current or {})
    key = f"repeats.v{state.version()}"
    n = _bounded("Seeds per run", "repeats", int(now.get("n", 1)), f"{key}.n",
                 help="Run every run this many times, each time with another seed, and draw "
                      "each run's median with a 10-90 % band. Repeat j of every run uses the "
                      "same seed (paired seeds), so runs are compared on the same row orders "
                      "and starts.")
    out: dict[str, Any] = {"n": int(n)}
    if n > 1:
        vary = st.pills("What changes between seeds", list(VARY_LABELS),
                        format_func=VARY_LABELS.get, selection_mode="multi",
                        default=[v for v in now.get("vary", ["shuffle"]) if v in VARY_LABELS],
                        key=f"{key}.vary",
                        help="Row order: a stochastic or mini-batch run shuffles with each "
                             "seed (a full-batch run then repeats itself exactly). Start "
                             "point: each seed starts at the run's start plus a normal draw "
                             "of the spread below, per parameter.")
        out["vary"] = list(vary) or ["shuffle"]
        if "init" in out["vary"]:
            out["init_spread"] = _bounded("Start spread (standard deviation)", "init_spread",
                                          float(now.get("init_spread", 0.5) or 0.5),
                                          f"{key}.spread")
    return out
