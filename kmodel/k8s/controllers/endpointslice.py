"""The EndpointSlice controller: which pods back each Service, with their conditions.

Mirrors ``pkg/controller/endpointslice/endpointslice_controller.go`` and the reconciler it shares
with other controllers, ``staging/src/k8s.io/endpointslice/`` (``reconciler.go``, ``utils.go``,
``util/controller_utils.go``, ``util/endpointslice_tracker.go``), in kubernetes/kubernetes:

- Event handlers queue Services: a Service event queues it (``onServiceUpdate``/``onServiceDelete``);
  a pod added or deleted queues the Services whose selector matches it
  (``GetPodServiceMemberships``); a pod update queues them only when it changed in a way that matters
  (``GetServicesToUpdateOnPodChange`` / ``podEndpointsChanged``: deletionTimestamp, readiness, pod
  IP, or labels — then the old and new memberships, their union when the endpoint changed too, else
  their symmetric difference). An EndpointSlice event queues its Service (label
  ``kubernetes.io/service-name``) only when the controller did not write that version itself
  (``EndpointSliceTracker.ShouldSync``), and a deletion only when it did not expect it
  (``HandleDeletion``).
- ``syncService`` for one key: a Service that is gone is dropped from the tracker; a Service without a
  selector gets nothing (its slices are managed out of band). The pods are those of the Service's
  namespace matching its selector (``labels.Set(selector)``); the slices those labelled with the
  service name and ``endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io``, not
  being deleted. If the informer cache has not yet caught up with the controller's own writes
  (``EndpointSliceTracker.StaleSlices``: an older version of a slice it wrote, a slice it deleted,
  or a slice it created missing), the sync fails and the Service is retried; this stops a lagging
  cache from creating a second slice.
- The desired endpoints (``reconcileByAddressType``): every pod with ``ShouldPodBeInEndpoints(pod,
  includeTerminating=true)`` — not Succeeded/Failed and with a pod IP — becomes ``podToEndpoint``:
  ``serving`` = the pod's Ready condition, ``terminating`` = it has a ``deletionTimestamp``, ``ready``
  = ``publishNotReadyAddresses || (serving && !terminating)``; ``nodeName`` and a Pod ``targetRef``.
- Writes: slices not owned by the Service (controllerRef by uid) are deleted; a slice is updated
  (carrying the resourceVersion read from the cache, so a stale one conflicts) when its endpoints,
  ports or labels differ; with no slice at all one is created (``generateName: <service>-``,
  controllerRef to the Service, the Service's labels plus the reserved ones), holding the endpoints
  or, with none, as the empty placeholder (``reconciler.go``: "When no endpoint slices would usually
  exist, we need to add a placeholder"). No creates while the Service is being deleted
  (``finalize``). The tracker records what the controller wrote (``Update``, ``ExpectDeletion``).
  A failed write requeues the Service (``handleErr``); a NotFound delete counts as done.

Simplifications (and why):

- One slice per Service: upstream packs at most ``maxEndpointsPerSlice`` = 100 endpoints per slice
  and, for a single-stack IPv4 Service with one port mapping, keeps exactly one slice (the placeholder
  when empty) up to that size; kmodel's small scopes never reach 100 pods. Should duplicates exist
  (a create whose response was lost, then a create from a cache that had not seen the first), the
  first by name keeps the endpoints and the others are deleted — what upstream's
  ``reconcileByPortMapping`` ends with, since an endpoint found in one slice is removed from the
  desired set before the next slice is looked at.
- The tracker compares resourceVersions instead of generations: kmodel's store bumps
  ``metadata.generation`` only for objects with a ``spec``, and nothing but this controller writes
  slices, so the two move together.
- Pod IPs: the kubelet (CNI) assigns them; the model derives a pod's IP from its uid (a counter in the
  store, so deterministic and unique) once the kubelet has posted its status (``status.startTime``),
  see ``pod_ip``. Nodes are not watched: kmodel never deletes a Node (upstream skips pods whose
  Node is missing) and zones / topology hints are not modelled. ``targetPort`` by name is not
  resolved against container ports (not modelled). Slice-triggered syncs are immediate instead of
  after ``endpointSliceChangeMinSyncDelay`` (1s); ``endpointUpdatesBatchPeriod`` defaults to 0.
- Promptness: the controller acts on its queue before the clock moves on (``sync_deadline``; the
  cluster's tick waits for it), as its workers pick a key up within milliseconds; only its informer
  lag within an instant is explored.
"""

from __future__ import annotations

