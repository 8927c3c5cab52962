"""An example of the "lost update" failure pattern: a full-object write without a
resourceVersion precondition, built from a stale read, reverts another writer's change.

Two controllers write the same ConfigMap ``app-config``:

- ``ConfigRollout`` (the owner of the ``ConfigRollout`` custom resource) sets the ConfigMap's
  ``data.version`` to the rollout's ``spec.version`` and, once its cache shows the ConfigMap at
  that version, records ``status.appliedVersion`` on the rollout. It writes with the
  resourceVersion it read (``kmodel.update(obj)``), as a client-go ``Update`` does.
- ``Labeler`` read-modify-writes the ConfigMap to add the label ``team: payments``. It sends the
  whole object it read from its informer cache WITHOUT a precondition
  (``kmodel.update(obj, precondition=False)``: an Update with an empty resourceVersion, which the
  API server accepts unconditionally for a ConfigMap — ``staging/src/k8s.io/apiserver/pkg/
  registry/generic/registry/store.go: Update``, ``doUnconditionalUpdate``; ``pkg/registry/core/
  configmap/strategy.go: AllowUnconditionalUpdate`` is true). If its cache has not yet seen the
  rollout's write, the stale ``data.version`` it carries overwrites the new one: the rollout
  reports version 2 applied while the ConfigMap is back at version 1.

``LabelerRV`` is the same labeler writing with the resourceVersion it read: the stale write
gets 409 Conflict, and the next reconcile, from a cache that has caught up, adds the label on
top of the current data. This is the optimistic concurrency the Kubernetes API conventions
prescribe ("Concurrency Control and Consistency", https://github.com/kubernetes/community/blob/
master/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency).

A custom resource could not show the bug this way: its strategy refuses unconditional updates
(``staging/src/k8s.io/apiextensions-apiserver/pkg/registry/customresource/strategy.go:
AllowUnconditionalUpdate`` is false, the API server answers Invalid), which is why the shared
object here is a ConfigMap.
"""

from __future__ import annotations

from typing import Any

import kmodel

TEAM_LABEL = "team"
TEAM = "payments"


def _data(cm: Any) -> dict[str, Any]:
    return dict(kmodel.thaw(cm.spec).get("data") or {})


class ConfigRollout(kmodel.Controller):
    """Applies each ConfigRollout's ``spec.version`` to its ConfigMap, then reports it applied."""

    name = "config-rollout"
    watches = ("ConfigRollout", "ConfigMap")
    owns = ("ConfigRollout", "ConfigMap")

    def reconcile(self, view: kmodel.ControllerView) -> list[Any]:
        out = []
        for rollout in view.list("ConfigRollout"):
            cm = view.get("ConfigMap", rollout.meta.namespace, rollout.spec["configMap"])
            if cm is None:
                continue
            want = rollout.spec["version"]
            data = _data(cm)
            if data.get("version") != want:
                spec = kmodel.thaw(cm.spec)
                spec["data"] = {**data, "version": want}
                out.append(kmodel.update(cm.evolve(spec=spec)))
            elif rollout.status.get("appliedVersion") != want:
                out.append(kmodel.update_status(rollout.evolve(status={"appliedVersion": want})))
        return out


class Labeler(kmodel.Controller):
    """Adds ``team: payments`` to every ConfigMap: a stale full-object write, no precondition."""

    name = "labeler"
    watches = ("ConfigMap",)
    owns = ("ConfigMap",)
    precondition = False

    def reconcile(self, view: kmodel.ControllerView) -> list[Any]:
        out = []
        for cm in view.list("ConfigMap"):
            if cm.meta.labels.get(TEAM_LABEL) != TEAM:
                labelled = cm.evolve(labels={**cm.meta.labels, TEAM_LABEL: TEAM})
                out.append(kmodel.update(labelled, precondition=self.precondition))
        return out


class LabelerRV(Labeler):
    """The same labeler, writing with the resourceVersion it read (Conflict → re-read, retry)."""

    precondition = True


@kmodel.invariant(kind="always")
def applied_config_kept(cluster: kmodel.ClusterView) -> str | None:
    """A version a ConfigRollout reports applied is still in its ConfigMap (no lost update)."""
    for rollout in cluster.list("ConfigRollout"):
        applied = rollout.status.get("appliedVersion")
        if applied is None:
            continue
        ns, name = rollout.meta.namespace, rollout.spec["configMap"]
        cm = cluster.get("ConfigMap", ns, name)
        have = None if cm is None else _data(cm).get("version")
        if have != applied:
            return (
                f"ConfigRollout {ns}/{rollout.meta.name} reports version {applied} applied, "
                f"but ConfigMap {ns}/{name} holds version {have}: its update was lost"
            )
    return None


@kmodel.invariant(kind="eventually")
def config_maps_labelled(cluster: kmodel.ClusterView) -> str | None:
    """Once the cluster settles, every ConfigMap has the team label."""
    for cm in cluster.list("ConfigMap"):
        if cm.meta.labels.get(TEAM_LABEL) != TEAM:
            return f"ConfigMap {cm.meta.namespace}/{cm.meta.name} has no {TEAM_LABEL} label"
    return None
