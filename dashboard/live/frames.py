"""Websocket frames as a server sends them (RFC 6455 §5.2: unfragmented, unmasked), each encoded once per event."""

from __future__ import annotations

import json
import re

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


PARTIAL_TARGET = re.compile(r'<hx-partial hx-target="#([^"]+)"(?: hx-swap="([^"]+)")?')
ELEMENT_ID = re.compile(r'\bid="([^"]+)"')


def coalesced(frames: list[str]) -> list[str]:
    """Several pushes' JSON bodies (in seq order) as few messages: each message their HTML in order, the newest
    seq (with every seq in `seqs`), their announcements joined. hx-ws swaps `content` as one piece of HTML, so its
    `<hx-partial>`s apply in order, as the separate frames would have; the page's catch-up reads `seq`.

    htmx finds every partial's target before it swaps any, so a partial aimed at an element that an earlier one
    in the same message replaced (outerHTML) or put there (a new row, then its update) would land on nothing: such
    a push starts the next message, which the page applies after this one."""
    messages: list[list[tuple[str, dict]]] = []
    touched: set[str] = set()  # the ids the current message replaces or puts on the page
    for frame in frames:
        body = json.loads(frame)
        content = body.get("content", "")
        targets = {target for target, _ in PARTIAL_TARGET.findall(content)}
        if not messages or targets & touched:
            messages.append([])
            touched = set()
        messages[-1].append((frame, body))
        touched |= {target for target, swap in PARTIAL_TARGET.findall(content) if swap == "outerHTML"}
        touched |= set(ELEMENT_ID.findall(content))
    return [group[0][0] if len(group) == 1 else _merged([body for _, body in group]) for group in messages]


def _merged(bodies: list[dict]) -> str:
    merged: dict = {"seq": bodies[-1]["seq"], "seqs": [body["seq"] for body in bodies],
                    "content": "".join(body.get("content", "") for body in bodies)}
    announcements = [body["announce"] for body in bodies if body.get("announce")]
    if announcements:
        merged["announce"] = " ".join(announcements)
    return json.dumps(merged, separators=(",", ":"))