import zlib
from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction, workqueue
from kmodel.k8s.informers import Component, View
from kmodel.k8s.objects import (
    Endpoint,
    EndpointConditions,
    EndpointPort,
    EndpointSlice,
    ObjectMeta,
    OwnerReference,
    Pod,
    Service,
)
from kmodel.k8s.store import Event, Request, Result

NAME = "endpointslice-controller"
MANAGED_BY = "endpointslice-controller.k8s.io"  # the controller's name in the managed-by label
LABEL_SERVICE_NAME = "kubernetes.io/service-name"  # discovery.LabelServiceName
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"  # discovery.LabelManagedBy
LABEL_HEADLESS = "service.kubernetes.io/headless"  # v1.IsHeadlessService
RESERVED_LABELS = (LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS)
DELETION_EXPECTED = -1  # endpointslice_tracker.go: deletionExpected

SvcKey = tuple[str, str]  # (namespace, name)


def pod_ip(pod: Pod) -> str | None:
    """The pod's IP, or None before the kubelet has started its sandbox and posted its status.

    Upstream the CNI plugin assigns an IP from the node's pod CIDR and the kubelet writes it to
    ``status.podIPs``. kmodel derives it from the pod's uid (``uid-000123`` → ``10.244.0.124``):
    unique per pod, deterministic, and never reused (a recreated pod has a new uid).
    """
    if not pod.spec.node_name or pod.status.start_time is None:
        return None
    digits = pod.meta.uid[len(pod.meta.uid.rstrip("0123456789")) :]
    n = int(digits) if digits else zlib.crc32(pod.meta.uid.encode()) % 60_000
    return f"10.244.{n // 254}.{n % 254 + 1}"


def selects(svc: Service, pod: Pod) -> bool:
    """``labels.Set(service.Spec.Selector).AsSelectorPreValidated()`` over the pod's labels, same
    namespace. A Service without a selector selects nothing here."""
    sel = svc.spec.selector
    if sel is None or pod.meta.namespace != svc.meta.namespace:
        return False
    return all(pod.meta.labels.get(k) == v for k, v in sel.items())


def pod_to_endpoint(pod: Pod, svc: Service) -> Endpoint | None:
    """``ShouldPodBeInEndpoints(pod, true)`` then ``podToEndpoint`` (``staging/src/k8s.io/
    endpointslice/utils.go``): None for a terminal pod or one without an IP."""
    ip = pod_ip(pod)
    if pod.is_terminal() or ip is None:
        return None
    serving = pod.is_ready()
    terminating = pod.meta.deletion_timestamp is not None
    ready = svc.spec.publish_not_ready_addresses or (serving and not terminating)
    return Endpoint(
        addresses=(ip,),
        conditions=EndpointConditions(ready=ready, serving=serving, terminating=terminating),
        node_name=pod.spec.node_name,
        pod_name=pod.meta.name,
        pod_uid=pod.meta.uid,
    )


def desired_endpoints(svc: Service, pods: Any) -> tuple[Endpoint, ...]:
    """The endpoints the Service's slice should hold, by pod name (upstream's EndpointSet is a set;
    kmodel sorts so that equal sets compare equal)."""
    out = []
    for p in pods:
        if selects(svc, p):
            ep = pod_to_endpoint(p, svc)
            if ep is not None:
                out.append(ep)
    return tuple(sorted(out, key=lambda e: (e.pod_name, e.pod_uid)))


def slice_ports(svc: Service) -> tuple[EndpointPort, ...]:
    """``getEndpointPorts``: one port per Service port, at its target port."""
    return tuple(EndpointPort(p.name, p.target_port, p.protocol) for p in svc.spec.ports)


def slice_labels(svc: Service) -> FMap[str, str]:
    """``setEndpointSliceLabels``: the Service's labels without the reserved keys, the headless label
    when ``clusterIP`` is None, the service name and managed-by."""
    labels = {k: v for k, v in svc.meta.labels.items() if k not in RESERVED_LABELS}
    if not svc.spec.cluster_ip or svc.spec.headless():
        labels[LABEL_HEADLESS] = ""
    labels[LABEL_SERVICE_NAME] = svc.meta.name
    labels[LABEL_MANAGED_BY] = MANAGED_BY
    return FMap(labels)


def service_slices(view_slices: Any, namespace: str, name: str) -> list[EndpointSlice]:
    """The managed slices of a Service (by label), not being deleted, by name."""
    out = [
        s
        for s in view_slices
        if s.meta.namespace == namespace
        and s.meta.labels.get(LABEL_SERVICE_NAME) == name
        and s.meta.labels.get(LABEL_MANAGED_BY) == MANAGED_BY
        and s.meta.deletion_timestamp is None
    ]
    return sorted(out, key=lambda s: s.meta.name)


