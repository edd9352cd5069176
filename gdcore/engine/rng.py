"""The seeded row shuffle: splitmix64 bits and a Fisher-Yates shuffle with Lemire's unbiased
bounded integers, deterministic for a seed on every platform.

    state = shuffle(order, state)       # shuffles the list ``order`` in place

Position ``i`` (from the last down to 1) swaps with ``j``, a uniform integer in [0, i]: take the
top 32 bits ``r`` of the next draw, ``m = r (i + 1)``, ``j = m >> 32``; redraw while the low half of
``m`` is below ``2^32 mod (i + 1)`` (Lemire 2019), so every ``j`` is exactly equally likely.
The draws are made with numpy in blocks; the swaps are a plain loop. The compiled accelerator has
its own copy of these few lines on unsigned 64-bit integers (``gdcore.engine.accel.numba_loop``), and a test
checks the two give the same permutations.
"""

from __future__ import annotations

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
MASK64 = (1 << 64) - 1
LOW32 = 0xFFFFFFFF


def draws(state: int, count: int) -> list[int]:
    """The next ``count`` splitmix64 outputs after ``state`` (the state advances by GOLDEN per
    draw): z = s ^ (s >> 30) * MIX1, z = z ^ (z >> 27) * MIX2, z ^ (z >> 31), mod 2^64."""
    with np.errstate(over="ignore"):
        s = np.uint64(state) + np.arange(1, count + 1, dtype=np.uint64) * np.uint64(GOLDEN)
        z = (s ^ (s >> np.uint64(30))) * np.uint64(MIX1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
        z = z ^ (z >> np.uint64(31))
    return z.tolist()


def shuffle(order: list, state: int) -> int:
    """Fisher-Yates shuffle of ``order`` in place; returns the generator's new state."""
    n = len(order)
    bits = draws(state, max(n - 1, 0))
    k = 0
    for i in range(n - 1, 0, -1):
        s = i + 1
        if k == len(bits):  # a redraw used up the block: draw more
            bits += draws((state + k * GOLDEN) & MASK64, i + 8)
        m = (bits[k] >> 32) * s
        k += 1
        if (m & LOW32) < s:
            threshold = ((1 << 32) - s) % s
            while (m & LOW32) < threshold:
                if k == len(bits):
                    bits += draws((state + k * GOLDEN) & MASK64, i + 8)
                m = (bits[k] >> 32) * s
                k += 1
        j = m >> 32
        order[i], order[j] = order[j], order[i]
    return (state + k * GOLDEN) & MASK64
