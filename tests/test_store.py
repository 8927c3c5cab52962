"""Store: etcd + API-server semantics (revisions, preconditions, graceful delete, bind, admission)."""

from __future__ import annotations

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s.labels import LabelSelector
from kmodel.k8s.objects import (
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    Container,
    ObjectMeta,
    Pod,
    PodSpec,
    PodStatus,
    PodTemplateSpec,
    ReplicaSet,
    ReplicaSetSpec,
    ReplicaSetStatus,
    Toleration,
)
from kmodel.k8s.store import NAME_ALPHABET, APIConfig, Request, Store, generated_suffix

CFG = APIConfig()


def make_pod(name: str = "p", node: str = "", grace: int = 30, **meta: object) -> Pod:
    return Pod(
        meta=ObjectMeta(name=name, namespace="default", **meta),  # type: ignore[arg-type]
        spec=PodSpec(
            containers=(Container("c", "img", FMap({"cpu": 100})),),
            node_name=node,
            termination_grace_period_seconds=grace,
        ),
    )


def make_rs(name: str = "web", replicas: int = 1) -> ReplicaSet:
    labels = FMap({"app": name})
    return ReplicaSet(
        meta=ObjectMeta(name=name, namespace="default"),
        spec=ReplicaSetSpec(
            selector=LabelSelector(match_labels=(("app", name),)),
            template=PodTemplateSpec(labels=labels, spec=PodSpec(containers=(Container("c"),))),
            replicas=replicas,
        ),
    )


def ok(store: Store, req: Request, now: int = 0) -> tuple[Store, object]:
    new, res = store.apply(req, now, CFG)
    assert res.ok, (res.reason, res.message)
    return new, res.obj


def create(store: Store, obj: object, now: int = 0) -> tuple[Store, object]:
    return ok(store, Request("create", obj.key, obj), now)  # type: ignore[attr-defined]


# -- create ------------------------------------------------------------------------------------


def test_create_stamps_revision_uid_generation() -> None:
    s0 = Store()
    s1, pod = create(s0, make_pod("a"), now=7)
    assert s1.revision == 1
    assert pod.meta.resource_version == 1
    assert pod.meta.uid
    assert pod.meta.generation == 1
    assert pod.meta.creation_timestamp == 7
    assert s1.get(pod.key) == pod
    s2, pod_b = create(s1, make_pod("b"))
    assert s2.revision == 2
    assert pod_b.meta.resource_version == 2
    assert pod_b.meta.uid != pod.meta.uid
    # The original store value is untouched.
    assert s0.revision == 0 and s0.get(pod.key) is None and s0.events == ()


def test_create_ignores_client_supplied_server_fields() -> None:
    pod = make_pod("a", uid="forged", resource_version=99, deletion_timestamp=5)
    _, stored = create(Store(), pod, now=3)
    assert stored.meta.uid != "forged"
    assert stored.meta.resource_version == 1
    assert stored.meta.deletion_timestamp is None


def test_revision_is_global_across_kinds() -> None:
    s, _ = create(Store(), make_pod("a"))
    s, rs = create(s, make_rs("web"))
    assert rs.meta.resource_version == 2 == s.revision


def test_create_existing_name_is_already_exists() -> None:
    s, _ = create(Store(), make_pod("a"))
    s2, res = s.apply(Request("create", ("Pod", "default", "a"), make_pod("a")), 0, CFG)
    assert not res.ok
    assert res.reason == "AlreadyExists"
    assert s2 is s


def test_same_name_in_another_namespace_is_fine() -> None:
    s, _ = create(Store(), make_pod("a"))
    other = attrs.evolve(make_pod("a"), meta=ObjectMeta(name="a", namespace="other"))
    s, obj = create(s, other)
    assert obj.key == ("Pod", "other", "a")
    assert len(s.list("Pod")) == 2


def test_create_without_name_or_generate_name_is_invalid() -> None:
    pod = make_pod("")
    s, res = Store().apply(Request("create", pod.key, pod), 0, CFG)
    assert not res.ok and res.reason == "Invalid"
    assert s.revision == 0


def test_generate_name() -> None:
    s = Store()
    names = set()
    for _ in range(20):
        pod = make_pod("", generate_name="web-")
        s, obj = create(s, pod)
        name = obj.meta.name
        assert name.startswith("web-")
        suffix = name[len("web-") :]
        assert len(suffix) == 5
        assert set(suffix) <= set(NAME_ALPHABET)
        assert s.get(("Pod", "default", name)) == obj
        names.add(name)
    assert len(names) == 20


