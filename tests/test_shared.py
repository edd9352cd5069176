"""ui.shared.SharedStore: a value many sessions ask for at once is computed once."""

from __future__ import annotations

import threading
import time

import pytest

from ui.shared import SharedStore


def _many(store, n, key, compute, **kw):
    results, errors = [None] * n, []
    start = threading.Barrier(n)

    def ask(i):
        start.wait()
        try:
            results[i] = store.get(key, compute, **kw)
        except Exception as err:  # noqa: BLE001 - collected for the assertion
            errors.append(err)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def test_thirty_askers_at_once_compute_once():
    store, calls = SharedStore(8), []
    release = threading.Event()

    def compute():
        calls.append(1)
        release.wait(10)  # the first asker is still computing when the others arrive
        return {"value": 42}

    threading.Timer(0.3, release.set).start()
    results, errors = _many(store, 30, "k", compute)
    assert errors == [] and len(calls) == 1 and store.computed == 1
    assert all(r is results[0] for r in results)  # one object, shared


def test_a_value_not_kept_is_computed_again_by_the_next_asker():
    store, calls = SharedStore(8), []
    store.get("k", lambda: calls.append(1) or "stopped", keep=lambda v: v != "stopped")
    assert "k" not in store
    assert store.get("k", lambda: calls.append(1) or "done") == "done"
    assert len(calls) == 2 and store.peek("k") == "done"


def test_a_failed_computation_frees_the_waiters():
    store, calls = SharedStore(8), []
    gate = threading.Event()

    def compute():
        calls.append(1)
        if len(calls) == 1:
            gate.wait(10)
            raise RuntimeError("first try fails")
        return "second"

    threading.Timer(0.3, gate.set).start()
    results, errors = _many(store, 5, "k", compute)
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError)
    assert results.count("second") == 4 and len(calls) == 2  # one waiter computed it again


def test_a_waiter_that_is_no_longer_wanted_returns_none():
    store = SharedStore(8)
    gate, started = threading.Event(), threading.Event()

    def slow():
        started.set()
        gate.wait(10)
        return "v"

    owner = threading.Thread(target=store.get, args=("k", slow))
    owner.start()
    started.wait(10)
    asked = []
    assert store.get("k", lambda: pytest.fail("must not compute"),
                     still_wanted=lambda: asked.append(1) and False) is None
    assert asked  # it was asked, and the wait ended
    gate.set()
    owner.join(10)
    assert store.peek("k") == "v"


def test_bounded_oldest_first():
    store = SharedStore(3)
    for k in "abcd":
        store.get(k, lambda k=k: k.upper())
    store.get("b", lambda: pytest.fail("kept"))  # b is now the newest
    store.get("e", lambda: "E")
    assert [k for k in "abcde" if k in store] == ["b", "d", "e"]


def test_bounded_by_bytes_too():
    store = SharedStore(100, max_bytes=1000, size_of=len)
    for k in range(10):
        store.get(k, lambda: b"x" * 300)
    assert store.total_bytes <= 1000 and len(store) == 3
    assert [k for k in range(10) if k in store] == [7, 8, 9]
    store.get("big", lambda: b"x" * 5000)  # larger than the bound alone: kept, the rest go
    assert len(store) == 1 and "big" in store


def test_turns_are_one_at_a_time_in_order_of_arrival():
    from ui.shared import Turns

    turns, order, inside = Turns(width=1), [], []
    first_in = threading.Event()
    release_first = threading.Event()

    def session(i):
        with turns.turn():
            inside.append(i)
            assert len(inside) == 1  # never two at once
            order.append(i)
            if i == 0:
                first_in.set()
                release_first.wait(10)
            inside.remove(i)

    threads = [threading.Thread(target=session, args=(0,))]
    threads[0].start()
    first_in.wait(10)
    for i in range(1, 6):  # they queue, one after another, while 0 holds the turn
        t = threading.Thread(target=session, args=(i,))
        t.start()
        threads.append(t)
        while len(turns._queue) < i:  # wait for the state: i is in the queue
            threading.Event().wait(0.01)
    release_first.set()
    for t in threads:
        t.join(10)
    assert order == [0, 1, 2, 3, 4, 5]


def test_a_session_that_gives_up_leaves_the_queue_and_passes_no_turn_twice():
    from ui.shared import Turns

    turns = Turns(width=1)
    hold, held = threading.Event(), threading.Event()

    def holder():
        with turns.turn():
            held.set()
            hold.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(10)

    class Rerun(Exception):
        pass

    def stop():
        raise Rerun

    with pytest.raises(Rerun):
        with turns.turn(still_wanted=stop):
            pytest.fail("must not get the turn")
    assert len(turns._queue) == 0
    hold.set()
    t.join(10)
    with turns.turn():  # free again
        assert turns._busy == 1
    assert turns._busy == 0


def test_a_turn_is_reentrant_and_can_be_given_back_to_the_next_in_line():
    """The dashboard holds a turn for its whole script run and its charts' fragment takes
    one inside it (the same turn: no deadlock); a session waiting for a long run gives its
    turn back, the next in line gets it at once, and the session queues again after."""
    from ui.shared import Turns

    turns = Turns(width=1)
    with turns.turn():
        with turns.turn():  # within the thread's own turn: that turn
            assert turns._busy == 1 and turns.held
        assert turns.held
    assert turns._busy == 0 and not turns.held

    got = threading.Event()
    release = threading.Event()

    def other() -> None:
        with turns.turn():
            got.set()
            release.wait(30)

    with turns.turn():
        t = threading.Thread(target=other)
        t.start()
        while len(turns._queue) < 1:  # wait for the state: the other is in line
            time.sleep(0.001)
        assert not got.is_set()
        assert turns.give_back() is True  # a long wait ahead: the next goes now
        assert got.wait(30) and not turns.held
        assert turns.give_back() is False  # nothing left to give
        release.set()
        with turns.turn():  # queued again behind the other, which is done now
            assert turns.held
    t.join(30)
    assert turns._busy == 0 and not turns._queue
