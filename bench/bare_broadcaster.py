"""The practical limit: a bare asyncio `websockets` broadcaster (`python bench/bare_broadcaster.py PORT HTTP_PORT`).

Websocket clients connect to ws://127.0.0.1:PORT/ws; `POST /publish` on HTTP_PORT (a few lines of
asyncio reading HTTP/1.1 keep-alive requests) sends its body to every open socket with
`websockets.broadcast`: what fanning out costs with no framework, no session, no database. Like the dashboard,
it declines the browser's permessage-deflate offer (compression=None), so memory and CPU per socket compare
like for like.
"""

from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import broadcast, serve

CLIENTS: set = set()


async def handler(ws) -> None:
    """Keep a socket open (its frames come from the broadcast) until the client leaves."""
    CLIENTS.add(ws)
    try:
        await ws.wait_closed()
    finally:
        CLIENTS.discard(ws)


async def publish(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A keep-alive HTTP/1.1 endpoint: every POST's body is broadcast, then answered 200."""
    try:
        while True:
            request = await reader.readline()
            if not request:
                return
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            if request.startswith(b"POST"):  # a GET is the start-up probe
                broadcast(CLIENTS, body.decode())
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main(port: int, http_port: int) -> None:
    """Serve the websockets on `port` and the publishing endpoint on `http_port` until killed."""
    async with serve(handler, "127.0.0.1", port, compression=None, ping_interval=25, max_size=4096):
        server = await asyncio.start_server(publish, "127.0.0.1", http_port)
        async with server:
            print(f"bare broadcaster: ws://127.0.0.1:{port}/ws, POST http://127.0.0.1:{http_port}/publish",
                  flush=True)
            await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