def owned_by(es: EndpointSlice, svc: Service) -> bool:
    return any(
        r.uid == svc.meta.uid and r.kind == "Service" and r.api_version == "v1" for r in es.meta.owner_references
    )


@abstraction.declare(fields={"slices": abstraction.REV_VALUES})
@attrs.frozen
class Tracked:
    """``EndpointSliceTracker`` entry of one Service: its uid and, per slice uid, the resourceVersion
    the controller last wrote (``DELETION_EXPECTED`` after it deleted the slice)."""

    service_uid: str = ""
    slices: FMap[str, int] = FMap()


@attrs.frozen
class ESLocal:
    queue: tuple[SvcKey, ...] = ()
    tracker: FMap[SvcKey, Tracked] = FMap()


def _endpoint_fields(pod: Pod) -> tuple[Any, ...]:
    return (pod.meta.deletion_timestamp, pod.is_ready(), pod_ip(pod))


def _stale(tracked: Tracked | None, svc: Service, slices: list[EndpointSlice]) -> bool:
    """``EndpointSliceTracker.StaleSlices`` (entries for an older uid of the Service are ignored)."""
    if tracked is None or tracked.service_uid != svc.meta.uid:
        return False
    provided = {s.meta.uid for s in slices}
    for s in slices:
        g = tracked.slices.get(s.meta.uid)
        if g is not None and (g == DELETION_EXPECTED or g > s.meta.resource_version):
            return True
    return any(g != DELETION_EXPECTED and uid not in provided for uid, g in tracked.slices.items())


