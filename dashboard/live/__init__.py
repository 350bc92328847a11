"""Stored event -> sockets, one direction: publisher -> render (pure) -> hub -> connection; socket.py is /live."""
