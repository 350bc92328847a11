"""Coalescing: the pushes due to one socket within a few ms of its last write go out as one message, in order, with
the newest seq (for catch-up) and every seq they carry; a quiet page gets each push at once."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest
from wsproto.frame_protocol import Opcode

from dashboard.core.htmx import hx_partial
from dashboard.live import hub as hub_module
from dashboard.live.frames import coalesced
from dashboard.live.hub import Hub
from tests.support.sockets import loopback_page, page_reads


def body(seq: int, row: str, announce: str | None = None) -> str:
    """A stored push as the publisher makes it."""
    pushed = {"seq": seq, "content": f'<hx-partial hx-target="#flow-run-{row}">{row}</hx-partial>'}
    return json.dumps({**pushed, "announce": announce} if announce else pushed, separators=(",", ":"))


@pytest.fixture()
def hub(monkeypatch):
    monkeypatch.setattr(Hub, "_start_keeper", lambda self: None)
    return Hub(None, 3600, lambda reached: None)


@pytest.fixture()
def pages(hub):
    """Two pages watching the runs list over real loopback sockets (the server's ends never block)."""
    ends = [loopback_page() for _ in range(2)]
    for ours, page in ends:
        page.settimeout(10)
        hub.connect({"flowRuns"}, SimpleNamespace(sock=ours, pong_received=True))
    yield [page for _, page in ends]
    for ours, page in ends:
        ours.close()
        page.close()


def texts(page, count: int) -> list[dict]:
    messages = page_reads(page, count)
    assert all(opcode == Opcode.TEXT for opcode, _ in messages)
    return [json.loads(text) for _, text in messages]


def test_a_burst_reaches_each_page_as_the_first_push_then_one_message_for_the_rest(hub, pages, monkeypatch):
    merges = []
    monkeypatch.setattr(hub_module, "coalesced", lambda frames: merges.append(frames) or coalesced(frames))
    for seq, row in enumerate(["a", "b", "c", "a"], start=1):
        announce = "Flow run c finished." if row == "c" else None
        assert hub.deliver({"event": f"e{seq}", "pushes": [["flowRuns", seq, body(seq, row, announce)]]}) == 2
    for page in pages:
        first, rest = texts(page, 2)
        assert first == json.loads(body(1, "a"))  # a quiet page is written at once, as before
        assert rest["seq"] == 4 and rest["seqs"] == [2, 3, 4]
        assert rest["content"] == "".join(json.loads(body(seq, row))["content"]
                                          for seq, row in [(2, "b"), (3, "c"), (4, "a")])
        assert rest["announce"] == "Flow run c finished."
    assert len(merges) == 1  # encoded once for both pages


def test_a_page_quiet_for_longer_than_the_window_gets_the_next_push_at_once(hub, pages):
    hub.coalesce_seconds = 0.05
    hub.deliver({"event": "e1", "pushes": [["flowRuns", 1, body(1, "a")]]})
    time.sleep(0.2)  # longer than the window
    hub.deliver({"event": "e2", "pushes": [["flowRuns", 2, body(2, "b")]]})
    assert not hub.held  # written at once, not held for a flush
    for page in pages:
        assert [frame["seq"] for frame in texts(page, 2)] == [1, 2]


def test_without_a_window_every_push_is_its_own_message(hub, pages):
    hub.coalesce_seconds = 0
    for seq in range(1, 6):
        hub.deliver({"event": f"e{seq}", "pushes": [["flowRuns", seq, body(seq, str(seq))]]})
    assert not hub.held
    for page in pages:
        assert [frame["seq"] for frame in texts(page, 5)] == [1, 2, 3, 4, 5]


def test_held_pushes_of_a_socket_that_is_dropped_meanwhile_are_not_sent_after_the_close(hub, pages, monkeypatch):
    monkeypatch.setattr(Hub, "_hold", lambda self, connections: self.held.update(connections))  # flushed by hand
    hub.deliver({"event": "e1", "pushes": [["flowRuns", 1, body(1, "a")]]})
    hub.deliver({"event": "e2", "pushes": [["flowRuns", 2, body(2, "b")]]})
    hub.drop_all(1012)
    assert hub.flush() == 2
    for page in pages:
        (opcode, text), (close, payload) = page_reads(page, 2)
        assert opcode == Opcode.TEXT and json.loads(text)["seq"] == 1
        assert close == Opcode.CLOSE and payload[0] == 1012


def test_a_coalesced_message_keeps_the_order_and_joins_the_announcements():
    [message] = coalesced([body(7, "x", "One."), body(8, "y"), body(9, "x", "Two.")])
    merged = json.loads(message)
    assert merged == {"seq": 9, "seqs": [7, 8, 9], "announce": "One. Two.",
                      "content": "".join(json.loads(body(seq, row))["content"] for seq, row in
                                         [(7, "x"), (8, "y"), (9, "x")])}


def partial(seq: int, target: str, html: str, swap: str = "outerHTML") -> str:
    return json.dumps({"seq": seq, "content": str(hx_partial(target, html, swap))})


def test_a_push_aimed_at_what_an_earlier_one_put_on_the_page_starts_the_next_message():
    """htmx finds all of a message's targets before swapping any: a row's update after its insertion, or a second
    replacement of one row, would land on nothing in the same message."""
    inserted = partial(1, "flow-runs-rows", '<tr id="flow-run-a"><td>new</td></tr>', "afterbegin")
    other = partial(2, "flow-run-b", '<tr id="flow-run-b"><td>b</td></tr>')
    updated = partial(3, "flow-run-a", '<tr id="flow-run-a"><td>running</td></tr>')
    again = partial(4, "flow-run-a", '<tr id="flow-run-a"><td>finished</td></tr>')
    messages = [json.loads(message) for message in coalesced([inserted, other, updated, again])]
    assert [message.get("seqs", [message["seq"]]) for message in messages] == [[1, 2], [3], [4]]
    assert [message["seq"] for message in messages] == [2, 3, 4]
    assert messages[2] == json.loads(again)  # a message of one push is that push, unchanged


def test_pushes_into_one_container_or_into_one_element_share_a_message():
    rows = [partial(seq, "flow-runs-rows", f'<tr id="flow-run-{seq}"></tr>', "afterbegin") for seq in (1, 2)]
    counts = [partial(seq, "run-counts", f"<li>{seq}</li>", "innerHTML") for seq in (3, 4)]
    [message] = coalesced(rows + counts)
    assert json.loads(message)["seqs"] == [1, 2, 3, 4]


def test_pushes_due_are_flushed_by_the_next_delivery_when_the_flusher_has_not_run(hub, pages, monkeypatch):
    def hold_without_a_flusher(self, connections):  # a busy publisher: the flusher never gets a turn
        with self.lock:
            self.held.update(connections)
            self.flush_at = self.flush_at or time.monotonic() + self.coalesce_seconds

    monkeypatch.setattr(Hub, "_hold", hold_without_a_flusher)
    hub.coalesce_seconds = 0.05
    hub.deliver({"event": "e1", "pushes": [["flowRuns", 1, body(1, "a")]]})
    hub.deliver({"event": "e2", "pushes": [["flowRuns", 2, body(2, "b")]]})
    time.sleep(0.1)  # past the held push's due time
    hub.deliver({"event": "e3", "pushes": [["flowRuns", 3, body(3, "c")]]})
    for page in pages:
        assert [frame["seq"] for frame in texts(page, 2)] == [1, 2]  # 2 went out before 3 was handled
    assert len(hub.held) == 2  # 3 is held: the pages were written to just now
