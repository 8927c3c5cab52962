"""The work queue helper (kmodel.k8s.workqueue) keeps client-go's dedup semantics."""

from __future__ import annotations

import attrs

from kmodel.k8s import workqueue


def test_an_item_already_waiting_is_not_added_twice() -> None:
    q = workqueue.add(workqueue.add((), "a"), "b")
    assert q == ("a", "b")
    assert workqueue.add(q, "a") is q


def test_the_item_being_processed_goes_behind_the_others() -> None:
    """``Add`` of the item in ``processing`` marks it dirty; ``Done`` queues it again last."""
    q = ("a", "b")
    assert workqueue.add(q, "a", processing="a") == ("a", "b", "a")
    assert workqueue.add(q, "b", processing="a") is q


def test_enqueue_returns_the_same_memory_when_nothing_changes() -> None:
    @attrs.frozen
    class Local:
        queue: tuple[str, ...] = ()
        other: int = 0

    local = workqueue.enqueue(Local(other=3), "a")
    assert local == Local(("a",), 3)
    assert workqueue.enqueue(local, "a") is local
