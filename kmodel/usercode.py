"""Loading user controllers and invariants named in a scenario (``"MODULE:NAME"``).

An edge module: it reads files and runs user code; the model stays pure.

``MODULE`` is a Python file, relative to the scenario file's directory (never to the current
directory): ``../operators/dbcleanup.py`` or ``../operators/dbcleanup`` (``.py`` is implied);
without a ``/``, dots separate directories (``operators.dbcleanup`` is
``operators/dbcleanup.py``). The file is imported by path under a private module name that
is removed from ``sys.modules`` again once it ran, so two scenarios may each have a module
called ``operator.py``. A user module may import kmodel, installed packages, and the module
files beside it (``import helpers`` or ``from . import helpers`` for ``helpers.py`` in its
directory; not packages): those are found by the module's own ``__import__``, never through
``sys.path``, loaded the same way, and embedded in a trace beside it.

Traces: the resolved scenario a trace embeds carries each module's source in
``spec.modules`` (``{MODULE: [source lines]}``), as it carries the manifests inline. So a
trace replays anywhere, moved or copied to another machine, and always replays the code it
was found with; to check a fixed controller, replay the trace with ``--current-code``
(``kmodel.replay(trace, current_code=True)``: the modules read from disk again, beside the
scenario file the trace names) or run ``kmodel check`` on the scenario again. Note
that replaying a trace runs the code embedded in it: replay only traces you trust, as you
would run only scripts you trust. A scenario may also give ``spec.modules`` itself; a module
found there is not read from disk.
"""

from __future__ import annotations

import builtins
import hashlib
import posixpath
import sys
import types
from pathlib import Path
from typing import Any

import attrs

from kmodel.errors import InputError
from kmodel.fields import _type_name
from kmodel.k8s.usercontrollers import Controller, UserInvariant, check_controller
from kmodel.yamlio import read_text

Path_ = tuple[str | int, ...]
# (module key, source digest) → the module, and the (key, digest) of each sibling it imported
_LOADED: dict[tuple[str, str], tuple[types.ModuleType, tuple[tuple[str, str], ...]]] = {}