def test_name_alphabet_is_upstreams() -> None:
    # staging/src/k8s.io/apiserver/pkg/storage/names/generate.go: no vowels, no 0/1/3 lookalikes.
    assert NAME_ALPHABET == "bcdfghjklmnpqrstvwxz2456789"


def test_generated_suffix_is_a_bijection_on_small_counters() -> None:
    suffixes = [generated_suffix(i) for i in range(1, 2000)]
    assert len(set(suffixes)) == len(suffixes)
    assert all(len(x) == 5 and set(x) <= set(NAME_ALPHABET) for x in suffixes)


def test_generate_name_is_truncated_to_58_chars() -> None:
    prefix = "a" * 70
    _, obj = create(Store(), make_pod("", generate_name=prefix))
    assert len(obj.meta.name) == 63
    assert obj.meta.name.startswith("a" * 58)


def test_default_tolerations_added_at_create() -> None:
    _, pod = create(Store(), make_pod("a"))
    tols = {t.key: t for t in pod.spec.tolerations}
    for key in (TAINT_NOT_READY, TAINT_UNREACHABLE):
        t = tols[key]
        assert t.operator == "Exists"
        assert t.effect == "NoExecute"
        assert t.toleration_seconds == 300
    assert len(pod.spec.tolerations) == 2


def test_default_toleration_seconds_come_from_config() -> None:
    pod = make_pod("a")
    _, res = Store().apply(Request("create", pod.key, pod), 0, APIConfig(10, 20))
    secs = {t.key: t.toleration_seconds for t in res.obj.spec.tolerations}
    assert secs == {TAINT_NOT_READY: 10, TAINT_UNREACHABLE: 20}


def test_existing_toleration_is_not_duplicated() -> None:
    own = Toleration(key=TAINT_UNREACHABLE, operator="Exists", effect="NoExecute", toleration_seconds=5)
    pod = make_pod("a")
    pod = attrs.evolve(pod, spec=attrs.evolve(pod.spec, tolerations=(own,)))
    _, stored = create(Store(), pod)
    unreachable = [t for t in stored.spec.tolerations if t.key == TAINT_UNREACHABLE]
    assert unreachable == [own]
    assert any(t.key == TAINT_NOT_READY for t in stored.spec.tolerations)


def test_tolerate_everything_gets_no_defaults() -> None:
    pod = make_pod("a")
    pod = attrs.evolve(pod, spec=attrs.evolve(pod.spec, tolerations=(Toleration(operator="Exists"),)))
    _, stored = create(Store(), pod)
    assert stored.spec.tolerations == (Toleration(operator="Exists"),)


def test_no_default_tolerations_for_other_kinds() -> None:
    _, rs = create(Store(), make_rs())
    assert rs.spec.template.spec.tolerations == ()


# -- update ------------------------------------------------------------------------------------


def test_update_with_stale_precondition_is_conflict() -> None:
    s, rs = create(Store(), make_rs(replicas=1))
    s, _ = ok(s, Request("update", rs.key, _scaled(rs, 2), precondition_rv=rs.meta.resource_version))
    stale = Request("update", rs.key, _scaled(rs, 3), precondition_rv=rs.meta.resource_version)
    s2, res = s.apply(stale, 0, CFG)
    assert not res.ok
    assert res.reason == "Conflict"
    assert s2 is s
    assert s.get(rs.key).spec.replicas == 2


def test_update_with_current_precondition_succeeds() -> None:
    s, rs = create(Store(), make_rs(replicas=1))
    s, rs2 = ok(s, Request("update", rs.key, _scaled(rs, 4), precondition_rv=rs.meta.resource_version))
    assert rs2.spec.replicas == 4
    assert rs2.meta.resource_version == 2 == s.revision


def test_uid_precondition() -> None:
    s, rs = create(Store(), make_rs())
    _, res = s.apply(Request("update", rs.key, _scaled(rs, 2), precondition_uid="other"), 0, CFG)
    assert not res.ok and res.reason == "Conflict"


def test_update_missing_object_is_not_found() -> None:
    rs = make_rs()
    _, res = Store().apply(Request("update", rs.key, rs), 0, CFG)
    assert not res.ok and res.reason == "NotFound"