@attrs.frozen
class EndpointSliceController(Component):
    name: str = NAME
    prompt = True

    def watches(self, obj: Any) -> bool:
        if isinstance(obj, EndpointSlice):
            return obj.meta.labels.get(LABEL_MANAGED_BY) == MANAGED_BY
        return isinstance(obj, Service | Pod)

    def initial_local(self) -> ESLocal:
        return ESLocal()

    def on_relist(self, local: ESLocal, view: View) -> ESLocal:
        """After a (re)list every Service is queued, as the initial ADD events do."""
        for svc in view.list("Service"):
            local = workqueue.enqueue(local, (svc.meta.namespace, svc.meta.name))
        return local

    # -- event handlers ----------------------------------------------------------------------

    def _memberships(self, view: View, pod: Pod) -> set[SvcKey]:
        return {(s.meta.namespace, s.meta.name) for s in view.list("Service") if selects(s, pod)}

    def on_event(self, local: ESLocal, event: Event, old: Any, view: View) -> ESLocal:
        obj = event.obj
        if isinstance(obj, Service):
            return workqueue.enqueue(local, (obj.meta.namespace, obj.meta.name))
        if isinstance(obj, EndpointSlice):
            return self._on_slice(local, event, obj)
        keys = self._memberships(view, obj)
        if event.type == "MODIFIED" and old is not None:
            changed = _endpoint_fields(old) != _endpoint_fields(obj)
            labels_changed = old.meta.labels != obj.meta.labels
            if not changed and not labels_changed:
                return local
            if labels_changed:
                before = self._memberships(view, old)
                keys = (before | keys) if changed else (before ^ keys)
        for key in sorted(keys):
            local = workqueue.enqueue(local, key)
        return local

    def _on_slice(self, local: ESLocal, event: Event, es: EndpointSlice) -> ESLocal:
        svc_name = es.meta.labels.get(LABEL_SERVICE_NAME, "")
        if not svc_name:
            return local
        key = (es.meta.namespace, svc_name)
        tracked = local.tracker.get(key)
        written = tracked.slices.get(es.meta.uid) if tracked is not None else None
        if event.type == "DELETED":
            if written is None or tracked is None:
                return local  # the tracker does not know it (Has)
            local = attrs.evolve(
                local, tracker=local.tracker.set(key, attrs.evolve(tracked, slices=tracked.slices.delete(es.meta.uid)))
            )
            return local if written == DELETION_EXPECTED else workqueue.enqueue(local, key)
        if written is None or es.meta.resource_version > written:  # ShouldSync
            return workqueue.enqueue(local, key)
        return local

    # -- sync --------------------------------------------------------------------------------

    def _inputs(self, view: View, key: SvcKey) -> tuple[Service | None, list[EndpointSlice]]:
        svc = view.get(("Service", *key))
        return svc, service_slices(view.list("EndpointSlice"), *key)

    def _head_is_stale(self, local: ESLocal, view: View) -> bool:
        key = local.queue[0]
        svc, slices = self._inputs(view, key)
        return svc is not None and svc.spec.selector is not None and _stale(local.tracker.get(key), svc, slices)

    def reconcile(self, local: ESLocal, view: View) -> tuple[ESLocal, list[Request]]:
        if not local.queue:
            return local, []
        if self._head_is_stale(local, view):
            # StaleInformerCache: the sync fails and the key is retried once the cache caught up
            # (its own writes are pending watch events, delivered at this instant).
            return local, []
        key, local = local.queue[0], attrs.evolve(local, queue=local.queue[1:])
        svc, slices = self._inputs(view, key)
        if svc is None:
            return attrs.evolve(local, tracker=local.tracker.delete(key)), []
        if svc.spec.selector is None:
            return local, []
        tracked = local.tracker.get(key)
        if tracked is None or tracked.service_uid != svc.meta.uid:
            local = attrs.evolve(local, tracker=local.tracker.set(key, Tracked(service_uid=svc.meta.uid)))
        endpoints = desired_endpoints(svc, view.list("Pod"))
        ports = slice_ports(svc)
        labels = slice_labels(svc)
        owned = [s for s in slices if owned_by(s, svc)]
        reqs: list[Request] = []
        for s in slices:
            if s not in owned or s is not owned[0]:
                reqs.append(Request("delete", s.key, precondition_uid=s.meta.uid, tag=("es-delete", key, s.meta.uid)))
        if owned:
            keep = owned[0]
            if keep.endpoints != endpoints or keep.ports != ports or keep.meta.labels != labels:
                new = attrs.evolve(keep, endpoints=endpoints, ports=ports, meta=attrs.evolve(keep.meta, labels=labels))
                reqs.insert(
                    0,
                    Request(
                        "update", keep.key, new, precondition_rv=keep.meta.resource_version, tag=("es-update", key)
                    ),
                )
        elif svc.meta.deletion_timestamp is None:
            create = Request("create", ("EndpointSlice", svc.meta.namespace, ""), new_slice(svc, endpoints))
            reqs.insert(0, attrs.evolve(create, tag=("es-create", key)))
        return local, reqs

    def on_result(self, local: ESLocal, req: Request, result: Result, view: View) -> ESLocal:
        tag = req.tag
        if not tag or not str(tag[0]).startswith("es-"):
            return local
        key = tag[1]
        if not result.ok:
            if tag[0] == "es-delete" and result.reason == "NotFound":
                return local  # deleteEndpointSlice tolerates slices already gone
            return workqueue.enqueue(local, key)  # handleErr: AddRateLimited
        tracked = local.tracker.get(key, Tracked())
        if tag[0] == "es-delete":
            slices = tracked.slices.set(tag[2], DELETION_EXPECTED)
        else:
            obj = result.obj
            slices = tracked.slices.set(obj.meta.uid, obj.meta.resource_version)
        return attrs.evolve(local, tracker=local.tracker.set(key, attrs.evolve(tracked, slices=slices)))

    def sync_deadline(self, local: ESLocal, view: View) -> int | None:
        """The controller must have synced its queue by this time (component clock): now, when a
        sync would make progress (a stale cache waits for its pending events instead)."""
        if not local.queue or self._head_is_stale(local, view):
            return None
        return view.now

    def settle_deadline(self, local: ESLocal, view: View) -> int | None:
        return self.sync_deadline(local, view)


def new_slice(svc: Service, endpoints: tuple[Endpoint, ...]) -> EndpointSlice:
    """``newEndpointSlice``: ``generateName: <service>-``, a controllerRef to the Service
    (``metav1.NewControllerRef``: controller and blockOwnerDeletion), its labels."""
    ref = OwnerReference(
        api_version="v1",
        kind="Service",
        name=svc.meta.name,
        uid=svc.meta.uid,
        controller=True,
        block_owner_deletion=True,
    )
    meta = ObjectMeta(
        name="",
        namespace=svc.meta.namespace,
        generate_name=f"{svc.meta.name}-",
        labels=slice_labels(svc),
        owner_references=(ref,),
    )
    return EndpointSlice(meta=meta, endpoints=endpoints, ports=slice_ports(svc))


__all__ = [
    "LABEL_HEADLESS",
    "LABEL_SERVICE_NAME",
    "ESLocal",
    "EndpointSliceController",
    "desired_endpoints",
    "pod_ip",
    "pod_to_endpoint",
    "selects",
    "service_slices",
]
