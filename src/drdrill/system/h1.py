"""A small HTTP/1.1 client for the workload's writes: one event loop, keep-alive connections, O(1) per request.

The workload keeps up to :data:`~drdrill.system.contract.MAX_WRITES_IN_FLIGHT` writes waiting on a system at
once. httpx's async pool looks at every pooled connection (and polls each idle one) whenever a request comes or
goes, so its cost per write grows with the writes in flight: exactly when the system is slow, drdrill would
spend its core on its own pool and start writes late. Here idle connections wait on a stack per origin, a
request takes the latest one (or opens one), and h11 speaks the protocol. Only what a write needs: a request
with a body, an answer read whole.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import h11

READ_SIZE = 65536
KEPT_IDLE = 32  # idle connections kept per origin; a burst beyond is closed once answered


class ConnectError(OSError):
    """No connection could be made: nothing reached the system."""


class AnswerTimeoutError(TimeoutError):
    """No whole answer in time: the request may or may not have taken effect."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)

    async def exchange(self, request: h11.Request, body: bytes) -> Answer:
        send = self.h11.send
        self.writer.write(b"".join([send(request), send(h11.Data(data=body)), send(h11.EndOfMessage())]))
        response: h11.Response | None = None
        chunks: list[bytes] = []
        while True:
            event = self.h11.next_event()
            if event is h11.NEED_DATA:
                self.h11.receive_data(await self.reader.read(READ_SIZE))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                assert response is not None
                return Answer(response.status_code, list(response.headers), b"".join(chunks))
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionResetError("the server closed the connection before its answer")

    def reusable(self) -> bool:
        if self.h11.our_state is not h11.DONE or self.h11.their_state is not h11.DONE:
            return False
        self.h11.start_next_cycle()
        return not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


class H1Pool:
    """Keep-alive connections to each origin, used one request at a time each. Use from one event loop."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self.opened = 0  # connections made so far

    async def request(
        self,
        method: str,
        host: str,
        port: int,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
        timeout_s: float,
    ) -> Answer:
        """Send one request and read its whole answer within ``timeout_s``; :class:`ConnectError` when no
        connection could be made, :class:`AnswerTimeoutError` when the answer did not come in time, OSError (or
        h11.ProtocolError) when the connection broke or the answer was not HTTP."""
        origin = (host, port)
        idle = self._idle.setdefault(origin, [])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        connection = None
        while idle and connection is None:
            connection = idle.pop()
            if (
                connection.reader.at_eof() or connection.writer.is_closing()
            ):  # the server closed it while idle
                connection.close()
                connection = None
        try:
            if connection is None:
                connection = await self._connect(host, port, deadline - loop.time())
            request = h11.Request(
                method=method,
                target=target,
                headers=[("Host", f"{host}:{port}"), ("Content-Length", str(len(body))), *headers],
            )
            async with asyncio.timeout(max(0.0, deadline - loop.time())):
                answer = await connection.exchange(request, body)
        except TimeoutError as exc:
            if connection is not None:
                connection.close()
            raise AnswerTimeoutError(f"no whole answer within {timeout_s:g} s") from exc
        except BaseException:
            if connection is not None:
                connection.close()
            raise
        if connection.reusable() and len(idle) < KEPT_IDLE:
            idle.append(connection)
        else:
            connection.close()
        return answer

    async def _connect(self, host: str, port: int, timeout_s: float) -> _Connection:
        try:
            async with asyncio.timeout(max(0.0, timeout_s)):
                reader, writer = await asyncio.open_connection(host, port)
        except (
            TimeoutError
        ) as exc:  # as httpx has it: a connect timeout is a timeout (unknown), not a refusal
            raise AnswerTimeoutError(f"no connection to {host}:{port} within {timeout_s:.3g} s") from exc
        except OSError as exc:
            raise ConnectError(f"{host}:{port}: {exc.strerror or exc}") from exc
        self.opened += 1
        return _Connection(reader, writer)

    async def close(self) -> None:
        """Close every idle connection; safe to call twice."""
        closing = [connection for idle in self._idle.values() for connection in idle]
        for idle in self._idle.values():
            idle.clear()
        for connection in closing:
            connection.close()
        await asyncio.gather(*(c.writer.wait_closed() for c in closing), return_exceptions=True)
