"""Posting to the servers under test: a small keep-alive HTTP/1.1 client (cheap enough not to be the
bottleneck) and the webhook payloads the dashboard's receiver takes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from common import ROOT  # noqa: F401  (first: it puts the checkout on sys.path)

from tests.support.servers import WEBHOOK_SECRET


def webhook_payload(key: str, *, status: str = "running", fields: tuple[str, ...] = ("status",),
                    resource_type: str = "flowRuns", event: str = "update") -> bytes:
    """A webhookPayload (reference §8.2) for resource `key`: unique, so every one is applied and published."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    document = {"data": {"type": "webhookPayload", "id": str(uuid.uuid4()), "attributes": {
        "webhookId": "5f0c8e2a-91b4-4d3e-a6f7-0b1c2d3e4f50", "event": event, "fields": list(fields),
        "resource": {"id": key, "type": resource_type, "attributes": {
            "flowId": "eb3c92e9-2548-4e4c-95d5-adfb94270c3f", "messageThreadId": "7125853f-26ac-4a65-9044-cab092806249",
            "state": {"name": "Jan"}, "status": status, "cost": 4, "createdAt": now, "updatedAt": now}}}}}
    return json.dumps(document).encode()


WEBHOOK_HEADERS = {"Content-Type": "application/vnd.api+json", "X-Recrubo-Webhook-Secret": WEBHOOK_SECRET}


class HttpClient:
    """One keep-alive HTTP/1.1 connection over asyncio streams; `request` returns (status, body)."""

    def __init__(self, url: str) -> None:
        rest = url.split("://", 1)[1]
        host, _, port = rest.partition(":")
        self.host, self.port = host, int(port.split("/")[0])
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None,
                      timeout: float = 30) -> tuple[int, bytes]:
        """Send one request on the kept-alive connection (opened on first use); return (status, body)."""
        return await asyncio.wait_for(self._request(method, path, body, headers or {}), timeout)

    async def _request(self, method: str, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
        if chunked:
            data = b""
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        else:
            data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return int(status_line.split()[1]), data

    async def close(self) -> None:
        """Drop the connection at once."""
        if self.writer is not None:
            self.writer.transport.abort()  # at once: an unresponsive server never lets a graceful close finish
        self.reader = self.writer = None