def test_identical_update_is_skipped() -> None:
    s, rs = create(Store(), make_rs())
    s2, res = s.apply(Request("update", rs.key, rs), 0, CFG)
    assert res.ok
    assert s2.revision == s.revision
    assert s2.events == s.events
    assert s2.get(rs.key).meta.resource_version == rs.meta.resource_version


def test_identical_status_update_is_skipped() -> None:
    s, rs = create(Store(), make_rs())
    s2, res = s.apply(Request("update_status", rs.key, rs), 0, CFG)
    assert res.ok
    assert s2.revision == s.revision and len(s2.events) == len(s.events)


def test_update_ignores_status() -> None:
    s, rs = create(Store(), make_rs(replicas=1))
    new = attrs.evolve(_scaled(rs, 2), status=ReplicaSetStatus(replicas=9))
    s, stored = ok(s, Request("update", rs.key, new))
    assert stored.spec.replicas == 2
    assert stored.status == rs.status


def test_status_only_change_through_update_is_a_no_op() -> None:
    s, rs = create(Store(), make_rs())
    new = attrs.evolve(rs, status=ReplicaSetStatus(replicas=9))
    s2, res = s.apply(Request("update", rs.key, new), 0, CFG)
    assert res.ok
    assert s2.revision == s.revision
    assert s2.get(rs.key).status.replicas == 0


def test_update_status_ignores_spec() -> None:
    s, rs = create(Store(), make_rs(replicas=1))
    new = attrs.evolve(_scaled(rs, 5), status=ReplicaSetStatus(replicas=1, observed_generation=1))
    s, stored = ok(s, Request("update_status", rs.key, new))
    assert stored.spec.replicas == 1
    assert stored.status.replicas == 1
    assert stored.meta.generation == rs.meta.generation
    assert stored.meta.resource_version == s.revision == 2


def test_generation_bumps_only_on_spec_change() -> None:
    s, rs = create(Store(), make_rs())
    assert rs.meta.generation == 1
    # Metadata-only change: new revision, same generation.
    relabelled = attrs.evolve(rs, meta=attrs.evolve(rs.meta, labels=FMap({"team": "a"})))
    s, rs2 = ok(s, Request("update", rs.key, relabelled))
    assert rs2.meta.labels == FMap({"team": "a"})
    assert rs2.meta.resource_version == 2
    assert rs2.meta.generation == 1
    # Status change: same generation.
    s, rs3 = ok(s, Request("update_status", rs.key, attrs.evolve(rs2, status=ReplicaSetStatus(replicas=1))))
    assert rs3.meta.generation == 1
    # Spec change: generation + 1.
    s, rs4 = ok(s, Request("update", rs.key, _scaled(rs3, 3)))
    assert rs4.meta.generation == 2
    assert s.revision == 4


def test_update_cannot_change_server_fields() -> None:
    s, rs = create(Store(), make_rs(), now=5)
    forged = attrs.evolve(
        _scaled(rs, 2),
        meta=attrs.evolve(rs.meta, uid="forged", creation_timestamp=99, generation=50, resource_version=77),
    )
    s, stored = ok(s, Request("update", rs.key, forged))
    assert stored.meta.uid == rs.meta.uid
    assert stored.meta.creation_timestamp == 5
    assert stored.meta.generation == 2
    assert stored.meta.resource_version == s.revision


# -- delete ------------------------------------------------------------------------------------


def test_bound_pod_delete_is_graceful() -> None:
    s, pod = create(Store(), make_pod("a", node="n1", grace=30))
    s, stored = ok(s, Request("delete", pod.key), now=100)
    assert stored.meta.deletion_timestamp == 130
    assert stored.meta.deletion_grace_period_seconds == 30
    assert s.get(pod.key) == stored
    assert s.events[-1].type == "MODIFIED"
    assert not stored.is_active()


def test_graceful_delete_bumps_generation() -> None:
    # BeforeDelete: the first graceful deletion bumps metadata.generation.
    s, pod = create(Store(), make_pod("a", node="n1"))
    s, stored = ok(s, Request("delete", pod.key), now=1)
    assert stored.meta.generation == pod.meta.generation + 1


def test_request_grace_overrides_spec() -> None:
    s, pod = create(Store(), make_pod("a", node="n1", grace=30))
    s, stored = ok(s, Request("delete", pod.key, grace=5), now=10)
    assert stored.meta.deletion_timestamp == 15
    assert stored.meta.deletion_grace_period_seconds == 5


