"""Offline validation of manifests against the OpenAPI schemas of the modelled Kubernetes release.

The schemas are the strict JSON Schema form of upstream's OpenAPI document (``api/openapi-spec``,
converted by openapi2jsonschema: every object has ``additionalProperties: false``, so an unknown
field is an error, as ``kubectl apply --validate=strict`` and the API server's strict field
validation report it), shipped for many releases by the ``kubernetes-validate`` package
(Apache-2.0). kmodel reads only its data files, for ``KUBERNETES_VERSION``, and validates with
``jsonschema``; nothing is fetched.

Cost: the schema set of one release is one 1.5 MB ``_definitions.json``, read once per process
(about 20 ms) together with the ``jsonschema`` import (about 80 ms); a validator is built once
per kind, and validating an object takes about a millisecond.

Errors are kmodel's usual one line: the field path inside the object and what was expected
(``spec.template.spec.containers[0].imagePullPolicyy: unknown field (did you mean
'imagePullPolicy'?)``); the caller adds the file and document.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kmodel.errors import InputError
from kmodel.fields import _type_name
from kmodel.k8s.version import KUBERNETES_VERSION

SCHEMA_SET = f"v{KUBERNETES_VERSION}.0-local-strict"
_MAX_MESSAGE = 160


def schema_dir() -> Path:
    """The directory of ``SCHEMA_SET`` inside the installed ``kubernetes-validate`` package (found
    without importing it: its ``__init__`` imports more than the data needs)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the Kubernetes OpenAPI schemas are missing: install kmodel's dependency kubernetes-validate")
    return Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema" / SCHEMA_SET


@functools.cache
def _definitions() -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """The definitions document and (apiVersion, kind) → definition name of every top-level kind
    (the definitions carrying ``x-kubernetes-group-version-kind``)."""
    path = schema_dir() / "_definitions.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(
            f"cannot read the Kubernetes {KUBERNETES_VERSION} schemas: {err.strerror}", file=str(path)
        ) from None
    index: dict[tuple[str, str], str] = {}
    for name, definition in doc["$defs"].items():
        for gvk in definition.get("x-kubernetes-group-version-kind", ()):
            api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            if name.endswith(gvk["kind"]):  # not the shared DeleteOptions / WatchEvent entries
                index[(api_version, gvk["kind"])] = name
    return doc, index


def is_builtin(api_version: str, kind: str) -> bool:
    """Whether ``KUBERNETES_VERSION`` serves ``kind`` in ``api_version``."""
    return (api_version, kind) in _definitions()[1]


def served_versions(kind: str) -> list[str]:
    """The apiVersions that serve ``kind``, in name order (empty: not a built-in kind)."""
    return sorted(v for v, k in _definitions()[1] if k == kind)


def builtin_kinds() -> list[str]:
    return sorted({k for _, k in _definitions()[1]})


def builtin_gvks() -> list[tuple[str, str]]:
    """Every built-in (apiVersion, kind), in order."""
    return sorted(_definitions()[1])


@functools.cache
def _validator(name: str) -> Any:
    import jsonschema
    from referencing import Registry, Resource

    doc, _ = _definitions()
    registry: Any = Registry().with_resource(doc["$id"], Resource.from_contents(doc))
    return jsonschema.Draft202012Validator({"$ref": f"{doc['$id']}#/$defs/{name}"}, registry=registry)


