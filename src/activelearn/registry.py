"""Registries: what users choose by name (datasets, featurizers, learners, stopping criteria).

Each layer keeps its own :class:`Registry` beside what it registers
(``data.datasets``, ``features.registry``, ``learners.registry``,
``stopping``); drivers (the CLI, experiment configs, the server) only look
names up. An entry is a factory whose keyword arguments are the user's
parameters, so checking a config is checking a signature, before anything
runs. Factories may also take *context* the engine supplies (the seed, the
classes, the input shape): those are passed only to factories that ask.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from activelearn.errors import ConfigError


def as_spec(value: str | dict[str, Any] | None) -> dict[str, Any] | None:
    """``"name"`` or ``{"name": ..., "params": {...}}`` (or ``{"name": ..., **params}``)
    as the canonical ``{"name", "params"}`` form every spec and cache key uses."""
    if value is None:
        return None
    if isinstance(value, str):
        return {"name": value, "params": {}}
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise ConfigError(f"expected a name or a table with `name`, got {value!r}")
    params = dict(value.get("params", {}))
    params.update({k: v for k, v in value.items() if k not in ("name", "params", "label")})
    return {"name": value["name"], "params": params}


class Registry:
    """Factories by name for one kind of component (``what``: "dataset", "learner", ...)."""

    def __init__(self, what: str, context: tuple[str, ...] = ()) -> None:
        self.what = what
        self.context = context  # argument names the engine fills in, never the user
        self._factories: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: make ``factory`` available under ``name``."""

        def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._factories and self._factories[name] is not factory:
                raise ValueError(f"two {self.what}s are named {name!r}")
            self._factories[name] = factory
            return factory

        return decorate

    def names(self) -> list[str]:
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def factory(self, name: str) -> Callable[..., Any]:
        if name not in self._factories:
            raise ConfigError(f"unknown {self.what} {name!r}; available: {', '.join(self.names())}")
        return self._factories[name]

    def parameters(self, name: str) -> list[str]:
        """The parameters a user may set for ``name`` (context arguments left out)."""
        signature = inspect.signature(self.factory(name))
        return [p for p in signature.parameters if p not in self.context]

    def check(self, spec: str | dict[str, Any]) -> dict[str, Any]:
        """The canonical spec, or a :class:`ConfigError` naming the accepted parameters."""
        spec = as_spec(spec)
        assert spec is not None
        accepted = self.parameters(spec["name"])
        unknown = sorted(set(spec["params"]) - set(accepted))
        if unknown:
            raise ConfigError(
                f"{self.what} {spec['name']!r} has no parameter {', '.join(map(repr, unknown))}; "
                f"accepted: {', '.join(accepted) or 'none'}"
            )
        signature = inspect.signature(self.factory(spec["name"]))
        missing = [
            name
            for name, p in signature.parameters.items()
            if p.default is inspect.Parameter.empty
            and name not in self.context
            and name not in spec["params"]
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if missing:
            raise ConfigError(f"{self.what} {spec['name']!r} needs {', '.join(missing)}")
        return spec

    def make(self, spec: str | dict[str, Any], **context: Any) -> Any:
        """Build the component; ``context`` goes to factories whose signature names it."""
        spec = self.check(spec)
        factory = self.factory(spec["name"])
        accepted = inspect.signature(factory).parameters
        extra = {k: v for k, v in context.items() if k in accepted and k not in spec["params"]}
        return factory(**spec["params"], **extra)

    def describe(self, name: str) -> str:
        """The first line of the factory's docstring (for ``--help`` and listings)."""
        doc = inspect.getdoc(self.factory(name)) or ""
        return doc.split("\n", 1)[0]
