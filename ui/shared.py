"""Work done once per server, not once per session.

Thirty students opening one link ask for the same runs and the same charts thirty times, at
the same moment. :class:`SharedStore` is a bounded, thread-safe store shared by the server's
sessions (held by ``st.cache_resource``) in which a value is computed once even when many
sessions ask for it at once: the first asker computes, the others wait for it and read it
(single flight). ``st.cache_data`` / ``st.cache_resource`` already compute once per key; the
hand-made stores (finished runs, chart specs, sweeps) need this because they cannot be those
caches (a run draws a live progress bar; a stopped run must not be kept).

    store = SharedStore(256, max_bytes=64 << 20, size_of=lambda v: v.nbytes)
    value = store.get(key, compute, keep=lambda v: v.status != "stopped", still_wanted=check)

Bounded by count and, given ``size_of``, by bytes (the oldest values go first): what a server
keeps after its sessions close is at most that, whatever they asked for.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

WAIT_SLICE = 0.25  # seconds between checks that a waiting session still wants the value


class SharedStore:
    """A bounded LRU store whose values are each computed once (see the module docstring)."""

    def __init__(self, size: int, *, max_bytes: int | None = None,
                 size_of: Callable[[Any], int] | None = None) -> None:
        self.size = int(size)
        self.max_bytes = max_bytes  # also bounded by bytes, each value's ``size_of(value)``
        self._size_of = size_of or (lambda value: 0)
        self._bytes: dict[Hashable, int] = {}
        self.total_bytes = 0
        self._values: OrderedDict = OrderedDict()
        self._computing: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()
        self.computed = 0  # how many values were computed (the tests count them)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._values

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def peek(self, key: Hashable) -> Any:
        """The kept value for ``key`` or None, without computing."""
        with self._lock:
            return self._values.get(key)

    def get(self, key: Hashable, compute: Callable[[], Any], *,
            keep: Callable[[Any], bool] = lambda value: True,
            still_wanted: Callable[[], bool] | None = None) -> Any:
        """The value for ``key``: kept, being computed by another session (waited for), or
        computed here with ``compute()`` and kept if ``keep(value)``. While waiting,
        ``still_wanted()`` is asked every :data:`WAIT_SLICE` seconds; when it says False the
        wait ends and None is returned (the asker's script was interrupted)."""
        while True:
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]
                running = self._computing.get(key)
                if running is None:
                    self._computing[key] = threading.Event()
                    break  # this caller computes it
            while not running.wait(WAIT_SLICE):
                if still_wanted is not None and not still_wanted():
                    return None
            # the other caller finished: the value is kept now, or was not kept (a stopped
            # run, an error): look again, and compute it here if it is still missing
        try:
            value = compute()
            with self._lock:
                self.computed += 1
                if keep(value):
                    self._values[key] = value
                    self._bytes[key] = int(self._size_of(value))
                    self.total_bytes += self._bytes[key]
                    while len(self._values) > self.size or (
                            self.max_bytes is not None and self.total_bytes > self.max_bytes
                            and len(self._values) > 1):
                        old, _ = self._values.popitem(last=False)
                        self.total_bytes -= self._bytes.pop(old)
            return value
        finally:
            with self._lock:
                self._computing.pop(key).set()
