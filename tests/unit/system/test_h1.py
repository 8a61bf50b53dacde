"""drdrill's own HTTP/1.1 pool for the workload's writes, against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest

from drdrill.system.h1 import AnswerTimeoutError, ConnectError, H1Pool

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class _Server:
    """A server on 127.0.0.1 that closes every connection it accepted when it closes."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.writers: list[asyncio.StreamWriter] = []

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        try:
            await self.handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    def close(self) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()


async def _serve(handler: Handler) -> tuple[_Server, int]:
    server = _Server(handler)
    return server, await server.start()


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    return await reader.readexactly(length)


def answering(*answers: bytes, then_close: bool = False) -> Handler:
    """A server that answers each request on a connection with the next of ``answers`` (the last repeats)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        n = 0
        while True:
            await _read_request(reader)
            writer.write(answers[min(n, len(answers) - 1)])
            await writer.drain()
            n += 1
            if then_close:
                return

    return handler


OK = b'HTTP/1.1 201 Created\r\nContent-Length: 11\r\nContent-Type: application/json\r\n\r\n{"id": "a"}'


def run(coro: Awaitable[object]) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_requests_one_after_another_share_one_keepalive_connection() -> None:
    async def go() -> tuple[list[int], int, bytes]:
        server, port = await _serve(answering(OK))
        pool = H1Pool()
        answers = [await pool.request("POST", "127.0.0.1", port, "/claims", [], b"{}", 2.0) for _ in range(5)]
        await pool.close()
        server.close()
        return [a.status for a in answers], pool.opened, answers[0].body

    assert run(go()) == ([201] * 5, 1, b'{"id": "a"}')


def test_requests_at_once_each_get_a_connection_and_the_idle_ones_are_reused() -> None:
    async def go() -> tuple[int, int]:
        async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                await _read_request(reader)
                await asyncio.sleep(0.05)
                writer.write(OK)

        server, port = await _serve(slow)
        pool = H1Pool()
        for _ in range(2):
            await asyncio.gather(
                *[pool.request("POST", "127.0.0.1", port, "/", [], b"", 2.0) for _ in range(10)]
            )
        opened = pool.opened
        await pool.close()
        server.close()
        return opened, 10

    assert run(go()) == (10, 10)  # the second burst found every connection of the first idle


def test_a_chunked_answer_is_read_whole() -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"

    async def go() -> bytes:
        server, port = await _serve(answering(chunked))
        pool = H1Pool()
        answer = await pool.request("POST", "127.0.0.1", port, "/", [], b"x", 2.0)
        await pool.close()
        server.close()
        return answer.body

    assert run(go()) == b"abcde"


def test_a_server_that_closes_after_answering_gets_a_new_connection_next_time() -> None:
    closing = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

    async def go() -> int:
        server, port = await _serve(answering(closing, then_close=True))
        pool = H1Pool()
        for _ in range(3):
            await pool.request("POST", "127.0.0.1", port, "/", [], b"", 2.0)
        await pool.close()
        server.close()
        return pool.opened

    assert run(go()) == 3


def test_an_idle_connection_the_server_closed_is_dropped_not_used() -> None:
    async def go() -> tuple[int, int]:
        server, port = await _serve(answering(OK, then_close=True))  # closes without saying so
        pool = H1Pool()
        await pool.request("POST", "127.0.0.1", port, "/", [], b"", 2.0)
        await asyncio.sleep(0.1)  # the close reaches the pool's idle connection
        answer = await pool.request("POST", "127.0.0.1", port, "/", [], b"", 2.0)
        await pool.close()
        server.close()
        return answer.status, pool.opened

    assert run(go()) == (201, 2)


def test_nothing_listening_is_a_connect_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(
        ConnectError, match=rf"127.0.0.1:{port}: Connect call failed|127.0.0.1:{port}: .*refused"
    ):
        run(H1Pool().request("POST", "127.0.0.1", port, "/", [], b"", 2.0))


def test_an_answer_that_does_not_come_in_time_is_a_timeout() -> None:
    async def go() -> None:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(5)

        server, port = await _serve(silent)
        try:
            await H1Pool().request("POST", "127.0.0.1", port, "/", [], b"", 0.2)
        finally:
            server.close()
            await asyncio.sleep(0)

    with pytest.raises(AnswerTimeoutError, match=r"no whole answer within 0.2 s"):
        run(go())
