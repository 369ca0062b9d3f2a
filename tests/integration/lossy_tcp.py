"""A TCP relay in front of a server that can lose the reply to one chosen request, as a broken link would.

Requests pass through untouched. After :meth:`LossyRelay.lose_reply_to` names a marker, the next request
containing it is delivered, and the server's reply to it is swallowed and that client connection cut:
the server did the work, the client never hears about it.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class LossyRelay:
    """Relays connections from ``port`` (chosen on start) to ``127.0.0.1:target_port``."""

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._marker: bytes | None = None
        self._armed: set[int] = set()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.lost = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def lose_reply_to(self, marker: bytes) -> None:
        """Swallow the reply to the next request containing ``marker`` and cut its connection."""
        with self._lock:
            self._marker = marker

    def close(self) -> None:
        """Stop accepting and close every connection."""
        with contextlib.suppress(OSError):
            self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._target))
            self._sockets += [client, upstream]
            threading.Thread(target=self._requests, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._replies, args=(upstream, client), daemon=True).start()

    def _requests(self, client: socket.socket, upstream: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                with self._lock:
                    if self._marker is not None and self._marker in data:
                        self._marker = None
                        self._armed.add(id(upstream))
                upstream.sendall(data)

    def _replies(self, upstream: socket.socket, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := upstream.recv(65536):
                with self._lock:
                    lose = id(upstream) in self._armed
                    self._armed.discard(id(upstream))
                if lose:
                    self.lost += 1
                    client.shutdown(socket.SHUT_RDWR)
                    client.close()
                    upstream.close()
                    return
                client.sendall(data)
