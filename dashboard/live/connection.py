"""One open page's socket, written through one guard; the only module that touches simple-websocket's internals.

The hub writes each frame straight to the socket without waiting; pushes due within a few ms of the last write
are held and sent as one message (`push`, `flush`); a page that reads slowly gets a bounded queue and a writer
thread only then. One guard orders every write: `Connection.guard`, a lock held for a few non-blocking steps,
decides who owns the write side (`writing`: the hub's direct write, a replay, or the writer thread), so two writers
never interleave bytes. simple-websocket's own writes (pongs, close replies, `Base.close`) go through it too: a
`GuardedSocket` in place of `ws.sock` writes them at once when nobody writes, else after the rest of a cut-short
frame and ahead of waiting pushes. (The 101 handshake is written before the Connection exists.) Internals of
simple-websocket (1.1.0) relied on, checked by tests/test_live_connection.py:
- `thread_class`: the `Server` option; `Base.__init__` calls `thread_class(target=self._thread)`, renames it
  (`.name`) and calls `.start()`. `ReaderInHandler` makes that reader loop run in the socket's handler.
- `ws.thread`: that object; the handler calls its `run()` (or `join()`s a real thread). `ws.sock`: the TCP socket,
  which `Base._thread` reads and closes, `Base._handle_events` and `Base.close` write: a `GuardedSocket` instead.
- `ws.pong_received`: set by `Base._handle_events` when a pong arrives; `Connection.ping` clears it.
- `ws.input_buffer`: the list `Base._handle_events` appends messages to; a deque that keeps none instead.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from socket import SHUT_RDWR

from dashboard.live.descriptors import bookkeeping_lock, nonblocking_descriptor
from dashboard.live.frames import PING_FRAME, close_frame, is_close

HELD = 2  # `Connection.push`: held for the hub's next flush
QUEUE_LIMIT = 100  # frames waiting for one socket; beyond it the page is told to reconnect and catch up
TRY_AGAIN_LATER, SERVICE_RESTART, SESSION_ENDED = 1013, 1012, 1008  # 1008: see Hub.end_revoked_sessions
CLOSE_REASONS = {TRY_AGAIN_LATER: "catch up", SERVICE_RESTART: "server restart", SESSION_ENDED: "session ended"}
CLOSE_REPLY_SECONDS = 2.0  # how long a leaving page's close reply may wait behind a frame still being written
SIMPLE_WEBSOCKET_INTERNALS = ("thread_class", "thread", "sock", "pong_received", "input_buffer")  # the docstring's
_write = os.write  # one lookup less per socket per push


class Connection:
    """One open page: it costs one greenlet (its handler, running the reader loop); a slow one slows nobody."""

    __slots__ = ("channels", "ws", "sock", "fd", "guard", "writing", "partial", "control", "frames", "close_code",
                 "closed", "gone", "replayed", "held", "quiet_until")

    def __init__(self, channels: set[str], ws=None, replay: bool = False) -> None:
        self.channels = channels
        self.ws = ws  # the simple-websocket Server; None: frames only queue (nothing to write to)
        self.sock = ws.sock if ws is not None else None  # the real socket, written only by the write side's owner
        self.fd = nonblocking_descriptor(self.sock) if ws is not None else None
        if ws is not None:
            ws.sock, ws.input_buffer = GuardedSocket(self, self.sock), deque(maxlen=0)
        self.guard = bookkeeping_lock()
        # A replay or the writer thread owns the write side. A page that will be sent what it missed queues live
        # frames from the moment it is registered, so none can overtake (or repeat) the replay.
        self.writing = replay
        self.partial = b""  # the rest of a frame cut short by a full socket buffer: goes out first
        self.control = b""  # simple-websocket's pongs and close replies: next, ahead of waiting frames
        self.frames: deque[tuple[int, bytes]] = deque()
        self.close_code: int | None = None  # a close this side decided, sent by the writer when its turn comes
        self.closed = False  # a close frame went out (or is next): nothing else may follow it
        self.gone, self.replayed = False, set()  # replayed: the seqs a replay sent (a later copy is skipped)
        self.held: list[tuple[int, str, bytes]] = []  # pushes due within the window, sent as one by `flush`
        self.quiet_until = 0.0  # a push before this (monotonic) time is held: the page was written to just now

    def offer(self, seq: int, frame: bytes) -> bool:
        """Write or queue one frame without ever waiting; on overflow, drop the queue and close with 1013."""
        return self.push(seq, "", frame, 0.0, 0.0) == 1

    def push(self, seq: int, frame: str, data: bytes, now: float, window: float) -> int:
        """A published frame (`data` encoded): written now, or, with a `window`, held (HELD) for `flush` when this
        page was written to less than `window` ago; 1 when written or queued, 0 when refused."""
        with self.guard:
            if self.close_code is not None or self.closed or self.gone or seq in self.replayed:
                return 0  # replayed: stored before the replay's query, handed to the hub after it (sent already)
            direct = not self.writing and self.fd is not None
            if window and (self.held or (direct and now < self.quiet_until)):
                self.held.append((seq, frame, data))  # behind frames already held: the order stays
                return HELD
            if window and direct:
                self.quiet_until = now + window
            accepted, start = self._offer(seq, data)
        if start:
            self._start_writer()
        return int(accepted)

    def flush(self, now: float, window: float, merge: Callable[[list], tuple[int, bytes]]) -> None:
        """Send the frames held within the window as one message (`merge` makes it from (seq, frame, data))."""
        with self.guard:
            held, self.held = self.held, []
            start = bool(held) and self.close_code is None and not self.closed and not self.gone
            if start:
                self.quiet_until = now + window
                start = self._offer(*merge(held))[1]
        if start:
            self._start_writer()

    def send_control(self, data: bytes) -> None:
        """simple-websocket's own writes (pongs, close replies, `Base.close`), ordered by the same guard."""
        with self.guard:
            if self.closed:  # nothing may follow a close (a second close, say)
                return
            if self.gone:
                raise BrokenPipeError("the page has gone")
            if is_close(data):  # the pushes still waiting will never be read; one close only, this side's first
                if self.close_code is not None:
                    return
                self.closed = True
                self.frames.clear()
            if self.writing or self.fd is None:
                self.control += data
            else:
                rest = self._write_direct(data)
                if rest is None:
                    raise BrokenPipeError("the page has gone")
                self.partial = rest
            start = bool(self.control or self.partial) and self._claim_writer()
        if start:
            self._start_writer()

    def drop(self, code: int) -> None:
        """Close this socket with `code` (1012/1013 make the page reconnect and catch up)."""
        with self.guard:
            start = self.close_code is None and not self.closed and not self.gone
            if start:
                self.close_code = code
                self.frames.clear()
                start = self._claim_writer()
        if start:
            self._start_writer()

    @contextmanager
    def replaying(self) -> Iterator[None]:
        """Send what the page missed (`replay`), then hand on the write side, owned since `replay=True` made it."""
        try:
            yield
        finally:
            with self.guard:
                self.writing = False
                start = (self.frames or self.partial or self.control or self.close_code is not None) \
                    and self._claim_writer()
            if start:
                self._start_writer()

    def replay(self, seq: int | None, frame: bytes) -> bool:
        """Inside `replaying()`, which owns the write side: send one frame the page missed, waiting as needed."""
        try:
            self.sock.sendall(frame)
        except OSError:  # the page went away; its handler's read ends too
            self.gone = True
            return False
        if seq is not None:
            self.replayed.add(seq)
        return True

    def read_until_gone(self) -> None:
        """Run simple-websocket's reader loop (pongs, pings, the close handshake) until the page has gone."""
        try:
            self.ws.thread.run() if isinstance(self.ws.thread, ReaderInHandler) else self.ws.thread.join()
        finally:
            self.gone = True

    def ping(self) -> None:
        """Keep an idle page's connection busy for PaaS routers; end one whose page never answered the last ping."""
        if self.ws is None or self.gone:
            return
        if not self.ws.pong_received:  # gone without a word (a laptop closed, a network cut)
            self.gone = True
            with suppress(OSError):
                self.sock.shutdown(SHUT_RDWR)  # the handler's read ends, and with it the socket
            return
        self.ws.pong_received = False
        self.offer(-1, PING_FRAME)  # queued in order behind any frames: a ping never cuts into one

    def release(self) -> None:
        """The reader loop has ended: give a close reply the writer still sends (behind a frame) a moment to go out."""
        deadline = time.monotonic() + CLOSE_REPLY_SECONDS
        while self.writing and self.closed and not self.gone and time.monotonic() < deadline:
            time.sleep(0.01)
        self.gone = True

    def _offer(self, seq: int, frame: bytes) -> tuple[bool, bool]:
        # With the guard held, the socket open: write or queue; (accepted, a writer must start).
        if not self.writing and self.fd is not None:
            rest = self._write_direct(frame)
            if not rest:
                return rest is not None, False
            self.partial = rest
        elif len(self.frames) < QUEUE_LIMIT:
            self.frames.append((seq, frame))
        else:
            self.frames.clear()  # memory back at once; a cut-short frame (partial) is still finished
            self.close_code = TRY_AGAIN_LATER
            return False, self._claim_writer()
        return True, self._claim_writer()

    def _write_direct(self, data: bytes) -> bytes | None:
        # With the guard held and nobody writing: what the socket takes now; returns the rest (b"" when it took
        # everything), or None when the page has gone (its handler's read ends too).
        try:
            return data[_write(self.fd, data):]
        except BlockingIOError:
            return data
        except OSError:
            self.gone = True
            return None

    def _claim_writer(self) -> bool:
        # With the guard held; True when nobody writes and a writer can run: the caller starts it after releasing
        # the guard (starting a thread may switch greenlets, which the guard must never span).
        claimed = not self.writing and self.ws is not None
        self.writing = self.writing or claimed
        return claimed

    def _start_writer(self) -> None:
        threading.Thread(target=self._write_behind, name="live-writer", daemon=True).start()

    def _write_behind(self) -> None:
        try:
            while True:
                with self.guard:
                    chunk = self._next_chunk()
                    if chunk is None:
                        self.writing = False
                        return
                self.sock.sendall(chunk)
        except Exception:  # the page went away mid-write (a closed socket raises); its handler ends too
            self.gone = True

    def _next_chunk(self) -> bytes | None:
        # With the guard held: the rest of a cut-short frame, then simple-websocket's control frames, then a close
        # this side decided, then waiting frames; None when there is nothing to write.
        if self.gone:
            return None
        if self.partial:
            chunk, self.partial = self.partial, b""
            return chunk
        if self.control:
            chunk, self.control = self.control, b""
            return chunk
        if self.closed:
            return None
        if self.close_code is not None:
            self.closed = True
            return close_frame(self.close_code, CLOSE_REASONS.get(self.close_code, ""))
        while self.frames:
            seq, frame = self.frames.popleft()
            if seq in self.replayed:
                continue
            if self.replayed and seq > max(self.replayed):
                self.replayed.clear()  # past the replay: nothing queued later can repeat it
            return frame
        return None


