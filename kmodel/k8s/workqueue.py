"""A controller's work queue as a tuple of keys in its memory, with client-go's dedup semantics.

Mirrors ``staging/src/k8s.io/client-go/util/workqueue/queue.go``: ``Add`` of an item already
waiting (in the ``dirty`` set) does nothing, so a burst of events for one object is worked off
once; ``Add`` of the item being processed marks it dirty and ``Done`` puts it back at the end of
the queue, to be processed again after the others already waiting. Items are handed out in the
order they were first added.

kmodel keeps a queue in the component's memory (a tuple, so that the state stays one value).
Most controllers take the head and work it off within one reconcile step, so nothing is ever
being processed when an event arrives (``processing`` None). The garbage collector's
``attemptToDelete`` item stays at the head across steps while its live reads are made; an
``add`` of it then goes behind the others, as ``Done`` would put it.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Protocol, TypeVar

from kmodel.core.evolve import evolve

K = TypeVar("K", bound=Hashable)


def add(queue: tuple[K, ...], item: K, processing: K | None = None) -> tuple[K, ...]:
    """``queue`` after ``Add(item)``; the very same tuple when ``item`` is already waiting.
    ``processing``: the item at the head being processed, if any (it does not count as waiting)."""
    waiting = queue[1:] if processing is not None and queue and queue[0] == processing else queue
    if item in waiting:
        return queue
    return (*queue, item)


class Queued(Protocol):
    """A controller's memory with a work queue in its ``queue`` field."""

    @property
    def queue(self) -> tuple[Any, ...]: ...


Q = TypeVar("Q", bound=Queued)


def enqueue(local: Q, key: Hashable) -> Q:
    """``local`` with ``key`` added to its ``queue`` (``add``); ``local`` itself when the key is
    already waiting."""
    queue = add(local.queue, key)
    return local if queue is local.queue else evolve(local, queue=queue)
