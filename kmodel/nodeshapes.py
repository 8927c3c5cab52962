"""A scenario's ``spec.nodes``: named nodes, or nodes by count and shape.

Three spellings, all giving registered, Ready nodes (``kmodel.manifests.make_node``)::

    nodes:                                  # named nodes, one entry each (the original form)
      - {name: node-1, capacity: {cpu: "4", memory: 4Gi, pods: 110}, labels: {}, taints: []}

    nodes: {count: 3, capacity: {cpu: 4, memory: 16Gi}, zones: [zone-a, zone-b]}   # one group

    nodes:                                  # groups and named nodes, in any mix
      - {count: 2, capacity: {cpu: 4, memory: 16Gi}, zones: [zone-a, zone-b]}
      - {count: 1, namePrefix: big, capacity: {cpu: 16, memory: 64Gi}}
      - {name: edge, capacity: {cpu: 1, memory: 2Gi}}

A group (an entry with ``count``) takes the keys of a named node except ``name``, plus
``count`` (1 to ``MAX_NODES``), ``zones`` and ``namePrefix`` (default ``node``). Its nodes are
named ``<namePrefix>-1``, ``<namePrefix>-2``, … numbered on across every group with that prefix,
in the order written (``node-1`` … ``node-3`` as in the shipped scenarios). ``zones`` are dealt
round-robin in that order as the ``topology.kubernetes.io/zone`` label (node i of a group gets
``zones[i % len(zones)]``), which the scheduler's topology spreading reads. The deprecated
``failure-domain.beta.kubernetes.io/zone`` is not set: it was replaced by the GA label in v1.17
(kubernetes/kubernetes#81431) and is listed as deprecated in the well-known labels reference
(kubernetes.io/docs/reference/labels-annotations-taints/); a scenario that needs it for an old
manifest can still set it in ``labels``. A zone given in ``labels`` as well as ``zones`` is an
error, so a group never says two things about one node.
"""

from __future__ import annotations

import re

from kmodel.errors import InputError, format_path
from kmodel.fields import Fields
from kmodel.k8s.objects import Node
from kmodel.manifests import (
    DNS1123_LABEL_MAX,
    dns1123_subdomain_error,
    label_map,
    label_value_error,
    make_node,
    parse_resources,
    parse_taint,
    shown,
)

MAX_NODES = 20  # kmodel checks small scopes
ZONE_LABEL = "topology.kubernetes.io/zone"
NODE_KEYS = ("name", "capacity", "allocatable", "labels", "taints", "unschedulable")
GROUP_KEYS = ("count", "namePrefix", "zones", *NODE_KEYS[1:])
DEFAULT_PREFIX = "node"


def parse_nodes(spec: Fields) -> list[Node]:
    """``spec.nodes`` in any of its spellings, each error naming its field path (the entry
    that generated a duplicate name, for a name clash)."""
    raw = spec.raw("nodes")
    if raw is None:
        raise spec.error("nodes", "is required")
    path: tuple[str | int, ...] = (*spec.path, "nodes")
    entries = [(path, raw)] if isinstance(raw, dict) else list(spec.list("nodes"))
    nodes: list[Node] = []
    where: dict[str, tuple[str | int, ...]] = {}
    counters: dict[str, int] = {}
    for entry_path, item in entries:
        f = Fields(item, entry_path, what="a node (a mapping with name or count)")
        made = _group(f, counters) if f.has("count") else [_named(f)]
        for node in made:
            name = node.meta.name
            if name in where:
                first = format_path(where[name])
                raise InputError(f"duplicate name {name!r} (also given by {first})", path=entry_path)
            where[name] = entry_path
            nodes.append(node)
        if len(nodes) > MAX_NODES:
            raise InputError(f"at most {MAX_NODES} nodes in all (kmodel checks small scopes)", path=entry_path)
    if not nodes:
        raise spec.error("nodes", "must list at least one node")
    return nodes


def _named(f: Fields) -> Node:
    f.only(NODE_KEYS)
    name = f.str("name")
    problem = dns1123_subdomain_error(name)  # a Node's name, as ValidateObjectMeta checks it
    if problem:
        raise f.error("name", f"{shown(name)} is not a valid name: {problem}")
    return _node(f, name, {})


def _node(f: Fields, name: str, extra_labels: dict[str, str]) -> Node:
    """One node from the shape keys of ``f`` (a named node's or a group's)."""
    capacity = parse_resources(f, "capacity")
    if "cpu" not in capacity or "memory" not in capacity:
        raise f.error("capacity", "must give cpu and memory")
    labels = label_map(f, "labels")
    return make_node(
        name,
        capacity,
        parse_resources(f, "allocatable") if f.has("allocatable") else None,
        {**labels, **extra_labels},
        tuple(parse_taint(Fields(t, p)) for p, t in f.list("taints")),
        f.bool("unschedulable", False),
    )


_PREFIX = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def _group(f: Fields, counters: dict[str, int]) -> list[Node]:
    """``count`` nodes of one shape, named on from ``counters[prefix]``, zones round-robin."""
    f.only(GROUP_KEYS)
    count = f.int("count", minimum=1, maximum=MAX_NODES)
    prefix = f.str("namePrefix", DEFAULT_PREFIX)
    if not _PREFIX.fullmatch(prefix):
        raise f.error("namePrefix", f"{shown(prefix)} must be lowercase letters, digits and '-'")
    if len(prefix) > DNS1123_LABEL_MAX - 3:  # room for "-NN"
        raise f.error("namePrefix", f"must be no more than {DNS1123_LABEL_MAX - 3} characters")
    zones = _zones(f)
    if zones and ZONE_LABEL in f.map("labels").data:
        raise f.error("labels", f"{ZONE_LABEL} is set by zones; give it in one place")
    start = counters.get(prefix, 0)
    counters[prefix] = start + count
    out = []
    for i in range(count):
        extra = {ZONE_LABEL: zones[i % len(zones)]} if zones else {}
        out.append(_node(f, f"{prefix}-{start + i + 1}", extra))
    return out


def _zones(f: Fields) -> list[str]:
    zones = f.str_list("zones")
    if f.has("zones") and not zones:
        raise f.error("zones", "must list at least one zone (or leave zones out)")
    for i, zone in enumerate(zones):
        problem = label_value_error(zone)
        if problem or not zone:
            raise InputError(
                f"{shown(zone)} is not a valid label value: {problem or 'it is empty'}", path=(*f.path, "zones", i)
            )
    return zones
