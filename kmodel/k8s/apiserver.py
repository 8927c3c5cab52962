"""The API server's request pipeline: one component's requests of one reconcile, through the faults
that can befall them on the way, applied to the store in order.

``send(store, requests, delivery, ...)`` is the only place requests reach the store. ``delivery``
is a tuple of typed interceptors, the faults of ``kmodel.k8s.faults`` that act on requests:

- ``CutOff()``: the sender is partitioned from the API server; every request fails with a
  network error and none is applied;
- ``LoseRequest(i)`` / ``LoseResponse(i)``: the i-th request never arrives, or is applied and its
  response lost (``faults.requestLoss``);
- ``CrashAfter(k)``: the sender crashes after sending k requests; the rest are never sent
  (``faults.componentRestart``);
- ``Fenced(process)``: kmodel's ``fencedLeaderElection`` variant (not upstream): a write whose
  lease epoch is stale is rejected (``kmodel.k8s.leaderelection.fence_rejection``).

A status write with ``Request.retry_conflict`` that gets a Conflict is retried here, within the
same call, as ``updateReplicaSetStatus`` does (``pkg/controller/replicaset/replica_set_utils.go``,
Kubernetes 1.34: ``statusUpdateRetries`` = 1): a live GET of the object, then the same
``newStatus`` (computed from the sender's cache, with the ``observedGeneration`` it acted on) sent
again with the live resourceVersion. So a status computed from a stale cache lands on a fresh
object: what upstream does. The GET and the second write are one step of the model (nothing can
come between them, as nothing else runs in the sender meanwhile), so the GET always finds the
object that conflicted; a lost request or response and a crash act on the call as a whole.

Batches (``Request.batch``) are handled here too, once: the requests of one reconcile are applied in
order, but once a request with a batch number fails (for any reason, a lost request or response
included), every later request whose batch number is greater is not sent and the sender gets
``Result(False, "Skipped")`` for it. This is how a component that, upstream, waits for a batch
before sending the next one (``slowStartBatch`` in ``pkg/controller/replicaset/replica_set.go``)
says "stop after this failed" while still returning its requests up front. Requests without a batch
number are always sent. A lost request or response aimed at a request that is skipped is not
enabled (the fault would change nothing): ``send`` returns None.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kmodel.k8s import leaderelection as le
from kmodel.k8s.store import APIConfig, Request, Result, Store

WATCH_CACHE_SECONDS = 75  # cacher.go eventFreshDuration: the watch cache keeps at least 75s


@attrs.frozen
class CutOff:
    """The sender cannot reach the API server (a partitioned node's kubelet or kube-proxy)."""


@attrs.frozen
class LoseRequest:
    """The ``index``-th request never reaches the API server."""

    index: int


@attrs.frozen
class LoseResponse:
    """The ``index``-th request is applied, and its response is lost."""

    index: int


@attrs.frozen
class CrashAfter:
    """The sender crashes after sending ``count`` requests."""

    count: int


@attrs.frozen
class Fenced:
    """kmodel's fencing-token variant: the API server checks the epoch of ``process``'s writes."""

    process: le.Process


Interceptor = CutOff | LoseRequest | LoseResponse | CrashAfter | Fenced
Delivery = tuple[Interceptor, ...]
# Called with (store before, request, result) for every request the API server applies.
Listener = Callable[[Store, Request, Result], None]


@attrs.frozen
class Sent:
    """What ``send`` did: the store after, and each request with the result its sender gets (in
    order; requests a ``CrashAfter`` kept from being sent are not listed)."""

    store: Store
    results: tuple[tuple[Request, Result], ...]
    crashed: bool = False


def _find(delivery: Delivery, kind: type) -> Interceptor | None:
    return next((x for x in delivery if isinstance(x, kind)), None)


def send(
    store: Store,
    requests: list[Request],
    delivery: Delivery,
    *,
    now: int,
    api: APIConfig,
    who: str,
    log: list[str] | None = None,
    listen: Listener | None = None,
) -> Sent | None:
    """Send ``requests`` in order through ``delivery`` and apply them to ``store`` at ``now``;
    ``who`` names the sender in ``log``. None when the delivery's lost request or response is aimed
    at a request that would be skipped (not enabled)."""
    cut = _find(delivery, CutOff) is not None
    crash = _find(delivery, CrashAfter)
    lost_req = _find(delivery, LoseRequest)
    lost_res = _find(delivery, LoseResponse)
    fenced = _find(delivery, Fenced)
    lost_at = lost_req.index if isinstance(lost_req, LoseRequest) else None
    if isinstance(lost_res, LoseResponse):
        lost_at = lost_res.index
    results: list[tuple[Request, Result]] = []
    failed: int | None = None  # the lowest batch number that failed so far
    for i, req in enumerate(requests):
        if isinstance(crash, CrashAfter) and i >= crash.count:
            if log is not None:
                log.append(f"{who}: crashed before sending {req}")
            return Sent(store, tuple(results), crashed=True)
        if failed is not None and req.batch is not None and req.batch > failed:
            if lost_at == i:
                return None
            results.append((req, Result(False, "Skipped", f"not sent: a request of batch {failed} failed")))
            if log is not None:
                log.append(f"{who}: skips {req} (batch {failed} failed)")
            continue
        if cut or (isinstance(lost_req, LoseRequest) and lost_req.index == i):
            res = Result(False, "NetworkError", "the request never reached the API server")
        elif isinstance(fenced, Fenced) and (rejected := le.fence_rejection(store, fenced.process, req)) is not None:
            res = rejected  # kmodel variant: the API server checks the fencing token
        else:
            before = store
            store, res = store.apply(req, now, api)
            if listen is not None:
                listen(before, req, res)
            if req.retry_conflict and res.reason == "Conflict":
                if log is not None:
                    log.append(f"{who}: {format_result(req, res)}; GET and retry")
                store, res = _retry_status(store, req, now, api, listen)
            if isinstance(lost_res, LoseResponse) and lost_res.index == i:
                if log is not None:
                    applied = "applied" if res.ok else f"{res.reason}"
                    log.append(f"{who}: {req} → {applied}, but the response was lost")
                res = Result(False, "NetworkError", "the response was lost")
                failed = _failed_batch(failed, req, res)
                results.append((req, res))
                continue
        failed = _failed_batch(failed, req, res)
        results.append((req, res))
        if log is not None:
            log.append(f"{who}: {format_result(req, res)}")
    return Sent(store, tuple(results), crashed=crash is not None)


def _retry_status(
    store: Store, req: Request, now: int, api: APIConfig, listen: Listener | None
) -> tuple[Store, Result]:
    """``updateReplicaSetStatus``'s retry: ``c.Get`` the live object, then ``UpdateStatus`` of it
    with the status the sender computed."""
    live = store.get(req.key)  # there: a Conflict, in this same step, means the object exists
    again = attrs.evolve(
        req,
        obj=attrs.evolve(live, status=req.obj.status),
        precondition_rv=live.meta.resource_version,
        retry_conflict=False,
    )
    before = store
    store, res = store.apply(again, now, api)
    if listen is not None:
        listen(before, again, res)
    return store, res


def _failed_batch(failed: int | None, req: Request, res: Result) -> int | None:
    """The lowest failed batch number after ``req`` got ``res``."""
    if res.ok or req.batch is None or (failed is not None and failed <= req.batch):
        return failed
    return req.batch


def format_result(req: Request, res: Result) -> str:
    what = str(req)
    if req.verb == "create" and res.ok and res.obj is not None:
        what = f"create {req.key[0]}/{res.obj.meta.name}"
    return f"{what} → ok" if res.ok else f"{what} → {res.reason}: {res.message}"