def jsonable(value: Any) -> Any:
    """``value`` as the API server receives it from YAML: timestamps become RFC 3339 strings
    (``sigs.k8s.io/yaml`` converts YAML to JSON, where a timestamp is a string)."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def validate(doc: Mapping[str, Any], api_version: str, kind: str) -> None:
    """Check ``doc`` against the schema of (``api_version``, ``kind``); the first error (by
    ``jsonschema``'s ``best_match``) as an ``InputError`` with its field path.

    Raises:
        InputError: the object does not match its schema.
    """
    name = _definitions()[1].get((api_version, kind))
    if name is None:
        return
    from jsonschema.exceptions import best_match

    try:
        error = best_match(_validator(name).iter_errors(doc))
    except RecursionError:
        raise InputError(f"nested too deeply to check against the {kind} schema") from None
    if error is None:
        return
    path, message = _describe(error)
    raise InputError(f"{message} (Kubernetes {KUBERNETES_VERSION} API schema of {kind})", path=path)


def _describe(error: Any) -> tuple[tuple[str | int, ...], str]:
    path: tuple[str | int, ...] = tuple(error.absolute_path)
    instance, schema, value = error.instance, error.schema, error.validator_value
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = list(schema.get("properties", {}))
        extra = sorted((str(k) for k in instance if k not in known), key=str)
        if extra:
            close = difflib.get_close_matches(extra[0], known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return (*path, extra[0]), f"unknown field{hint}"
    if error.validator == "required" and isinstance(instance, dict):
        missing = [k for k in value if k not in instance]
        if missing:
            return (*path, missing[0]), "is required"
    if error.validator == "type":
        types = [t for t in ([value] if isinstance(value, str) else value) if t != "null"]
        return path, f"expected {' or '.join(_article(t) for t in types)}, got {_type_name(instance)}"
    if error.validator == "enum":
        options = ", ".join(repr(v) for v in value if v is not None)
        return path, f"expected one of {options}, got {_shorten(repr(instance))}"
    return path, _shorten(error.message)


def validate_custom(doc: Mapping[str, Any], openapi_schema: Any, kind: str) -> None:
    """Check an object of a CRD's kind against that version's ``openAPIV3Schema``, as the API
    server does with strict field validation (``kubectl apply``'s default): types, enums and
    bounds, required fields, and unknown fields are errors unless the schema preserves them
    (``x-kubernetes-preserve-unknown-fields``). ``metadata`` is checked as for every kind (by
    ``parse_meta``), not by the schema; CEL rules (``x-kubernetes-validations``) and formats are not
    checked.

    Raises:
        InputError: the object does not match the schema.
    """
    validator = _custom_validator(json.dumps(openapi_schema, sort_keys=True, default=str))
    try:
        from jsonschema.exceptions import best_match

        error = best_match(validator.iter_errors(doc))
    except RecursionError:
        raise InputError(f"nested too deeply to check against the {kind} schema") from None
    if error is not None:
        path, message = _describe(error)
        raise InputError(f"{message} (schema of {kind}'s CustomResourceDefinition)", path=path)


@functools.cache
def _custom_validator(schema_json: str) -> Any:
    import jsonschema

    root = _structural(json.loads(schema_json))
    root.setdefault("properties", {}).update({"apiVersion": {}, "kind": {}, "metadata": {}})
    return jsonschema.Draft202012Validator(root)


_KEPT = frozenset(
    {
        "type",
        "enum",
        "required",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "multipleOf",
    }
)


def _structural(schema: Any) -> dict[str, Any]:
    """A CRD's structural schema (OpenAPI v3.0 with Kubernetes extensions,
    ``staging/src/k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/types_jsonschema.go``) as
    JSON Schema 2020-12: ``nullable`` adds null to the type, ``x-kubernetes-int-or-string`` is an
    integer or a string, v3.0's boolean ``exclusiveMinimum``/``Maximum`` become bounds, and an object
    with ``properties`` allows no other field unless it preserves unknown fields (an embedded
    resource also allows apiVersion, kind and metadata). Descriptions, defaults and formats go."""
    if not isinstance(schema, dict):
        return {}
    out: dict[str, Any] = {k: v for k, v in schema.items() if k in _KEPT}
    for key in ("properties", "patternProperties"):
        if isinstance(schema.get(key), dict):
            out[key] = {n: _structural(x) for n, x in schema[key].items()}
    for key in ("items", "additionalProperties", "not"):
        if key in schema:
            out[key] = _structural(schema[key]) if isinstance(schema[key], dict) else schema[key]
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            out[key] = [_structural(x) for x in schema[key]]
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if schema.get(exclusive) is True and bound in out:
            out[exclusive] = out.pop(bound)
    if schema.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
    if schema.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in out and "additionalProperties" not in schema and not preserve:
        if schema.get("x-kubernetes-embedded-resource"):
            out["properties"].update({"apiVersion": {}, "kind": {}, "metadata": {}})
        out["additionalProperties"] = False
    return out


_ARTICLES = {"object": "a mapping", "array": "a list", "integer": "an integer"}


def _article(json_type: str) -> str:
    return _ARTICLES.get(json_type, f"a {json_type}")


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."
