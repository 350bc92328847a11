"""One open page's socket: frames written without waiting, a bounded queue and a writer only when it reads slowly."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from socket import SHUT_RDWR

QUEUE_LIMIT = 100  # frames waiting for one socket; beyond it the page is told to reconnect and catch up
TRY_AGAIN_LATER, SERVICE_RESTART = 1013, 1012
PING_FRAME = bytes((0x89, 0))  # an empty ping; browsers answer it with a pong
_write = os.write  # one lookup less per socket per push


def text_frame(text: str) -> bytes:
    """One unfragmented, unmasked websocket text frame (RFC 6455 §5.2), as a server sends it."""
    data = text.encode()
    size = len(data)
    if size < 126:
        return bytes((0x81, size)) + data
    if size < 1 << 16:
        return bytes((0x81, 126)) + size.to_bytes(2, "big") + data
    return bytes((0x81, 127)) + size.to_bytes(8, "big") + data


class Connection:
    """One open page. The hub writes each frame straight to its socket without waiting; when the page reads
    slowly, the rest waits in a bounded queue that a writer thread, started only then, sends. So an open page
    costs one greenlet (its handler, which reads), and a slow page never slows anyone else."""

    def __init__(self, channels: set[str], ws=None, replay: bool = False) -> None:
        self.channels = channels
        self.ws = ws  # the simple-websocket Server; None: frames only queue (nothing to write to)
        self.fd = _nonblocking_descriptor(ws.sock) if ws is not None else None
        self.guard = _bookkeeping_lock()
        # A replay or the writer thread owns the socket's write side. A page that will be sent what it missed
        # queues live frames from the moment it is registered, so none can overtake (or repeat) the replay.
        self.writing = replay
        self.partial = b""  # the rest of a frame cut short by a full socket buffer: goes out first
        self.frames: deque[tuple[int, bytes]] = deque()
        self.close_code: int | None = None
        self.gone = False
        self.replayed: set[int] = set()

    def offer(self, seq: int, frame: bytes) -> bool:
        """Write or queue one frame without ever waiting; on overflow, drop the queue and close with 1013."""
        with self.guard:
            if self.close_code is not None or self.gone:
                return False
            if self.writing or self.fd is None:
                if len(self.frames) >= QUEUE_LIMIT:
                    self.frames.clear()  # memory back at once; a cut-short frame (partial) is still finished
                    start = self._close_with(TRY_AGAIN_LATER)
                    accepted = False
                else:
                    self.frames.append((seq, frame))
                    start = self._claim_writer()
                    accepted = True
            else:
                try:
                    written = _write(self.fd, frame)
                except BlockingIOError:
                    written = 0
                except OSError:  # the page went away; its handler's read ends too
                    self.gone = True
                    return False
                if written == len(frame):
                    return True
                if written:
                    self.partial = frame[written:]
                else:
                    self.frames.append((seq, frame))
                start = self._claim_writer()
                accepted = True
        if start:
            self._start_writer()
        return accepted

    def drop(self, code: int) -> None:
        """Close this socket with `code` (1012/1013 make the page reconnect and catch up)."""
        with self.guard:
            start = self.close_code is None and not self.gone and self._close_with(code)
        if start:
            self._start_writer()

    @contextmanager
    def replaying(self) -> Iterator[None]:
        """Send what the page missed, then hand the write side on. The connection was made with `replay=True`,
        so live frames have queued behind the replay since it was registered."""
        try:
            yield
        finally:
            with self.guard:
                self.writing = False
                start = (self.frames or self.partial or self.close_code is not None) and self._claim_writer()
            if start:
                self._start_writer()

    def ping(self) -> None:
        """Keep an idle page's connection busy for PaaS routers; end one whose page never answered the last ping."""
        if self.ws is None or self.gone:
            return
        if not self.ws.pong_received:  # gone without a word (a laptop closed, a network cut)
            self.gone = True
            try:
                self.ws.sock.shutdown(SHUT_RDWR)  # the handler's read ends, and with it the socket
            except OSError:
                pass
            return
        self.ws.pong_received = False
        self.offer(-1, PING_FRAME)  # queued in order behind any frames: a ping never cuts into one

    def _close_with(self, code: int) -> bool:
        # With the guard held; True when the caller must start the writer (which sends the close).
        self.close_code = code
        self.frames.clear()
        return self._claim_writer()

    def _claim_writer(self) -> bool:
        # With the guard held; True when nobody writes and a writer can run: the caller starts it after
        # releasing the guard (starting a thread may switch greenlets, which the guard must never span).
        if self.writing or self.ws is None:
            return False
        self.writing = True
        return True

    def _start_writer(self) -> None:
        threading.Thread(target=self._write_behind, name="live-writer", daemon=True).start()

    def _write_behind(self) -> None:
        try:
            while True:
                with self.guard:
                    chunk, code = self._next_chunk()
                    if chunk is None and code is None:
                        self.writing = False
                        return
                if chunk is not None:
                    self.ws.sock.sendall(chunk)
                    continue
                self.ws.close(code, "catch up" if code == TRY_AGAIN_LATER else "server restart")
                return  # `writing` stays set: nothing is written after the close
        except Exception:  # the page went away mid-write (a closed socket raises); its handler ends too
            self.gone = True

    def _next_chunk(self) -> tuple[bytes | None, int | None]:
        if self.gone:
            return None, None
        if self.partial:
            chunk, self.partial = self.partial, b""
            return chunk, None
        if self.close_code is not None:
            return None, self.close_code
        while self.frames:
            seq, frame = self.frames.popleft()
            if seq in self.replayed:
                continue
            if self.replayed and seq > max(self.replayed):
                self.replayed.clear()  # past the replay: nothing queued later can repeat it
            return frame, None
        return None, None


def _bookkeeping_lock():
    # Held only across a few non-blocking steps (never a wait, never a greenlet switch), so under gevent the
    # real OS lock is safe, and much cheaper than gevent's on the path every push takes to every socket.
    try:
        from gevent.monkey import get_original
    except ImportError:  # pragma: no cover - gevent is a dependency; without it threading.Lock is the real one
        return threading.Lock()
    return get_original("_thread", "allocate_lock")()


def _nonblocking_descriptor(sock) -> int | None:
    # Under gevent every socket's descriptor is non-blocking, so the hub may write without waiting. A blocking
    # one (a threaded development server) would stall the hub on a slow page: its frames always queue.
    try:
        fd = sock.fileno()
        return None if os.get_blocking(fd) else fd
    except (AttributeError, OSError, ValueError):
        return None


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
