"""The contract between the router and a provider.

A provider owns the operations of one AWS service that must really *do* something. Everything
it does not claim goes to moto unchanged. State lives in the provider's `models.py`; the
functions in `api.py` only translate between request dicts and those models.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

from localcloud.aws import RequestContext

if TYPE_CHECKING:
    from localcloud.server import LocalCloud

Operation = Callable[[dict, RequestContext], Any]
WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class Provider:
    #: botocore service name ("codecommit", "elbv2", ...); JSON target prefix and validation
    #: rules are read from its service model.
    service: str = ""
    #: operations that must not be validated against the model before the handler runs
    #: (AWS answers some missing members with a service-specific exception instead).
    unvalidated: frozenset[str] = frozenset()

    def __init__(self, cloud: "LocalCloud"):
        self.cloud = cloud

    def operations(self) -> dict[str, Operation]:
        """Operation name -> handler(params, ctx) returning the output dict."""
        return {}

    def routes(self) -> list[tuple[str, WSGIApp]]:
        """(path prefix, WSGI app) pairs this provider serves, e.g. ("/v1/repos/", git)."""
        return []

    def host_app(self, host: str) -> WSGIApp | None:
        """A WSGI app for requests addressed by Host header (an ALB's DNS name), or None."""
        return None

    def start(self) -> None:
        """Start background work (pollers, health checkers). Called once, after all providers exist."""

    def quiesce(self) -> None:
        """First step of a reset (`LocalCloud.reset`): take in no new background work and wait,
        for a bound, for what is in flight, so nothing started before the reset runs into the
        state after it. Every provider is quiesced before any is reset."""

    def reset(self) -> None:
        """Forget all state, as moto's /moto-api/reset does for moto."""

    def resume(self) -> None:
        """Last step of a reset, once moto's state is fresh too: take in work again."""

    def stop(self) -> None:
        """Stop background work and kill every process this provider started."""
