"""Stored event -> sockets, one direction: publisher -> render (pure) -> hub -> connection; socket.py is /live,
pages.py the `@live_page` that each live view declares its channel with."""
