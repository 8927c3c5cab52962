"""An example operator with a real-world bug: it deletes by name what it saw in a stale cache.

A ``Database`` (a custom resource) gets a ``Secret`` named ``<db>-credentials``, annotated with
the uid of the Database it was made for; once the Secret exists the operator marks the Database
``status.phase: Ready`` and from then on leaves it alone ("provision once"). Secrets whose
Database is gone, or was replaced by a new object of the same name (another uid), are
orphans, and the operator deletes them.

``DatabaseOperator`` deletes an orphan by NAME. If its cache is stale — it restarted and its
relist was served by an API server that lags behind (``staleRelist``) — it may still see the
old Secret of a Database that was deleted and re-created, while the store already holds the
new Secret made for the new Database: the delete by name removes the NEW Secret, and the Ready
Database has lost its credentials for good. This is the "stale state" bug pattern of Sieve
(Sun et al., "Automatic Reliability Testing for Cluster Management Controllers", OSDI '22),
found there in real operators.

``DatabaseOperatorFixed`` deletes with a uid precondition (``metav1.Preconditions{UID}`` in
``DeleteOptions``): the API server refuses with 409 Conflict when the name now stands for
another object, so a stale view can no longer destroy the new Secret.
"""

from __future__ import annotations

from typing import Any

import kmodel

OWNER_UID = "example.com/database-uid"  # annotation: the uid of the Database a Secret is for
OWNER_NAME = "example.com/database"  # label: the name of that Database


def secret_name(db: Any) -> str:
    return f"{db.meta.name}-credentials"


class DatabaseOperator(kmodel.Controller):
    """Provisions a Secret per Database; deletes orphaned Secrets by name (the bug)."""

    name = "db-operator"
    watches = ("Database", "Secret")
    owns = ("Database", "Secret")
    delete_with_uid = False

    def reconcile(self, view: kmodel.ControllerView) -> list[Any]:
        out = []
        for db in view.list("Database"):
            if db.meta.deletion_timestamp is not None or db.status.get("phase") == "Ready":
                continue  # provisioned once: a Ready Database is left alone
            secret = view.get("Secret", db.meta.namespace, secret_name(db))
            if secret is None:
                new = kmodel.new_object(
                    "Secret",
                    secret_name(db),
                    namespace=db.meta.namespace,
                    labels={OWNER_NAME: db.meta.name},
                    annotations={OWNER_UID: db.meta.uid},
                    spec={"data": {"password": "generated"}},
                )
                out.append(kmodel.create(new))
            elif secret.meta.annotations.get(OWNER_UID) == db.meta.uid:
                out.append(kmodel.update_status(db.evolve(status={"phase": "Ready", "secret": secret.meta.name})))
        for secret in view.list("Secret"):
            owner = secret.meta.labels.get(OWNER_NAME)
            if owner is None:
                continue
            db = view.get("Database", secret.meta.namespace, owner)
            if db is None or db.meta.uid != secret.meta.annotations.get(OWNER_UID):
                uid = secret.meta.uid if self.delete_with_uid else None
                out.append(kmodel.delete("Secret", secret.meta.namespace, secret.meta.name, uid=uid))
        return out


class DatabaseOperatorFixed(DatabaseOperator):
    """The same operator, deleting orphans only if the name still stands for the Secret it saw."""

    delete_with_uid = True


@kmodel.invariant(kind="always")
def ready_database_has_secret(cluster: kmodel.ClusterView) -> str | None:
    """A Database whose status says Ready has its Secret, made for it (same uid)."""
    for db in cluster.list("Database"):
        if db.status.get("phase") != "Ready":
            continue
        where = f"Database {db.meta.namespace}/{db.meta.name} (uid {db.meta.uid}) is Ready but"
        secret = cluster.get("Secret", db.meta.namespace, secret_name(db))
        if secret is None:
            return f"{where} its Secret {secret_name(db)} does not exist"
        if secret.meta.annotations.get(OWNER_UID) != db.meta.uid:
            return f"{where} its Secret {secret_name(db)} was made for uid {secret.meta.annotations.get(OWNER_UID)}"
    return None


@kmodel.invariant(kind="eventually")
def databases_ready(cluster: kmodel.ClusterView) -> str | None:
    """Once the cluster settles, every Database is Ready."""
    for db in cluster.list("Database"):
        if db.status.get("phase") != "Ready":
            return f"Database {db.meta.namespace}/{db.meta.name} is not Ready"
    return None
