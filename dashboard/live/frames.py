"""Websocket frames as a server sends them (RFC 6455 §5.2: unfragmented, unmasked), each encoded once per event."""

from __future__ import annotations

import json

PING_FRAME = bytes((0x89, 0))  # an empty ping; browsers answer it with a pong


def text_frame(text: str) -> bytes:
    """One text frame carrying `text`."""
    data = text.encode()
    size = len(data)
    if size < 126:
        return bytes((0x81, size)) + data
    if size < 1 << 16:
        return bytes((0x81, 126)) + size.to_bytes(2, "big") + data
    return bytes((0x81, 127)) + size.to_bytes(8, "big") + data


def close_frame(code: int, reason: str = "") -> bytes:
    """A close frame with `code` and a short reason (§5.5.1)."""
    payload = code.to_bytes(2, "big") + reason.encode()[:123]
    return bytes((0x88, len(payload))) + payload


def is_close(data: bytes) -> bool:
    """True when `data` starts with a close frame."""
    return bool(data) and data[0] & 0x0F == 0x8


def coalesced(frames: list[str]) -> str:
    """Several pushes' JSON bodies (in seq order) as one: their HTML in order, the newest seq (with every seq in
    `seqs`), their announcements joined. hx-ws swaps `content` as one piece of HTML, so its `<hx-partial>`s apply
    in order, as the separate frames would have; the page's catch-up reads `seq`."""
    bodies = [json.loads(frame) for frame in frames]
    merged: dict = {"seq": bodies[-1]["seq"], "seqs": [body["seq"] for body in bodies],
                    "content": "".join(body.get("content", "") for body in bodies)}
    announcements = [body["announce"] for body in bodies if body.get("announce")]
    if announcements:
        merged["announce"] = " ".join(announcements)
    return json.dumps(merged, separators=(",", ":"))
