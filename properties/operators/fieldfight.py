"""Two owners of one field: a GitOps sync and an autoscaler both reconcile the same value forever.

The real-world pattern: a GitOps tool with self-heal (Argo CD ``syncPolicy.automated.selfHeal``)
re-applies the manifest's ``spec.replicas`` whenever the live object drifts from Git, while a
HorizontalPodAutoscaler sets ``spec.replicas`` from the load. Each sees the other's write as
drift and writes its own value back; the field never settles. Both projects document it and the
fix: the Kubernetes HPA docs ("Migrating Deployments and StatefulSets to horizontal autoscaling",
kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/) say to remove
``spec.replicas`` from the manifests an HPA targets, since every apply "will instruct Kubernetes
to scale the current number of Pods to the value of the spec.replicas key"; Argo CD's "Diffing
Customization" (argo-cd.readthedocs.io/en/stable/user-guide/diffing/) has an Application ignore
the field (``spec.ignoreDifferences: [{kind: Deployment, jsonPointers: [/spec/replicas]}]``),
after which the HPA is its only owner.

Kept minimal, the shared field is a ConfigMap's ``data.replicas`` (kmodel has no Deployment
``/scale`` writer to share it with), and the two writers are user controllers:

- ``GitOpsSync`` (Argo CD's role): for each ``Application`` (``spec.configMap``, ``spec.data``:
  the manifest's data, ``spec.ignoreDifferences``: keys it leaves alone), writes the ConfigMap
  back to ``spec.data`` when a key it manages differs.
- ``ReplicaScaler`` (the HPA's role): for each ``ScalePolicy`` (``spec.configMap``, ``spec.key``,
  ``spec.value``), sets that key to its value when it differs.

Both write with the resourceVersion they read (``kmodel.update``), as client-go does: a stale
write gets 409 Conflict and is retried from a newer cache, so the fight is not a lost-update bug
— each write is correct for its author, and the two authors simply never agree.

Both declare ``timeless = True``: their memory is empty and they write only strings from the
scenario into ``data``, never a time or a resourceVersion, so ``kmodel explore`` keeps the time
abstraction on (``kmodel.Controller`` docs) and the fight closes into a cycle of abstract states:
a lasso.
"""

from __future__ import annotations

from typing import Any

import kmodel


def _data(cm: Any) -> dict[str, Any]:
    return dict(kmodel.thaw(cm.spec).get("data") or {})


def _set(cm: Any, changes: dict[str, Any]) -> Any:
    spec = kmodel.thaw(cm.spec)
    spec["data"] = {**_data(cm), **changes}
    return kmodel.update(cm.evolve(spec=spec))


def managed(app: Any) -> dict[str, Any]:
    """The keys an Application manages: its manifest's data less ``ignoreDifferences``."""
    ignored = set(kmodel.thaw(app.spec).get("ignoreDifferences") or ())
    return {k: v for k, v in kmodel.thaw(app.spec).get("data", {}).items() if k not in ignored}


class GitOpsSync(kmodel.Controller):
    """Self-heal: re-applies each Application's manifest data to its ConfigMap on any drift."""

    name = "gitops-sync"
    watches = ("Application", "ConfigMap")
    owns = ("Application", "ConfigMap")
    timeless = True

    def reconcile(self, view: kmodel.ControllerView) -> list[Any]:
        out = []
        for app in view.list("Application"):
            cm = view.get("ConfigMap", app.meta.namespace, app.spec["configMap"])
            if cm is None:
                continue
            data = _data(cm)
            drift = {k: v for k, v in managed(app).items() if data.get(k) != v}
            if drift:
                out.append(_set(cm, drift))
        return out


class ReplicaScaler(kmodel.Controller):
    """An autoscaler: sets each ScalePolicy's key of its ConfigMap to the policy's value."""

    name = "replica-scaler"
    watches = ("ScalePolicy", "ConfigMap")
    owns = ("ScalePolicy", "ConfigMap")
    timeless = True

    def reconcile(self, view: kmodel.ControllerView) -> list[Any]:
        out = []
        for policy in view.list("ScalePolicy"):
            cm = view.get("ConfigMap", policy.meta.namespace, policy.spec["configMap"])
            if cm is None:
                continue
            key, value = policy.spec["key"], policy.spec["value"]
            if _data(cm).get(key) != value:
                out.append(_set(cm, {key: value}))
        return out


@kmodel.invariant(kind="eventually")
def field_settles(cluster: kmodel.ClusterView) -> str | None:
    """Every owner of a ConfigMap key is content with its stored value, so no one rewrites it.

    Checked as "eventually always": a cluster whose owners disagree forever keeps rewriting the
    field, which ``kmodel explore`` shows as a lasso (a fair cycle of writes)."""
    wants: dict[tuple[str, str, str], list[tuple[str, Any]]] = {}
    for app in cluster.list("Application"):
        for key, value in managed(app).items():
            wants.setdefault((app.meta.namespace, app.spec["configMap"], key), []).append(
                (f"Application {app.meta.name}", value)
            )
    for policy in cluster.list("ScalePolicy"):
        where = (policy.meta.namespace, policy.spec["configMap"], policy.spec["key"])
        wants.setdefault(where, []).append((f"ScalePolicy {policy.meta.name}", policy.spec["value"]))
    for (ns, name, key), owners in sorted(wants.items()):
        cm = cluster.get("ConfigMap", ns, name)
        if cm is None:
            continue
        have = _data(cm).get(key)
        unhappy = [f"{who} wants {value!r}" for who, value in owners if value != have]
        if unhappy:
            return (
                f"ConfigMap {ns}/{name} data.{key} is {have!r} but {', '.join(unhappy)}: "
                f"{len(owners)} owners of one field, it is rewritten forever"
            )
    return None
