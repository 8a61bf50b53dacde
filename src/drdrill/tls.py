"""One TLS context for every HTTP client drdrill builds.

httpx builds a TLS context for each client it makes (``ssl.create_default_context`` over certifi's bundle): 20 to
50 ms each on 2 busy cores, and a drill makes half a dozen clients between the replica answering and its warm-up
(the system's, Toxiproxy's, the notification reader's, the readiness poll's, a fault's). They all trust the same
roots, so they share one context, built the first time one is asked for, with httpx's own rules (``SSL_CERT_FILE``
and ``SSL_CERT_DIR`` honoured). An ``SSLContext`` may serve connections in several threads at once.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def context() -> ssl.SSLContext:
    """The process's TLS context for clients, as httpx would build it for ``verify=True``."""
    return httpx.create_ssl_context()
