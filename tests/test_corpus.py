"""Real manifests load: every valid object of a corpus of public repositories' YAML.

``tests/data/corpus/`` holds files vendored unchanged from public Apache-2.0 repositories
(``SOURCES.md`` names each file's repository, path and commit). Each file is wrapped in a plain
scenario (3 nodes of 8 cpu / 32Gi / 110 pods, no faults). At least 95% must load; each of the
others must fail as ``EXPECTED_ERRORS`` records, with a one-line input error of a known reason
(an API version the modelled release no longer serves, a schema error). A sample that fits the
cluster is then checked with a small budget and must hold: the inert objects, the node labels a
kubelet sets and the HPA's unevaluated metrics must not make a false violation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import kmodel
from kmodel.errors import InputError
from kmodel.scenario import scenario_from_data
from kmodel.yamlio import load_documents, read_text

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml"))

# file (relative to CORPUS) → the expected error, word for word after the file name; every
# other file loads.
EXPECTED_ERRORS = {
    # a kustomize base: the selector comes from its kustomization's commonLabels
    "metrics-server/manifests/base/deployment.yaml": "spec.objects[0].spec.selector: is required",
    "kubernetes-examples/_archived/cockroachdb/cockroachdb-statefulset.yaml": (
        "spec.objects[2].apiVersion: policy/v1beta1 PodDisruptionBudget was removed in Kubernetes 1.25; "
        "use policy/v1 (kmodel models 1.34)"
    ),
    "kubernetes-examples/_archived/newrelic-infrastructure/newrelic-infra-daemonset.yaml": (
        "spec.objects[0].apiVersion: extensions/v1beta1 DaemonSet was removed in Kubernetes 1.16; "
        "use apps/v1 (kmodel models 1.34)"
    ),
    # a typo upstream: the field is protectionDomain
    "kubernetes-examples/_archived/volumes/scaleio/pod.yaml": (
        "spec.objects[0].spec.volumes[0].scaleIO.protectionDoamin: unknown field (did you mean "
        "'protectionDomain'?) (Kubernetes 1.34 API schema of Pod)"
    ),
}

# Samples that fit three 8-cpu nodes, checked with a small budget: they must hold.
CHECKED = [
    "example-voting-app/k8s-specifications/vote-deployment.yaml",
    "kubernetes-examples/web/guestbook/frontend-deployment.yaml",
    "dashboard/aio/deploy/recommended.yaml",  # selects beta.kubernetes.io/os: linux; RBAC, Secrets, ...
    "podinfo/kustomize/hpa.yaml",  # with its Deployment and Service below
    "kubernetes-examples/web/guestbook-go/guestbook-controller.yaml",  # a v1 ReplicationController
]
WITH = {"podinfo/kustomize/hpa.yaml": ["podinfo/kustomize/deployment.yaml", "podinfo/kustomize/service.yaml"]}


def wrap(docs: list[Any], name: str = "corpus") -> dict[str, Any]:
    node = {"capacity": {"cpu": "8", "memory": "32Gi", "pods": 110}}
    return {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": name},
        "spec": {"nodes": [{"name": f"node-{i}", **node} for i in (1, 2, 3)], "objects": docs},
    }


def docs_of(rel: str) -> list[Any]:
    path = CORPUS / rel
    return load_documents(read_text(path, rel), rel)


def outcome(rel: str) -> str:
    try:
        scenario_from_data(wrap(docs_of(rel)), rel)
    except InputError as err:
        return str(err)
    return "ok"


def test_corpus_is_large_enough_and_sourced() -> None:
    sources = (CORPUS / "SOURCES.md").read_text()
    rels = [p.relative_to(CORPUS).as_posix() for p in FILES]
    assert len(rels) >= 60
    for rel in rels:
        assert f"| `{rel}` |" in sources, f"{rel} is not in SOURCES.md"
    assert set(EXPECTED_ERRORS) <= set(rels)


def test_at_least_95_percent_load_and_the_rest_fail_as_recorded() -> None:
    rels = [p.relative_to(CORPUS).as_posix() for p in FILES]
    got = {rel: outcome(rel) for rel in rels}
    failed = {rel: msg for rel, msg in got.items() if msg != "ok"}
    assert failed == {rel: f"{rel}: {msg}" for rel, msg in EXPECTED_ERRORS.items()}
    assert len(failed) <= 0.05 * len(rels)
    for msg in failed.values():
        assert "\n" not in msg


@pytest.mark.parametrize("rel", CHECKED)
def test_a_sample_holds(rel: str) -> None:
    docs = [d for r in [rel, *WITH.get(rel, [])] for d in docs_of(r)]
    sc = scenario_from_data(wrap(docs, "sample"), rel)
    result = kmodel.check(sc, seed=0, examples=5, steps=10)
    assert result.held, result.trace.violation.message if result.trace else ""
