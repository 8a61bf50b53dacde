"""The TLS context every client shares: built once, and verifying as httpx's own default does."""

from __future__ import annotations

import ssl

import httpx
import pytest

from drdrill import tls
from drdrill.system.http import HttpSystem


def test_the_context_is_built_once_and_verifies_certificates_and_host_names() -> None:
    ctx = tls.context()
    assert tls.context() is ctx
    assert ctx.verify_mode is ssl.CERT_REQUIRED
    assert ctx.check_hostname is True


def test_the_systems_client_uses_the_shared_context(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []
    real = httpx.HTTPTransport.__init__

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(kwargs.get("verify"))
        real(self, *args, **kwargs)

    monkeypatch.setattr(httpx.HTTPTransport, "__init__", spy)
    system = HttpSystem(None)
    system.open(None)  # type: ignore[arg-type]
    try:
        assert seen == [tls.context()]
    finally:
        system.close()
