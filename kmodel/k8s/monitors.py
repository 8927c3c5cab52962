"""Invariant monitors: the history an invariant keeps about transitions, as in P's spec monitors.

Most invariants are checks over one state. Some promises are about what happened on the way:
a create the ReplicaSet controller should not have sent, an eviction that took a PDB below its
budget, a write by a replica that did not lead, a client request that reached a stopped
container, an HPA that keeps reversing itself. Such an invariant has a monitor
(``InvariantMonitor``) that sees every applied API request and every event a step announces, and
keeps what it needs in one typed *record*:

- ``initial(config)``: the record a run starts with; None (the default) for none yet.
- ``on_request(record, before, request, result, who)``: after each API request the API server
  applied (``before`` is the store just before it, ``who`` the component that sent it).
- ``on_event(record, event, state)``: after each event a step announces. Steps announce what the
  API server does not see, as typed values defined below (``ServiceRequest``: a client request
  to a Service, announced by ``kmodel.k8s.steps.user.request``); they never decide whether an
  event violates anything, the monitor does.
- ``verdict(record, state)``: the invariant's check: None when it holds, else one line saying
  why not. It may also read the state (HPASettles checks the recommendation once no flap is
  recorded).
- ``blocks_settle(record)``: whether the record proves the settle phase cannot end (an HPA that
  flaps under a constant load never becomes quiescent): the settle phase then stops.

The record lives in ``ClusterState.monitor`` under the invariant's name (absent while it is
None), so it is part of the state: equal histories compare and hash equal, and the explorer
deduplicates on them. It must be an immutable value: a string (the first violation message,
for monitors that remember only that: ``FirstViolation``) or a frozen attrs class, with its time
and revision fields declared for the explorer's abstraction (``@abstraction.declare``, as
``kmodel.k8s.invariants.FlapRecord`` does) and its string fields reviewed for the symmetry
reduction (``tests/test_symmetry.py: STRING_FIELDS``).

The hooks are pure, and return the very record they were given when nothing changes: the
cluster then leaves ``ClusterState.monitor`` alone, and a step that changed nothing else stays
a no-op (not enabled). Only the hooks a monitor overrides are run (``listens``), and only the
monitors of the invariants a scenario checks, so a scenario pays for none it does not use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from kmodel.k8s.state import ClusterConfig, ClusterState
from kmodel.k8s.store import Request, Result, Store

if TYPE_CHECKING:
    from kmodel.k8s.controllers.kubeproxy import Backend

R = TypeVar("R")

# A stateless observer: the store just before an applied request, the request, its result and
# who sent it → a violation message or None. ``FirstViolation`` makes one a monitor.
Observer = Callable[[Store, Request, Result, str], str | None]


class InvariantMonitor(Generic[R]):
    """The history of one invariant (see the module docstring). Subclass it and override the
    hooks the invariant needs; ``verdict`` is required, the others default to doing nothing."""

    def initial(self, config: ClusterConfig) -> R | None:
        return None

    def on_request(self, record: R | None, before: Store, req: Request, res: Result, who: str) -> R | None:
        return record

    def on_event(self, record: R | None, event: Any, state: ClusterState) -> R | None:
        return record

    def verdict(self, record: R | None, state: ClusterState) -> str | None:
        raise NotImplementedError(f"{type(self).__name__} must define verdict")

    def blocks_settle(self, record: R | None) -> bool:
        return False


HOOKS = ("on_request", "on_event", "blocks_settle")


def listens(monitor: InvariantMonitor[Any], hook: str) -> bool:
    """Whether ``monitor`` overrides ``hook`` (one of ``HOOKS``): the cluster runs only those."""
    return getattr(type(monitor), hook) is not getattr(InvariantMonitor, hook)


@attrs.frozen
class FirstViolation(InvariantMonitor[str]):
    """A monitor made of a stateless observer: its record is the first violation message the
    observer returns, kept from then on; the verdict is that message."""

    observe: Observer = attrs.field(eq=False)

    def on_request(self, record: str | None, before: Store, req: Request, res: Result, who: str) -> str | None:
        if record is not None:
            return record
        return self.observe(before, req, res, who)

    def verdict(self, record: str | None, state: ClusterState) -> str | None:
        return record


# -- events the steps announce ---------------------------------------------------------------


@attrs.frozen
class ServiceRequest:
    """A client on ``node`` sent a request to the Service ``service`` (namespace, name); it went
    through ``via`` (``kube-proxy/<node>`` or ``coredns``) to ``backend``, whose container was
    ``running`` or not at that instant (``kmodel.k8s.controllers.kubeproxy.route_request``)."""

    node: str
    service: tuple[str, str]
    via: str
    backend: Backend
    running: bool


__all__ = ["HOOKS", "FirstViolation", "InvariantMonitor", "Observer", "ServiceRequest", "listens"]
