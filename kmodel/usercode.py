"""Loading user controllers and invariants named in a scenario (``"MODULE:NAME"``).

An edge module: it reads files and runs user code; the model stays pure.

``MODULE`` is a Python file, relative to the scenario file's directory (never to the current
directory): ``../operators/dbcleanup.py`` or ``../operators/dbcleanup`` (``.py`` is implied);
without a ``/``, dots separate directories (``operators.dbcleanup`` is
``operators/dbcleanup.py``). The file is imported by path under a private module name that
is removed from ``sys.modules`` again once it ran, so two scenarios may each have a module
called ``operator.py``. A user module may import kmodel and installed packages, not its
sibling files (they are not on ``sys.path``).

Traces: the resolved scenario a trace embeds carries each module's source in
``spec.modules`` (``{MODULE: [source lines]}``), as it carries the manifests inline. So a
trace replays anywhere, moved or copied to another machine, and always replays the code it
was found with; to check a fixed controller, run ``kmodel check`` on the scenario again. Note
that replaying a trace runs the code embedded in it: replay only traces you trust, as you
would run only scripts you trust. A scenario may also give ``spec.modules`` itself; a module
found there is not read from disk.
"""

from __future__ import annotations

import hashlib
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
_LOADED: dict[tuple[str, str], types.ModuleType] = {}  # (module key, source digest) → module


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

    def _module(self, module_ref: str, path: Path_) -> types.ModuleType:
        key = module_key(module_ref)
        if key in self.inline:
            source, filename = self.inline[key], f"{self.label}: spec.modules[{key!r}]"
        elif self.base_dir is None:
            raise InputError(f"module {key!r} is not embedded in spec.modules", path=path)
        else:
            file = self.base_dir / key
            if not file.is_file():
                raise InputError(f"module {key!r} not found (looked for {file})", path=path)
            try:
                source = read_text(file)  # a regular file of at most yamlio.MAX_BYTES, UTF-8
            except InputError as err:
                raise InputError(f"cannot read module {key!r}: {err}", path=path) from None
            filename = str(file)
        self.sources[key] = source
        # surrogatepass: loaded files never hold a lone surrogate (yamlio refuses them), but a
        # scenario built in Python might; compiling it then fails as an InputError below.
        digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
        cached = _LOADED.get((key, digest))
        if cached is not None:
            return cached
        mod_name = f"kmodel_user_{digest[:16]}"
        module = types.ModuleType(mod_name)
        module.__file__ = filename
        sys.modules[mod_name] = module  # while it runs only (dataclasses, typing look it up)
        try:
            exec(compile(source, filename, "exec"), module.__dict__)
        except (Exception, SystemExit) as err:
            where = f" (line {err.lineno})" if isinstance(err, SyntaxError) and err.lineno else ""
            raise InputError(
                f"importing module {key!r} failed{where}: {type(err).__name__}: {err}", path=path
            ) from None
        finally:
            sys.modules.pop(mod_name, None)
        _LOADED[(key, digest)] = module
        return module

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
