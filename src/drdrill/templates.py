"""The plan's URL and body templates filled for a running replica: ``{service:port}`` becomes where the host
reaches that container port (always 127.0.0.1), ``{name}`` a value of the call (``{id}``, ``{payload}``, ...).

Used by the system contract (write, probe, final read, signals) and by the staging replica (readiness), so one
place decides what a template means.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drdrill.plan.system import PLACEHOLDER, SERVICE_PORT
from drdrill.replica import Replica


def render(template: str, replica: Replica, values: Mapping[str, str]) -> str:
    """Fill ``{service:port}`` with where the host reaches it, and ``{name}`` from ``values``."""
    located = SERVICE_PORT.sub(
        lambda m: "{}:{}".format(*replica.address(m["service"], int(m["port"]))), template
    )
    return PLACEHOLDER.sub(lambda m: values[m["name"]], located)


def render_body(body: Any, values: Mapping[str, str]) -> Any:
    """A JSON body template with every string's placeholders filled."""
    if isinstance(body, str):
        return PLACEHOLDER.sub(lambda m: values[m["name"]], body)
    if isinstance(body, list):
        return [render_body(item, values) for item in body]
    if isinstance(body, dict):
        return {key: render_body(value, values) for key, value in body.items()}
    return body