def test_unbound_pod_is_deleted_at_once() -> None:
    s, pod = create(Store(), make_pod("a", node="", grace=30))
    s, _ = ok(s, Request("delete", pod.key, grace=60), now=10)
    assert s.get(pod.key) is None
    assert s.events[-1].type == "DELETED"
    assert s.events[-1].key == pod.key


def test_terminal_pod_is_deleted_at_once() -> None:
    s, pod = create(Store(), make_pod("a", node="n1"))
    s, _ = ok(s, Request("update_status", pod.key, attrs.evolve(pod, status=PodStatus(phase="Succeeded"))))
    s, _ = ok(s, Request("delete", pod.key), now=10)
    assert s.get(pod.key) is None


def test_force_delete_removes_at_once() -> None:
    s, pod = create(Store(), make_pod("a", node="n1", grace=30))
    s, _ = ok(s, Request("delete", pod.key, grace=0), now=10)
    assert s.get(pod.key) is None
    assert s.events[-1].type == "DELETED"


def test_grace_zero_delete_of_terminating_pod_removes_it() -> None:
    # The kubelet's final delete after the containers stopped.
    s, pod = create(Store(), make_pod("a", node="n1"))
    s, _ = ok(s, Request("delete", pod.key), now=10)
    s, _ = ok(s, Request("delete", pod.key, grace=0), now=12)
    assert s.get(pod.key) is None
    assert [e.type for e in s.events] == ["ADDED", "MODIFIED", "DELETED"]


def test_second_delete_with_shorter_grace_shortens() -> None:
    s, pod = create(Store(), make_pod("a", node="n1", grace=30))
    s, first = ok(s, Request("delete", pod.key), now=10)
    s, second = ok(s, Request("delete", pod.key, grace=5), now=10)
    assert second.meta.deletion_grace_period_seconds == 5
    assert second.meta.deletion_timestamp == 15
    assert second.meta.deletion_timestamp < first.meta.deletion_timestamp


def test_second_delete_with_longer_grace_changes_nothing() -> None:
    s, pod = create(Store(), make_pod("a", node="n1", grace=30))
    s, first = ok(s, Request("delete", pod.key), now=10)
    s2, res = s.apply(Request("delete", pod.key, grace=60), 20, CFG)
    assert res.ok
    assert s2.revision == s.revision
    assert s2.get(pod.key) == first


def test_later_second_delete_never_extends_the_deadline() -> None:
    # Upstream: the shortened deadline counts from the first delete (t=0): 0 + 10 = 10.
    s, pod = create(Store(), make_pod("a", node="n1", grace=30))
    s, first = ok(s, Request("delete", pod.key), now=0)
    assert first.meta.deletion_timestamp == 30
    s, second = ok(s, Request("delete", pod.key, grace=10), now=25)
    assert second.meta.deletion_grace_period_seconds == 10
    assert second.meta.deletion_timestamp == 10


def test_delete_with_stale_precondition_is_conflict() -> None:
    s, pod = create(Store(), make_pod("a"))
    s, _ = ok(s, Request("update", pod.key, attrs.evolve(pod, meta=attrs.evolve(pod.meta, labels=FMap({"x": "y"})))))
    s2, res = s.apply(Request("delete", pod.key, precondition_rv=pod.meta.resource_version), 0, CFG)
    assert not res.ok and res.reason == "Conflict"
    assert s2.get(pod.key) is not None


def test_delete_missing_is_not_found() -> None:
    _, res = Store().apply(Request("delete", ("Pod", "default", "nope")), 0, CFG)
    assert not res.ok and res.reason == "NotFound"


def test_replicaset_delete_is_immediate() -> None:
    s, rs = create(Store(), make_rs())
    s, _ = ok(s, Request("delete", rs.key, grace=30), now=1)
    assert s.get(rs.key) is None


def test_finalizers_hold_deletion_until_removed() -> None:
    s, rs = create(
        Store(), attrs.evolve(make_rs(), meta=ObjectMeta(name="web", namespace="default", finalizers=("f",)))
    )
    s, stored = ok(s, Request("delete", rs.key), now=4)
    assert stored.meta.deletion_timestamp == 4
    assert s.get(rs.key) is not None
    s, _ = ok(s, Request("update", rs.key, attrs.evolve(stored, meta=attrs.evolve(stored.meta, finalizers=()))))
    assert s.get(rs.key) is None
    assert s.events[-1].type == "DELETED"


# -- bind --------------------------------------------------------------------------------------


