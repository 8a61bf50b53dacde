"""A TCP relay that holds every chunk for a fixed delay, both ways: a slow link between two zones.

    python3 relay.py LISTEN_HOST:PORT UPSTREAM_HOST:PORT DELAY_MS

The claims system's standby puts it on its replication stream when STANDBY_LAG_MS is set, to trail its primary
as a standby does under load. Order is kept: each chunk leaves DELAY_MS after it arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time

CHUNK = 64 * 1024


async def delayed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float) -> None:
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def receive() -> None:
        while data := await reader.read(CHUNK):
            await queue.put((time.monotonic() + delay_s, data))
        await queue.put((time.monotonic() + delay_s, b""))

    async def send() -> None:
        while True:
            due, data = await queue.get()
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if not data:
                break
            writer.write(data)
            await writer.drain()

    try:
        await asyncio.gather(receive(), send())
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()


async def main() -> None:
    listen, upstream, delay_ms = sys.argv[1], sys.argv[2], int(sys.argv[3])
    host, _, port = upstream.rpartition(":")
    delay_s = delay_ms / 1000

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection(host, int(port))
        except OSError:
            client_w.close()
            return
        await asyncio.gather(delayed(client_r, up_w, delay_s), delayed(up_r, client_w, delay_s))

    lhost, _, lport = listen.rpartition(":")
    server = await asyncio.start_server(handle, lhost, int(lport))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
