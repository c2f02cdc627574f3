"""A fake Slack Socket Mode endpoint: a WebSocket server on 127.0.0.1 (RFC 6455, just what the
slack-sdk client uses: the opening handshake, unfragmented text frames, ping/pong, close) that
greets the client with ``hello``, lets a test push envelopes, and records the client's
acknowledgements. Point ``FakeSlack.socket_url`` at :attr:`url`."""

import base64
import hashlib
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Self

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


@dataclass
class FakeSocketMode:
    acks: list[dict[str, Any]] = field(default_factory=list)
    _server: socket.socket | None = None
    _client: socket.socket | None = None
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _send_lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: bool = False

    def start(self) -> Self:
        self._server = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping = True
        for sock in (self._client, self._server):
            if sock is not None:
                sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"ws://127.0.0.1:{self._server.getsockname()[1]}/link/?ticket=fake"

    # --- what tests use --------------------------------------------------------------------

    def wait_connected(self, timeout: float = 10.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._client is not None, timeout):
                raise AssertionError("the app did not open the Socket Mode connection")

    def send(self, envelope: dict[str, Any]) -> None:
        self._frame(TEXT, json.dumps(envelope).encode())

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((a for a in self.acks if a.get("envelope_id") == envelope_id), None)

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, timeout):
                raise AssertionError(f"no acknowledgement of {envelope_id}: {self.acks}")
            ack = found()
            assert ack is not None
            return ack

    # --- the protocol ----------------------------------------------------------------------

    def _accept(self) -> None:
        assert self._server is not None
        try:
            client, _ = self._server.accept()
        except OSError:
            return
        request = b""
        while b"\r\n\r\n" not in request:
            request += client.recv(4096)
        key = next(
            line.split(":", 1)[1].strip()
            for line in request.decode().split("\r\n")
            if line.lower().startswith("sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        client.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        with self._changed:
            self._client = client
            self._changed.notify_all()
        self.send({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0"}})
        self._read(client)

    def _read(self, client: socket.socket) -> None:
        buffer = b""

        def take(count: int) -> bytes:
            nonlocal buffer
            while len(buffer) < count:
                chunk = client.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                buffer += chunk
            data, buffer = buffer[:count], buffer[count:]
            return data

        try:
            while not self._stopping:
                first, second = take(2)
                opcode, length = first & 0x0F, second & 0x7F
                if length == 126:
                    (length,) = struct.unpack(">H", take(2))
                elif length == 127:
                    (length,) = struct.unpack(">Q", take(8))
                mask = take(4) if second & 0x80 else b"\0\0\0\0"
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(take(length)))
                if opcode == TEXT:
                    with self._changed:
                        self.acks.append(json.loads(payload))
                        self._changed.notify_all()
                elif opcode == PING:
                    self._frame(PONG, payload)
                elif opcode == CLOSE:
                    return
        except (OSError, ConnectionError):
            return

    def _frame(self, opcode: int, payload: bytes) -> None:
        """An unmasked server frame (servers never mask)."""
        header = bytes([0x80 | opcode])
        if len(payload) < 126:
            header += bytes([len(payload)])
        elif len(payload) < 1 << 16:
            header += bytes([126]) + struct.pack(">H", len(payload))
        else:
            header += bytes([127]) + struct.pack(">Q", len(payload))
        with self._send_lock:
            assert self._client is not None
            self._client.sendall(header + payload)


def slash_command_envelope(envelope_id: str, **payload: str) -> dict[str, Any]:
    """A slash command as Socket Mode delivers it."""
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": payload,
        "retry_attempt": 0,
        "retry_reason": "",
        "sent_at": int(time.time()),
    }