def test_bind_assigns_node() -> None:
    s, pod = create(Store(), make_pod("a"))
    s, bound = ok(s, Request("bind", pod.key, node_name="n1"))
    assert bound.spec.node_name == "n1"
    assert bound.meta.resource_version == s.revision == 2
    assert s.events[-1].type == "MODIFIED"


def test_bind_of_bound_pod_is_conflict() -> None:
    s, pod = create(Store(), make_pod("a"))
    s, _ = ok(s, Request("bind", pod.key, node_name="n1"))
    s2, res = s.apply(Request("bind", pod.key, node_name="n2"), 0, CFG)
    assert not res.ok
    assert res.reason == "Conflict"
    assert s2 is s
    assert s.get(pod.key).spec.node_name == "n1"


def test_bind_of_terminating_pod_is_conflict() -> None:
    s, pod = create(Store(), make_pod("a", finalizers=("f",)))
    s, _ = ok(s, Request("delete", pod.key), now=1)
    assert s.get(pod.key) is not None
    s2, res = s.apply(Request("bind", pod.key, node_name="n1"), 2, CFG)
    assert not res.ok
    assert s2 is s
    assert s.get(pod.key).spec.node_name == ""


def test_bind_of_missing_pod_is_not_found() -> None:
    _, res = Store().apply(Request("bind", ("Pod", "default", "x"), node_name="n1"), 0, CFG)
    assert not res.ok and res.reason == "NotFound"


def test_bind_uid_precondition() -> None:
    s, pod = create(Store(), make_pod("a"))
    _, res = s.apply(Request("bind", pod.key, node_name="n1", precondition_uid="other"), 0, CFG)
    assert not res.ok and res.reason == "Conflict"


# -- events ------------------------------------------------------------------------------------


def test_events_are_ordered_and_match_revisions() -> None:
    s = Store()
    s, pod = create(s, make_pod("a"))
    s, rs = create(s, make_rs())
    s, _ = ok(s, Request("bind", pod.key, node_name="n1"))
    s, _ = ok(s, Request("update", rs.key, _scaled(rs, 2)))
    s, _ = ok(s, Request("update", rs.key, _scaled(rs, 2)))  # skipped: identical to current
    s, _ = ok(s, Request("delete", pod.key, grace=0))
    revs = [e.revision for e in s.events]
    assert revs == [1, 2, 3, 4, 5]
    assert [e.type for e in s.events] == ["ADDED", "ADDED", "MODIFIED", "MODIFIED", "DELETED"]
    # Every non-delete event carries the object as stored at that revision.
    for e in s.events[:-1]:
        assert e.obj.meta.resource_version == e.revision


def test_events_after_and_compact() -> None:
    s = Store()
    for name in "abcde":
        s, _ = create(s, make_pod(name))
    assert [e.revision for e in s.events_after(0)] == [1, 2, 3, 4, 5]
    assert [e.revision for e in s.events_after(3)] == [4, 5]
    assert s.events_after(5) == ()
    c = s.compact(3)
    assert [e.revision for e in c.events] == [4, 5]
    assert c.revision == 5 and len(c.objects) == 5
    assert c.compact(3) is c


def test_list_by_kind_in_key_order() -> None:
    s = Store()
    for name in ("c", "a", "b"):
        s, _ = create(s, make_pod(name))
    s, _ = create(s, make_rs())
    assert [p.meta.name for p in s.list("Pod")] == ["a", "b", "c"]
    assert [r.meta.name for r in s.list("ReplicaSet")] == ["web"]


def _scaled(rs: ReplicaSet, n: int) -> ReplicaSet:
    return attrs.evolve(rs, spec=attrs.evolve(rs.spec, replicas=n))


def test_second_delete_without_grace_changes_nothing() -> None:
    """BeforeDelete: a repeated delete with no grace period leaves the pending deletion alone."""
    s, pod = create(Store(), make_pod("a", node="n1", grace=30))
    s, first = ok(s, Request("delete", pod.key), now=0)
    s2, res = s.apply(Request("delete", pod.key), 5, CFG)
    assert res.ok and s2.revision == s.revision and s2.get(pod.key) == first


def test_negative_grace_means_one_second() -> None:
    s, pod = create(Store(), make_pod("a", node="n1", grace=30))
    s, first = ok(s, Request("delete", pod.key, grace=-5), now=7)
    assert first.meta.deletion_grace_period_seconds == 1 and first.meta.deletion_timestamp == 8
