"""How the drill reaches a Kubernetes staging's Services from this machine: a relay on 127.0.0.1 per Service port.

Each connection to a relay is carried to one ready endpoint of the Service, chosen when the connection opens
(round robin over the Service's EndpointSlices), through the API server's port-forward (the official client's
websocket). Unlike ``kubectl port-forward svc/...``, which sticks to the one pod it found at start, a relay
follows the Service as pods are killed and replaced, as an in-cluster client would; a Service with no ready
endpoint refuses the connection at once (it is closed before a byte is read), as a Service does.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kubernetes import client
from kubernetes.stream import portforward

Log = Callable[[str], None]
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Endpoint:
    pod: str
    port: int


def ready_endpoints(api: client.ApiClient, namespace: str, service: str, port: int) -> list[Endpoint]:
    """The ready endpoints of ``service``'s port ``port`` (the port the Service exposes), as pod and pod port."""
    core = client.CoreV1Api(api)
    target_name: str | None = None
    for entry in core.read_namespaced_service(service, namespace).spec.ports or []:  # type: ignore[union-attr]
        if entry.port == port:
            target_name = entry.name
            break
    else:
        raise LookupError(f"Service {service} in {namespace} has no port {port}")
    slices = client.DiscoveryV1Api(api).list_namespaced_endpoint_slice(
        namespace, label_selector=f"kubernetes.io/service-name={service}"
    )
    found: list[Endpoint] = []
    for item in slices.items:
        pod_port = next(
            (p.port for p in item.ports or [] if p.port is not None and p.name == (target_name or p.name)),
            None,
        )
        if pod_port is None:
            continue
        for endpoint in item.endpoints or []:
            ready = endpoint.conditions is None or endpoint.conditions.ready is not False
            ref = endpoint.target_ref
            if ready and ref is not None and ref.kind == "Pod" and ref.name:
                found.append(Endpoint(ref.name, int(pod_port)))
    return sorted(found, key=lambda endpoint: endpoint.pod)


class ServiceRelay:
    """127.0.0.1:<free port> carried to ``service``'s port ``port`` in ``namespace``; stop() closes everything."""

    def __init__(
        self, configuration: client.Configuration, namespace: str, service: str, port: int, log: Log
    ):
        self._configuration = configuration
        self.namespace = namespace
        self.service = service
        self.port = port
        self._log = log
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.address: tuple[str, int] = ("127.0.0.1", int(self._listener.getsockname()[1]))
        self._turn = itertools.count()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name=f"relay {service}:{port}", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._carry, args=(connection,), daemon=True).start()

    def _carry(self, connection: socket.socket) -> None:
        api = client.ApiClient(self._configuration)
        forward = None
        try:
            endpoints = ready_endpoints(api, self.namespace, self.service, self.port)
            if not endpoints:
                return  # no ready endpoint: refused, as the Service would
            chosen = endpoints[next(self._turn) % len(endpoints)]
            forward = portforward(
                client.CoreV1Api(api).connect_get_namespaced_pod_portforward,
                chosen.pod,
                self.namespace,
                ports=str(chosen.port),
            )
            upstream = forward.socket(chosen.port)
            with self._lock:
                self._open.update({connection, upstream})
            pump = threading.Thread(target=_pump, args=(upstream, connection), daemon=True)
            pump.start()
            _pump(connection, upstream)
            pump.join(timeout=30)
        except Exception as exc:  # any failure ends this connection only, and is said once
            if not self._stopped.is_set():
                self._log(f"relay {self.service}:{self.port}: a connection failed: {exc}")
        finally:
            with contextlib.suppress(OSError):
                connection.close()
            if forward is not None:
                forward.close()
            with self._lock:
                self._open.discard(connection)
            api.close()  # type: ignore[no-untyped-call]

    def stop(self) -> None:
        """Close the listener and every connection it carries (safe twice)."""
        self._stopped.set()
        # shutdown wakes the accept() blocked in the relay's thread; a bare close would leave it listening.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()
            self._open.clear()
        self._thread.join(timeout=5)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source`` to ``sink`` until ``source`` ends; then end ``sink``'s writing side."""
    try:
        while True:
            data = source.recv(CHUNK)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
