"""User-written controllers and invariants: the public vocabulary and its adapter.

An operator author subclasses ``Controller`` and writes a pure ``reconcile(view)`` that reads
the controller's informer cache (``view.list``/``view.get``/``view.now``) and returns API
requests built with ``create``/``update``/``update_status``/``delete``. kmodel runs it as one
more control-plane ``Component`` (``UserController``), so it gets exactly what the built-in
controllers get: informer lag and coalescing, crashes mid-reconcile (``componentRestart``),
relists from a lagging API server (``staleRelist``), lost requests and responses
(``requestLoss``), clock skew, and conflicts on stale writes.

The shape mirrors a client-go controller (``staging/src/k8s.io/sample-controller/
controller.go``: informers and listers feed a level-triggered ``syncHandler`` that reads only
from the listers' cache and writes through the clientset). Simplifications, and why:

- One reconcile looks at the whole cache (no per-key work queue): kmodel's scheduler already
  chooses when a component runs, so a queue would add steps but no behaviours.
- ``update``/``update_status`` carry the resourceVersion of the object as read, as a client-go
  ``Update`` does (the object's ``metadata.resourceVersion``): a write based on a stale read
  gets 409 Conflict (``staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go:
  GuaranteedUpdate``); ``update(obj, precondition=False)`` sends none (an unconditional update,
  see ``update``). ``delete`` has no precondition unless ``uid=`` is given, as
  ``DeleteOptions.Preconditions`` (``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go:
  Preconditions``, checked by ``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/
  store.go: Delete`` → 409 Conflict on a uid mismatch).
- ``replicas: N`` > 1 runs the controller as N processes that compete for the Lease
  ``kube-system/<name>`` and act only while they believe they lead, like a controller-runtime
  manager with leader election (see ``kmodel.k8s.leaderelection``; at most ``MAX_REPLICAS``).
  With one replica (the default) no election is modelled.

``@invariant`` turns a function of a ``ClusterView`` (the TRUE state: the store, not a cache)
into a property checked like the built-in ones: ``always`` after every step, ``eventually``
after the fair settle phase.

Everything here is pure; loading user modules from files is ``kmodel.usercode``'s job.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.core.model import Property, PropertyKind
from kmodel.k8s.informers import Component, View
from kmodel.k8s.leaderelection import MAX_REPLICAS
from kmodel.k8s.objects import KINDS, GenericObject, ObjectMeta
from kmodel.k8s.store import Request, Result

USER_VERBS = ("create", "update", "update_status", "delete")
NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


class UserCodeError(Exception):
    """A user controller or invariant raised, or returned something kmodel cannot use. The CLI
    prints it as one line (where, what) and exits 2; ``--debug`` shows the traceback."""

    def __init__(self, who: str, hook: str, err: BaseException) -> None:
        here = str(Path(__file__).resolve().parents[1] / "_")[:-1]  # kmodel/ — its frames are not the user's
        frames = [f for f in traceback.extract_tb(err.__traceback__) if not f.filename.startswith(here)]
        at = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        super().__init__(f"{who}: {hook} raised {type(err).__name__}: {err}{at}")


def _guard(who: str, hook: str, fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except UserCodeError:
        raise
    except Exception as err:
        raise UserCodeError(who, hook, err) from err


# -- what a controller sees ------------------------------------------------------------------


class ControllerView:
    """A controller's informer cache at its own clock (read-only).

    ``list(kind)`` gives the cached objects of a watched kind sorted by (namespace, name);
    ``get(kind, namespace, name)`` one of them or None (use namespace "" for Nodes); ``now`` is
    the controller's clock in seconds; ``state`` its memory (see ``Controller.on_result``).
    Objects are frozen: built-in kinds are kmodel's attrs classes (``Pod``, ``ReplicaSet``...),
    other kinds ``GenericObject`` with read-only ``spec``/``status`` mappings.
    """

    __slots__ = ("_view", "state")

    def __init__(self, view: View, state: Any = None) -> None:
        self._view = view
        self.state = state

    @property
    def now(self) -> int:
        return self._view.now

    def list(self, kind: str) -> tuple[Any, ...]:
        return tuple(self._view.list(kind))

    def get(self, kind: str, namespace: str, name: str) -> Any:
        return self._view.get((kind, namespace, name))


class ClusterView:
    """The TRUE cluster state as a user invariant sees it (read-only): the API objects in the
    store. ``list``/``get`` as ``ControllerView``; ``now`` is the true clock; ``node_up(name)``
    says whether a node is running (not crashed)."""

    __slots__ = ("_state",)

    def __init__(self, state: Any) -> None:
        self._state = state

    @property
    def now(self) -> int:
        return int(self._state.clock)

    def list(self, kind: str) -> tuple[Any, ...]:
        return tuple(o for k, o in self._state.store.objects.items() if k[0] == kind)

    def get(self, kind: str, namespace: str, name: str) -> Any:
        return self._state.store.get((kind, namespace, name))

    def node_up(self, name: str) -> bool:
        return bool(self._state.nodes_up.get(name, False))


# -- requests --------------------------------------------------------------------------------


def create(obj: Any) -> Request:
    """POST ``obj`` (a name or ``generateName`` is required); AlreadyExists if the name is taken."""
    return Request("create", obj.key, obj)


def update(obj: Any, precondition: bool = True) -> Request:
    """PUT ``obj`` (everything but ``status``) with its resourceVersion as read: Conflict if the
    object changed since.

    ``precondition=False`` sends it with an empty resourceVersion: an "unconditional update"
    (``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go: Update``,
    ``doUnconditionalUpdate``), which the API server accepts whatever is stored now, so a write
    built from a stale read silently reverts other writers' changes (a lost update). Upstream
    allows it only for kinds whose strategy says ``AllowUnconditionalUpdate()`` (ConfigMap,
    Secret; not custom resources, which get Invalid: see ``kmodel.k8s.store``). An object built
    from scratch (resourceVersion 0) is sent without one too, as client-go would.
    """
    rv = obj.meta.resource_version if precondition else 0
    return Request("update", obj.key, obj, precondition_rv=rv or None)


def update_status(obj: Any, precondition: bool = True) -> Request:
    """PUT ``obj``'s ``status`` (the ``/status`` subresource), with its resourceVersion as read
    (``precondition=False``: without, as ``update``)."""
    rv = obj.meta.resource_version if precondition else 0
    return Request("update_status", obj.key, obj, precondition_rv=rv or None)


def delete(kind: str, namespace: str, name: str, uid: str | None = None) -> Request:
    """DELETE by name. With ``uid`` (``DeleteOptions.preconditions.uid``) it fails with Conflict
    unless the object currently under that name is the one with this uid — the difference
    between deleting "whatever is called db-secret now" and "the db-secret I saw"."""
    return Request("delete", (kind, namespace, name), precondition_uid=uid)


def new_object(
    kind: str,
    name: str,
    *,
    namespace: str = "default",
    api_version: str = "v1",
    spec: Mapping[str, Any] | None = None,
    status: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    generate_name: str = "",
) -> GenericObject:
    """A new object of a kind kmodel does not model (a custom resource, a Secret...), to pass to
    ``create``. Plain dicts and lists are frozen (see ``kmodel.k8s.objects.freeze``)."""
    if kind in KINDS:
        raise TypeError(f"new_object: kmodel models {kind} itself; a user controller cannot create it generically")
    meta = ObjectMeta(
        name=name,
        namespace=namespace,
        generate_name=generate_name,
        labels=FMap(labels or {}),
        annotations=FMap(annotations or {}),
    )
    return GenericObject(api_version, kind, meta, spec or FMap(), status or FMap())


# -- the base class users subclass -----------------------------------------------------------


class Controller:
    """Subclass this to check your own controller. Class attributes:

    - ``name``: the component's name in traces (lowercase letters, digits, '-');
    - ``watches``: the kinds its informers watch (built-in like "Pod", or custom like "Database");
    - ``owns``: kinds kmodel does not model that this controller manages (its custom resources,
      and e.g. "Secret" if it creates them); objects of these kinds may appear in a scenario's
      objects and are stored as ``GenericObject``;
    - ``replicas``: how many replicas run (default 1; at most 3). With more than one they are
      processes ``<name>-1``, ``<name>-2``... that elect a leader through the Lease
      ``kube-system/<name>``; only a replica that believes it leads reconciles. A scenario's
      ``{controller: ..., replicas: N}`` overrides it;
    - ``timeless``: set it to True to declare that neither the controller's memory nor anything
      it writes into an object's ``spec``/``status`` holds a time (``view.now``, or a time read
      from an object) or a resourceVersion. kmodel cannot see inside those values, so by
      default a scenario with a user controller keeps every state exactly as it is (no time
      abstraction): its clock and revisions grow with every step and the explorer can never
      see a state repeat (no cycle, hence no liveness lasso, and no end to a fight). When
      every user controller of a scenario declares ``timeless = True``, ``kmodel explore``
      applies the time abstraction (``kmodel.k8s.abstraction``: clock translated, revisions
      renumbered densely, metadata times handled as for built-in objects), as it does for
      scenarios without user controllers. Your ``@invariant`` functions then see an abstract
      clock (``cluster.now``): compare times with each other or with ``now``, never with a
      fixed number. A wrong declaration makes exploration unsound, not the model.

    Override ``reconcile(view)``: a pure function of the view returning a list of requests
    (``kmodel.create``/``update``/``update_status``/``delete``), sent in order. It must not
    keep state on ``self`` (kmodel may call it again on the same view, and restarts must lose
    memory): memory, if needed, lives in ``view.state``, starts as ``initial_state()`` and is
    changed only by ``on_result``; it is lost when the controller restarts. Memory must be
    hashable and deterministic (ints, strings, tuples, ``frozenset``, ``FMap``, frozen attrs).
    """

    name: str = ""
    watches: tuple[str, ...] = ()
    owns: tuple[str, ...] = ()
    replicas: int = 1
    timeless: bool = False

    def reconcile(self, view: ControllerView) -> Iterable[Request]:
        raise NotImplementedError(f"{type(self).__name__}.reconcile")

    def initial_state(self) -> Any:
        return None

    def on_result(self, state: Any, request: Request, result: Result) -> Any:
        """Called with each request's result (``result.ok``, ``.reason`` such as "Conflict" or
        "NotFound", ``.obj``), in order; returns the new memory. Default: unchanged."""
        return state


@attrs.frozen
class UserController(Component):
    """Runs a user ``Controller`` as a ``Component``. The controller instance is configuration
    (compared by identity); its memory is ``ComponentState.local``."""

    name: str
    impl: Controller = attrs.field(eq=False, repr=False)
    kinds: frozenset[str] = frozenset()
    replicas: int = 1  # > 1: leader-elected replica processes (kmodel.k8s.leaderelection.replicate)

    def watches(self, obj: Any) -> bool:  # type: ignore[override]
        return obj.KIND in self.kinds

    def initial_local(self) -> Any:
        return _guard(f"controller {self.name}", "initial_state()", lambda: _hashable(self.impl.initial_state()))

    def reconcile(self, local: Any, view: View) -> tuple[Any, list[Request]]:
        return local, _guard(f"controller {self.name}", "reconcile()", self._reconcile, local, view)

    def _reconcile(self, local: Any, view: View) -> list[Request]:
        out = self.impl.reconcile(ControllerView(view, local))
        if out is None or isinstance(out, Request):
            raise TypeError(f"it must return a list of requests, got {out!r}")
        reqs = list(out)
        for req in reqs:
            if not isinstance(req, Request) or req.verb not in USER_VERBS:
                raise TypeError(f"it returned {req!r}, not a kmodel.create/update/update_status/delete request")
        return reqs

    def on_result(self, local: Any, req: Request, result: Result, view: View) -> Any:
        new = lambda: _hashable(self.impl.on_result(local, req, result))  # noqa: E731
        return _guard(f"controller {self.name}", "on_result()", new)


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"memory must be hashable (tuples, frozensets, FMap), got {value!r}") from None
    return value


def timeless(component: Component) -> bool:
    """Whether a user controller component declares ``Controller.timeless`` (see there)."""
    return isinstance(component, UserController) and component.impl.timeless is True


def make_controller(impl: Controller, replicas: int = 1) -> UserController:
    """The component for ``impl``; ``impl`` is validated by ``check_controller`` first."""
    return UserController(impl.name, impl, frozenset(impl.watches), replicas)


def check_controller(impl: Any) -> str | None:
    """What is wrong with a user controller's declaration, or None."""
    name = getattr(impl, "name", None)
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        return f"name must be lowercase letters, digits and '-', got {name!r}"
    for attr in ("watches", "owns"):
        value = getattr(impl, attr)
        if not isinstance(value, tuple | list) or not all(isinstance(k, str) and k for k in value):
            return f"{attr} must be a tuple of kind names, got {value!r}"
    if not impl.watches:
        return "watches must name at least one kind"
    replicas = getattr(impl, "replicas", 1)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or not 1 <= replicas <= MAX_REPLICAS:
        return f"replicas must be an integer from 1 to {MAX_REPLICAS}, got {replicas!r}"
    if not isinstance(getattr(impl, "timeless", False), bool):
        return f"timeless must be True or False, got {impl.timeless!r}"
    for kind in impl.owns:
        if kind in KINDS:
            return f"owns {kind!r}, which kmodel models itself (list it in watches only)"
    if not callable(getattr(impl, "reconcile", None)) or type(impl).reconcile is Controller.reconcile:
        return "does not override reconcile(view)"
    return None


