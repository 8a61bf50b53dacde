"""The claims system's public entry point: a TCP forwarder to wherever UPSTREAM says the intake API is.

It stands for the DNS name or virtual IP clients use. It belongs to no zone and no region (as a global DNS
name does not), so clients keep one address through a zone or region loss; where it leads is moved by the
recovery, not by the clients. Each accepted connection is piped both ways to a new connection to UPSTREAM.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal

CHUNK = 64 * 1024


def log(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()


async def forward(host: str, port: int, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
    try:
        up_r, up_w = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=5.0)
    except (OSError, TimeoutError):
        client_w.close()  # the client sees the connection close: a failed request, never a false answer
        return
    await asyncio.gather(pipe(client_r, up_w), pipe(up_r, client_w))


async def main() -> None:
    upstream = os.environ.get("UPSTREAM", "intake:8080")
    host, _, port = upstream.rpartition(":")
    listen = int(os.environ.get("PORT", "8080"))
    server = await asyncio.start_server(lambda r, w: forward(host, int(port), r, w), "0.0.0.0", listen)
    log("listening", port=listen, upstream=upstream)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
