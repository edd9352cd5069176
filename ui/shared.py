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
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from contextlib import contextmanager
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


class Turns:
    """First come, first served turns at CPU-bound work shared by the server's sessions.

    Every session's script runs in a thread of one process, and Python runs one thread at a
    time (the GIL): thirty sessions drawing their charts at once take turns every few
    milliseconds, so all thirty finish near the end of the thirty sessions' work. Taking turns
    by session instead (``width`` at a time, in order of arrival) finishes the first after its
    own work and the median after half of the total, for the same total. Waiting holds no
    lock Python needs; ``still_wanted()`` is asked every :data:`WAIT_SLICE` seconds and may
    raise (a script asked to stop or rerun), which gives up the place in the queue.

        with turns.turn(still_wanted):
            draw_the_page()      # inside: turns.give_back() before a long wait
    """

    def __init__(self, width: int = 1) -> None:
        self.width = int(width)
        self._busy = 0
        self._queue: deque[threading.Event] = deque()
        self._lock = threading.Lock()
        self._held = threading.local()  # whether this thread (a session's script) has a turn

    @property
    def held(self) -> bool:
        """Whether the calling thread holds a turn."""
        return getattr(self._held, "on", False)

    @contextmanager
    def turn(self, still_wanted: Callable[[], Any] | None = None):
        """Wait for a turn and hold it for the block. Reentrant: inside a thread's own turn
        this is that turn. A turn given back in the block (:meth:`give_back`) is not released
        twice."""
        if self.held:
            yield
            return
        self._acquire(still_wanted)
        self._held.on = True
        try:
            yield
        finally:
            if self.held:
                self._held.on = False
                self._release()

    def give_back(self) -> bool:
        """Let the next in line go now: this thread's work ahead does not need the
        interpreter (a long run in a child process or in the compiled loop, or a wait for
        another session's run). The next :meth:`turn` queues again. Returns whether a turn
        was given back."""
        if not self.held:
            return False
        self._held.on = False
        self._release()
        return True

    def _acquire(self, still_wanted: Callable[[], Any] | None) -> None:
        mine = threading.Event()
        with self._lock:
            if self._busy < self.width and not self._queue:
                self._busy += 1
                mine.set()
            else:
                self._queue.append(mine)
        try:
            while not mine.wait(WAIT_SLICE):
                if still_wanted is not None:
                    still_wanted()
        except BaseException:
            with self._lock:
                if mine in self._queue:
                    self._queue.remove(mine)
                    mine = None
            if mine is not None:  # the turn came while giving up: pass it on
                self._release()
            raise

    def _release(self) -> None:
        with self._lock:
            if self._queue:
                self._queue.popleft().set()  # the slot goes straight to the next in line
            else:
                self._busy -= 1