class GuardedSocket:
    """What simple-websocket sees as `ws.sock`: its writes go through the Connection's guard. Only the calls it
    makes are here (no `__getattr__`): a new one after an upgrade fails loudly instead of writing around the guard."""

    __slots__ = ("connection", "raw")

    def __init__(self, connection: Connection, raw) -> None:
        self.connection, self.raw = connection, raw

    def send(self, data: bytes) -> int:
        """Hand `data` (a pong, a close) to the guard: written whole and in order, or not at all after a close."""
        self.connection.send_control(bytes(data))
        return len(data)

    sendall = send

    def recv(self, size: int) -> bytes:
        """Read from the page (the reader loop)."""
        return self.raw.recv(size)

    def close(self) -> None:
        """The reader loop is done: let a queued close reply go out (briefly), then close the socket."""
        self.connection.release()
        self.raw.close()

    def fileno(self) -> int:
        """The real socket's descriptor (simple-websocket's selector wants it if its own pings are turned on)."""
        return self.raw.fileno()


class ReaderInHandler:
    """simple-websocket's reader loop (pongs, pings, the close handshake), run by the socket's own handler
    instead of a thread of its own: passed to it as its `thread_class`."""

    def __init__(self, target: Callable[[], None]) -> None:
        self.target = target
        self.name = "live-reader"

    def start(self) -> None:
        """Nothing to start: the handler calls `run` once the socket is registered."""

    def run(self) -> None:
        """Read until the page has gone."""
        self.target()