@attrs.define
class ModuleLoader:
    """Resolves references for one scenario; remembers the source of each module it loaded."""

    base_dir: Path | None
    inline: dict[str, str]
    label: str
    sources: dict[str, str] = attrs.Factory(dict)

    def resolve(self, ref: Any, path: Path_, invariant: bool = False) -> Any:
        """The object ``NAME`` of ``MODULE``; for an invariant, ``NAME`` may also be the name
        ``@kmodel.invariant`` gave it (``ReadyDatabaseHasSecret`` for ``ready_database_has_secret``)."""
        if not isinstance(ref, str):
            raise InputError(f"expected 'MODULE:NAME', got {_type_name(ref)}", path=path)
        module_ref, sep, name = ref.rpartition(":")
        if not sep or not module_ref or not name.isidentifier():
            raise InputError(f"expected 'MODULE:NAME' (e.g. 'operators/db.py:MyController'), got {ref!r}", path=path)
        module = self._module(module_ref, path)
        if invariant and not hasattr(module, name):
            for attr in sorted(vars(module)):
                value = getattr(module, attr)
                if isinstance(value, UserInvariant) and value.name == name:
                    return value
        if not hasattr(module, name):
            raise InputError(f"module {module_ref!r} has no {name!r}", path=path)
        return getattr(module, name)

    def _source(self, key: str, path: Path_) -> tuple[str, str] | None:
        """The source of module ``key`` and the file name to compile it under, or None when
        neither ``spec.modules`` nor the scenario's directory holds it."""
        if key in self.inline:
            return self.inline[key], f"{self.label}: spec.modules[{key!r}]"
        if self.base_dir is None:
            return None
        file = self.base_dir / key
        if not file.is_file():
            return None
        try:
            source = read_text(file)  # a regular file of at most yamlio.MAX_BYTES, UTF-8
        except InputError as err:
            raise InputError(f"cannot read module {key!r}: {err}", path=path) from None
        return source, str(file)

    def _module(self, module_ref: str, path: Path_) -> types.ModuleType:
        key = module_key(module_ref)
        found = self._source(key, path)
        if found is None:
            if self.base_dir is None:
                raise InputError(f"module {key!r} is not embedded in spec.modules", path=path)
            raise InputError(f"module {key!r} not found (looked for {self.base_dir / key})", path=path)
        return self._load(key, *found, path, ())

    def _load(self, key: str, source: str, filename: str, path: Path_, importing: tuple[str, ...]) -> types.ModuleType:
        self.sources[key] = source
        # surrogatepass: loaded files never hold a lone surrogate (yamlio refuses them), but a
        # scenario built in Python might; compiling it then fails as an InputError below.
        digest = _digest(source)
        cached = _LOADED.get((key, digest))
        if cached is not None and self._deps_unchanged(cached[1], path):
            return cached[0]
        mod_name = f"kmodel_user_{digest[:16]}"
        module = types.ModuleType(mod_name)
        module.__file__ = filename
        deps: dict[str, str] = {}
        module.__dict__["__builtins__"] = self._builtins(key, path, (*importing, key), deps)
        sys.modules[mod_name] = module  # while it runs only (dataclasses, typing look it up)
        try:
            exec(compile(source, filename, "exec"), module.__dict__)
        except InputError:
            raise  # a sibling module that failed: its own error names it
        except (Exception, SystemExit) as err:
            where = f" (line {err.lineno})" if isinstance(err, SyntaxError) and err.lineno else ""
            raise InputError(
                f"importing module {key!r} failed{where}: {type(err).__name__}: {err}", path=path
            ) from None
        finally:
            sys.modules.pop(mod_name, None)
        _LOADED[(key, digest)] = (module, tuple(sorted(deps.items())))
        return module

    def _deps_unchanged(self, deps: tuple[tuple[str, str], ...], path: Path_) -> bool:
        """Whether every sibling a cached module imported still has the source it had (and,
        so that a trace embeds them, record their sources as if imported again)."""
        for dep, digest in deps:
            found = self._source(dep, path)
            if found is None or _digest(found[0]) != digest:
                return False
            cached = _LOADED.get((dep, digest))
            if cached is None or not self._deps_unchanged(cached[1], path):
                return False
            self.sources[dep] = found[0]
        return True

    def _builtins(self, key: str, path: Path_, importing: tuple[str, ...], deps: dict[str, str]) -> dict[str, Any]:
        """The builtins of a user module: Python's, with an ``__import__`` that finds the
        module's sibling files first (``import helpers`` is ``helpers.py`` beside it, from
        ``spec.modules`` in a trace), loaded like the module itself. Nothing is added to
        ``sys.path`` or left in ``sys.modules``, so another scenario's ``helpers.py`` is its own."""
        real_import = builtins.__import__
        directory = posixpath.dirname(key)

        def user_import(
            name: str,
            globals: Any = None,
            locals: Any = None,
            fromlist: Any = (),
            level: int = 0,
        ) -> Any:
            # ``import a`` / ``from a import x`` / ``from . import a`` / ``from .a import x``
            if (level <= 1 and name.replace(".", "").isidentifier()) or (level == 1 and not name):
                candidates = [name] if name else list(fromlist or ())
                if name and "." in name and not fromlist:
                    candidates = []  # ``import a.b`` binds ``a``: packages are not supported
                loaded = {}
                for cand in candidates:
                    dep = posixpath.normpath(posixpath.join(directory, *cand.split("."))) + ".py"
                    found = self._source(dep, path)
                    if found is None:
                        break
                    if dep in importing:
                        raise InputError(f"module {key!r}: circular import of {dep!r}", path=path)
                    module = self._load(dep, *found, path, importing)
                    deps[dep] = _digest(found[0])
                    loaded[cand] = module
                else:
                    if loaded and name:
                        return loaded[name]
                    if loaded:  # ``from . import a, b``: a namespace holding them
                        return types.SimpleNamespace(**loaded)
            if level:
                raise ImportError(f"{key}: relative import {'.' * level}{name} of a module that is no file beside it")
            return real_import(name, globals, locals, fromlist, level)

        table = dict(vars(builtins))
        table["__import__"] = user_import
        return table

    def controller(self, ref: Any, path: Path_) -> Controller:
        obj = self.resolve(ref, path)
        if isinstance(obj, type) and issubclass(obj, Controller):
            try:
                obj = obj()
            except Exception as err:
                raise InputError(
                    f"{ref}: creating the controller failed: {type(err).__name__}: {err}", path=path
                ) from None
        if not isinstance(obj, Controller):
            raise InputError(f"{ref} is not a kmodel.Controller subclass (got {type(obj).__name__})", path=path)
        problem = check_controller(obj)
        if problem is not None:
            raise InputError(f"{ref}: {problem}", path=path)
        return obj

    def invariant(self, ref: Any, path: Path_) -> UserInvariant:
        obj = self.resolve(ref, path, invariant=True)
        if not isinstance(obj, UserInvariant):
            raise InputError(
                f"{ref} is not a user invariant (decorate a function with @kmodel.invariant(...)), "
                f"got {type(obj).__name__}",
                path=path,
            )
        return obj

    def embedded(self) -> dict[str, list[str]]:
        """``spec.modules`` of the resolved scenario: each module's source as lines, by key."""
        return {k: self.sources[k].splitlines() for k in sorted(self.sources)}


def _digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def module_key(module_ref: str) -> str:
    """The module's file, relative to the scenario directory (``a.b`` → ``a/b.py``)."""
    if "/" not in module_ref and not module_ref.endswith(".py"):
        module_ref = module_ref.replace(".", "/")
    return module_ref if module_ref.endswith(".py") else module_ref + ".py"


def parse_inline_modules(value: Any, path: Path_) -> dict[str, str]:
    """``spec.modules``: ``{MODULE: [lines]}`` (or a single string of source)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"expected a mapping of module file → source lines, got {_type_name(value)}", path=path)
    out = {}
    for key, lines in value.items():
        if isinstance(lines, str):
            out[module_key(str(key))] = lines
        elif isinstance(lines, list) and all(isinstance(x, str) for x in lines):
            out[module_key(str(key))] = "\n".join(lines) + "\n"
        else:
            raise InputError("expected the module's source as a list of lines", path=(*path, str(key)))
    return out
