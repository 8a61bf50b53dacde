"""The one place drdrill talks to a Toxiproxy server.

toxiproxy-python keeps the API host and port as class-level globals of ``APIConsumer`` and sends requests
without a timeout; it also lacks ``/reset`` with a timeout, toxic updates, ``/version`` as text and
``/populate``. This module points the library at one server at a time under a lock, and calls the missing
endpoints with httpx, always with a timeout, so a hung Toxiproxy API (Shopify/toxiproxy#558) cannot hang a drill.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx
import requests
from toxiproxy import Toxiproxy as _LibToxiproxy
from toxiproxy.api import APIConsumer as _LibAPIConsumer
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from drdrill import tls
from drdrill.errors import FaultError

_LIB_LOCK = threading.Lock()
DEFAULT_TIMEOUT_S = 5.0
T = TypeVar("T")


@dataclass(frozen=True)
class ProxyState:
    """A proxy as the server reports it."""

    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: tuple[str, ...]


class Proxies(Protocol):
    """What faults and recovery actions ask of the run's Toxiproxy (:class:`ToxiproxyClient` is the real one)."""

    def proxies(self) -> dict[str, ProxyState]:
        """Every proxy with its upstream and the names of its toxics."""

    def set_enabled(self, proxy: str, enabled: bool) -> None:
        """Enable or disable a proxy."""

    def add_toxic(
        self, proxy: str, name: str, type_: str, attributes: dict[str, Any], stream: str, toxicity: float
    ) -> None:
        """Add a toxic to a proxy."""

    def remove_toxic(self, proxy: str, name: str) -> bool:
        """Remove a toxic; False when it was already gone."""

    def set_upstream(self, proxy: str, upstream: str) -> None:
        """Point a proxy at another upstream."""

    def version(self) -> str:
        """The server's version."""

    def close(self) -> None:
        """Release the connection."""


ProxiesFactory = Callable[[str, int], Proxies]


class ToxiproxyClient:
    """A Toxiproxy server at ``host:port`` (keep it on loopback: the API has no authentication)."""

    def __init__(self, host: str, port: int, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.host = host
        self.port = port
        self.base_url = f"http://{host}:{port}"
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s, verify=tls.context())

    def close(self) -> None:
        self._http.close()

    @contextmanager
    def _library(self) -> Iterator[_LibToxiproxy]:
        """Point toxiproxy-python's class-level globals at this server for one call."""
        with _LIB_LOCK:
            saved = (_LibAPIConsumer.host, _LibAPIConsumer.port)
            _LibAPIConsumer.host, _LibAPIConsumer.port = self.host, self.port
            try:
                yield _LibToxiproxy()
            finally:
                _LibAPIConsumer.host, _LibAPIConsumer.port = saved

    def _call(self, what: str, action: Callable[[_LibToxiproxy], T]) -> T:
        try:
            with self._library() as lib:
                return action(lib)
        except (NotFound, InvalidToxic, ProxyExists) as exc:
            raise FaultError(f"Toxiproxy at {self.base_url} refused to {what}: {_text(exc)}") from exc
        except requests.RequestException as exc:
            raise FaultError(
                f"Toxiproxy at {self.base_url} did not answer while trying to {what}: {exc}"
            ) from exc

    def _request(self, method: str, url: str, what: str, json: Any = None) -> httpx.Response:
        try:
            response = self._http.request(method, url, json=json)
        except httpx.HTTPError as exc:
            raise FaultError(
                f"Toxiproxy at {self.base_url} did not answer while trying to {what}: {exc}"
            ) from exc
        if response.status_code >= 400:
            raise FaultError(
                f"Toxiproxy at {self.base_url} refused to {what}: HTTP {response.status_code} {response.text}"
            )
        return response

    # Endpoints toxiproxy-python covers.

    def proxies(self) -> dict[str, ProxyState]:
        """Every proxy with the names of its toxics."""
        raw = self._request("GET", "/proxies", "list proxies").json()
        return {
            name: ProxyState(
                name=name,
                listen=str(p.get("listen", "")),
                upstream=str(p.get("upstream", "")),
                enabled=bool(p.get("enabled", False)),
                toxics=tuple(str(t["name"]) for t in p.get("toxics") or []),
            )
            for name, p in raw.items()
        }

    def set_enabled(self, proxy: str, enabled: bool) -> None:
        """Enable or disable a proxy; a disabled proxy closes its listener and drops every connection."""

        def act(lib: _LibToxiproxy) -> None:
            found = lib.get_proxy(proxy)
            if found is None:
                raise NotFound(f"no proxy named {proxy!r}")
            if enabled:
                found.enable()
            else:
                found.disable()

        self._call(f"{'enable' if enabled else 'disable'} proxy {proxy!r}", act)

    def add_toxic(
        self, proxy: str, name: str, type_: str, attributes: dict[str, Any], stream: str, toxicity: float
    ) -> None:
        """Add a toxic to a proxy."""

        def act(lib: _LibToxiproxy) -> None:
            found = lib.get_proxy(proxy)
            if found is None:
                raise NotFound(f"no proxy named {proxy!r}")
            found.add_toxic(name=name, type=type_, stream=stream, toxicity=toxicity, attributes=attributes)

        self._call(f"add toxic {name!r} to proxy {proxy!r}", act)

    def remove_toxic(self, proxy: str, name: str) -> bool:
        """Remove a toxic; False when it was already gone (removing twice is safe)."""
        try:
            response = self._http.delete(f"/proxies/{proxy}/toxics/{name}")
        except httpx.HTTPError as exc:
            raise FaultError(
                f"Toxiproxy at {self.base_url} did not answer while trying to remove toxic {name!r}: {exc}"
            ) from exc
        if response.status_code == 404:
            return False
        if response.status_code >= 400:
            raise FaultError(
                f"Toxiproxy at {self.base_url} refused to remove toxic {name!r}: {response.text}"
            )
        return True

    # Endpoints toxiproxy-python lacks or calls without a timeout.

    def version(self) -> str:
        """The server's version string (older servers answer plain text, 2.12 answers ``{"version": ...}``)."""
        response = self._request("GET", "/version", "read its version")
        try:
            body = response.json()
        except ValueError:
            return response.text.strip().strip('"')
        return str(body.get("version", "")) if isinstance(body, dict) else str(body)

    def reset(self) -> None:
        """Re-enable every proxy and remove every toxic: the bulk undo after a drill."""
        self._request("POST", "/reset", "reset")

    def update_toxic(
        self, proxy: str, name: str, attributes: dict[str, Any], toxicity: float | None = None
    ) -> None:
        """Change a toxic in place (e.g. raise latency in steps)."""
        body: dict[str, Any] = {"attributes": attributes}
        if toxicity is not None:
            body["toxicity"] = toxicity
        self._request("POST", f"/proxies/{proxy}/toxics/{name}", f"update toxic {name!r}", json=body)

    def set_upstream(self, proxy: str, upstream: str) -> None:
        """Point a proxy at another ``host:port``: Toxiproxy closes the connections open through it, and new ones
        reach the new upstream (its toxics stay)."""
        self._request(
            "POST", f"/proxies/{proxy}", f"point proxy {proxy!r} at {upstream}", json={"upstream": upstream}
        )

    def populate(self, proxies: list[dict[str, Any]]) -> None:
        """Create or replace proxies in bulk."""
        self._request("POST", "/populate", "create proxies", json=proxies)


def _text(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else exc
    return arg.decode(errors="replace").strip() if isinstance(arg, bytes) else str(arg)
