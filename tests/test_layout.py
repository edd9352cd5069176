"""The package's architecture, checked (issue 17): every import points down the layers, there
is no import cycle, and no module imports a module of the package inside a function to dodge
the order. Read from the sources with ``ast`` (what is imported, not what happens to load)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lower layers first: a module imports only its own layer and the ones before it.
LAYERS = (
    ("gdcore.errors", "gdcore.limits", "gdcore.checks"),  # what every layer needs
    ("gdcore.rules",),  # optimizers, schedules, clipping, methods: pure scalar rules
    ("gdcore.models",),  # linear, logistic, objectives, test functions, registry
    ("gdcore.spec",),  # the format: config, defaults, share, export
    ("gdcore.data",),  # reading and making data sets
    ("gdcore.engine",),  # plan, loops, dispatch, runner, repeats, accel
    ("gdcore.store",),  # saved experiments
    ("gdcore", "gdcore.__main__"),  # the public API and the command line
    ("lab",),  # what the pages compute: presets, sweep, landscape, lessons, challenge
)
PACKAGES = ("gdcore", "lab")
# Imports kept inside a function on purpose, each with its reason (not to dodge an order).
LAZY = {
    ("gdcore.engine.accel", "gdcore.engine.accel.numba_loop"):
        "imports numba (seconds): only when a kernel is built or loaded, never on import",
    ("gdcore.engine.accel", "gdcore.engine.accel.verify"):
        "checks a fresh build against the interpreter: only in the build child",
}
MAX_LINES = 400  # a longer module in gdcore/ says why in its docstring ("Long because ...")


def _modules() -> dict[str, Path]:
    found = {}
    for top in PACKAGES:
        for path in (ROOT / top).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _target(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path) -> list[tuple[str, bool]]:
    """(imported module of the packages, whether the import is inside a function)."""
    tree = ast.parse(path.read_text())
    local = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
             for n in ast.walk(f) if isinstance(n, ast.Import | ast.ImportFrom)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = _target(module, path, node)
            names = [f"{target}.{a.name}" for a in node.names]
            hits = [n for n in names if n in MODULES] or ([target] if target in MODULES else [])
        elif isinstance(node, ast.Import):
            hits = [a.name for a in node.names if a.name in MODULES]
        else:
            continue
        out += [(h, id(node) in local) for h in hits]
    return out


def _layer(module: str) -> int:
    best = None
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if module == prefix or (module.startswith(prefix + ".") and prefix != "gdcore"):
                best = i
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


GRAPH = {m: sorted({t for t, _ in _imports(m, p) if t != m}) for m, p in MODULES.items()}


def test_the_walk_sees_the_package():
    assert len(MODULES) > 40 and "gdcore.engine.loop" in GRAPH
    assert "gdcore.rules.optimizers" in GRAPH["gdcore.engine.plan"]  # a relative import, read


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_import_points_down(module):
    mine = _layer(module)
    up = [t for t in GRAPH[module] if _layer(t) > mine]
    assert not up, f"{module} (layer {LAYERS[mine][0]}) imports a higher layer: {up}"


def test_no_import_cycle():
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in GRAPH.get(m, []):
            if t.startswith(m + "."):  # a package importing its own modules is not a cycle
                continue
            if state.get(t) == 1 and not m.startswith(t + "."):
                raise AssertionError(" -> ".join(stack[stack.index(t):] + [t]))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)


def test_no_function_local_import_of_the_package():
    local = sorted(f"{m} imports {t}" for m, p in MODULES.items() for t, inside in _imports(m, p)
                   if inside and (m, t) not in LAZY)
    assert not local, local


def test_long_modules_say_why():
    quiet = []
    for module, path in MODULES.items():
        text = path.read_text()
        if module.startswith("gdcore") and text.count("\n") > MAX_LINES:
            if "long because" not in (ast.get_docstring(ast.parse(text)) or "").lower():
                quiet.append(f"{module}: {text.count(chr(10))} lines")
    assert not quiet, quiet
