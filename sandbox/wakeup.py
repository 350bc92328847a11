"""Waking the engine across processes: a UNIX datagram socket beside the database, which the engine listens on.

Whoever commits a new job sends one byte to `<database>-wake`. The sender never blocks and ignores every
error (no engine listening, its queue full): the engine also polls the job table every `engine.IDLE_WAIT`.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
from pathlib import Path

_sender: socket.socket | None = None  # this process's sending socket, made on first use


def address(database: Path) -> str:
    """Where the engine of this database listens."""
    return f"{database}-wake"


def send(database: Path) -> None:
    """Wake the engine of this database, if one listens; never waits and never fails."""
    global _sender
    try:
        if _sender is None:
            _sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            _sender.setblocking(False)  # under gevent too: a full queue raises instead of waiting
        _sender.sendto(b"!", address(database))
    except OSError:
        pass


class Listener:
    """The engine's end of the socket."""

    def __init__(self, database: Path) -> None:
        self.path = address(database)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # left by an engine that was killed; a live one on this database loses its wake-ups
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self.socket.bind(self.path)
        except OSError:
            self.socket.close()
            raise
        self.socket.setblocking(False)
        self.inode = os.stat(self.path).st_ino
        self.poller = select.poll()  # not select(): a busy standalone server may hold descriptors past 1024
        self.poller.register(self.socket, select.POLLIN)

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a wake-up; True when woken, with every pending one consumed (one thread
        at a time)."""
        self.poller.poll(timeout * 1000)
        woken = False
        while True:
            try:
                self.socket.recv(16)
            except (BlockingIOError, InterruptedError):
                return woken
            woken = True

    def close(self) -> None:
        """Stop listening and remove the socket, unless another engine has bound its path since."""
        self.socket.close()
        with contextlib.suppress(OSError):
            if os.stat(self.path).st_ino == self.inode:
                os.unlink(self.path)
