"""Every app module imported anew, together, once its source changed under a running server.

Streamlit drops the app's modules from ``sys.modules`` when its file watcher sees a change, but
only for the sessions connected at that moment (each session's watcher evicts at the start of
its own next run). A deploy that lands while nobody is connected (a teacher pushes a fix before
class), or a server whose watcher is off (``server.fileWatcherType = "none"``), kept the old
modules for every later session until a restart: new pages drew with old chart builders, and a
page's ``from ui import charts`` found the old module on the package even after an eviction.

Every page calls :func:`modules` before it imports anything of ``gdcore`` or ``ui``: when a
file of an imported app module was written since it was loaded (or Streamlit evicted one of
them), all of them leave ``sys.modules`` at once, so the page's imports load one consistent new
version; ``ui.version`` then draws a new ``CODE`` and clears the caches made under the old one.
:func:`record` (called by ``ui.version.keep_current``) notes what is loaded and when its file
was written. This module holds no app state but that note, and is never evicted itself.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading

_PACKAGES = ("gdcore", "lab", "ui")
_lock = threading.Lock()
_loaded: dict[str, int | None] = {}  # module name -> its file's mtime (ns) when noted


def _app_modules() -> dict[str, object]:
    # dict.copy() is one step under the GIL; list(items()) raced with an import in another
    # thread (the accelerator's): "dictionary changed size during iteration"
    return {name: module for name, module in sys.modules.copy().items()
            if name.split(".")[0] in _PACKAGES and name != __name__ and module is not None}


def _written(module: object) -> int | None:
    path = getattr(module, "__file__", None)
    if not path:
        return None
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def stale() -> list[str]:
    """The noted app modules whose file changed since, or that are no longer loaded."""
    now = _app_modules()
    return [name for name, when in _loaded.items()
            if name not in now or _written(now[name]) != when]


def modules() -> bool:
    """Drop every app module from ``sys.modules`` if any of them changed (see the module's
    docstring); call it first on every page. Returns True when it did."""
    with _lock:
        if not _loaded or not stale():
            return False
        dropped = sorted(_app_modules(), key=lambda n: (n.count("."), n))
        for name in dropped:
            sys.modules.pop(name, None)
        _loaded.clear()
        # import them anew here, under the lock: two sessions' pages importing the new
        # modules at once each held one module's import lock while waiting for the other's
        # (Python's "deadlock detected by _ModuleLock"); now a page's own imports find them
        for name in dropped:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - gone or broken: the page's own import says so
                sys.modules.pop(name, None)
        return True


def record() -> None:
    """Note the app modules loaded now and when their files were written (new ones only: a
    module imported later in a run is noted on the next call)."""
    with _lock:
        for name, module in _app_modules().items():
            if name not in _loaded:
                _loaded[name] = _written(module)
