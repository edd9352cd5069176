"""When this process's background work may use a core: not while it is serving someone.

The engine has background work that nobody waits for: compiling the accelerator (a child
process, half a minute of one core) and starting the forkserver long runs are forked from. On
a machine of two cores, or Community Cloud's fraction of one, that work slowed a visitor's first
page by seconds (measured: a fresh server's second visit drew its first chart at 5.7-8 s with
the build compiling, 4.5 s without), however low its priority: `nice 19` and even
`SCHED_IDLE` only yield a core when someone asks for it, and the core a build keeps hot is the
one the server's next request would have found idle. So the host marks its busy stretches
(a page's script run) and background work waits for a quiet moment, and a build under way is
paused while anyone is being served::

    with QUIET.busy():          # the host, around a page's script run
        draw_the_page()

    QUIET.wait()                # background work, before it starts
    QUIET.is_quiet()            # a running build's supervisor, every tenth of a second

Quiet means: nothing busy now, and nothing busy for the last ``after`` seconds (a page keeps
asking for static files, fragments and charts for a few seconds after its script run ends).
Nothing here knows what the host is; a process that never marks anything busy (the CLI, the
tests) is always quiet.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

QUIET_AFTER = 10.0  # seconds without a busy stretch before the process counts as quiet


class Quiet:
    """Busy stretches of a process, counted from any thread; see the module docstring."""

    def __init__(self, after: float = QUIET_AFTER,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.after = float(after)
        self._clock = clock
        self._busy = 0
        self._last = float("-inf")  # when the last busy stretch ended
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Mark the block as a busy stretch (reentrant and thread-safe: stretches may overlap)."""
        with self._changed:
            self._busy += 1
        try:
            yield
        finally:
            with self._changed:
                self._busy -= 1
                self._last = self._clock()
                self._changed.notify_all()

    def touch(self) -> None:
        """Mark a busy moment (a busy stretch of no length, now): for a host that knows when
        work starts but not when it ends."""
        with self.busy():
            pass

    def is_quiet(self) -> bool:
        """Nothing is busy now, and nothing was for the last ``after`` seconds."""
        with self._changed:
            return self._busy == 0 and self._clock() - self._last >= self.after

    def wait(self, timeout: float | None = None, poll: float = 0.25) -> bool:
        """Block until the process is quiet (True) or ``timeout`` seconds have passed (False)."""
        deadline = None if timeout is None else self._clock() + timeout
        while not self.is_quiet():
            if deadline is not None and self._clock() >= deadline:
                return False
            with self._changed:
                self._changed.wait(poll)
        return True


#: The process's own: the host marks its busy stretches here, background work asks it.
QUIET = Quiet()