# -- invariants ------------------------------------------------------------------------------


@attrs.frozen
class UserInvariant:
    """A user invariant (made by ``@invariant``): call it with a ``ClusterView``."""

    name: str
    kind: PropertyKind
    description: str
    fn: Callable[[ClusterView], str | None] = attrs.field(eq=False, repr=False)

    def __call__(self, cluster: ClusterView) -> str | None:
        return self.fn(cluster)

    def property(self) -> Property[Any]:
        fn, name = self.fn, self.name

        def run(state: Any) -> str | None:
            msg = fn(ClusterView(state))
            if msg is not None and not isinstance(msg, str):
                raise TypeError(f"it must return None or a string, got {msg!r}")
            return msg

        def check(state: Any) -> str | None:
            return _guard(f"invariant {name}", "the check", run, state)  # type: ignore[no-any-return]

        return Property(self.name, self.kind, self.description, check)


def invariant(
    kind: PropertyKind = "always", name: str | None = None, description: str | None = None
) -> Callable[[Callable[[ClusterView], str | None]], UserInvariant]:
    """Decorate ``fn(cluster: ClusterView) -> str | None`` (None: holds; a string: why not).

    ``kind="always"``: checked after every step (safety); ``"eventually"``: checked once the
    cluster has settled (convergence). ``name`` defaults to the function's name in CamelCase
    (``ready_database_has_secret`` → ``ReadyDatabaseHasSecret``); ``description`` to the first
    line of its docstring.
    """
    if kind not in ("always", "eventually"):
        raise ValueError(f"invariant kind must be 'always' or 'eventually', got {kind!r}")

    def wrap(fn: Callable[[ClusterView], str | None]) -> UserInvariant:
        inv_name = name or "".join(part[:1].upper() + part[1:] for part in fn.__name__.split("_") if part)
        doc = (fn.__doc__ or "").strip().splitlines()
        text = description or (doc[0] if doc else f"user invariant {inv_name}")
        return UserInvariant(inv_name, kind, text, fn)

    return wrap


__all__ = [
    "ClusterView",
    "Controller",
    "ControllerView",
    "UserCodeError",
    "UserController",
    "UserInvariant",
    "create",
    "delete",
    "invariant",
    "new_object",
    "update",
    "update_status",
]
