"""The gRPC front's wire behaviour (server/grpc_front/proxy.h), seen by an
independent HTTP/2 client (python3-h2, Debian's) speaking raw gRPC framing
to the real tokend over h2c: what a well-behaved gRPC library never sends,
and the exact status each gets.

  grpc_front_test.py HOST:PORT LOG
LOG is tokend's request log (stderr), to see a reset stream cancel its call.
"""

import json
import socket
import struct
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions

HEALTH = "/grpc.health.v1.Health/Check"
WATCH = "/grpc.health.v1.Health/Watch"


def framed(payload, compressed=0):
    return struct.pack(">BI", compressed, len(payload)) + payload


class Client:
    def __init__(self, addr, proxy_header=b""):
        self.sock = socket.create_connection(addr, timeout=10)
        self.sock.sendall(proxy_header)
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.flush()
        self.resets = {}  # stream -> error code, seen outside response()

    def flush(self):
        self.sock.sendall(self.conn.data_to_send())

    def request(self, path, body=b"", method="POST",
                content_type="application/grpc", extra=(), end=True):
        sid = self.conn.get_next_available_stream_id()
        headers = [(":method", method), (":scheme", "http"), (":path", path),
                   (":authority", "tokend"), ("te", "trailers")]
        if content_type:
            headers.append(("content-type", content_type))
        headers += list(extra)
        self.conn.send_headers(sid, headers, end_stream=not body and end)
        if body:
            self.conn.send_data(sid, body, end_stream=end)
        self.flush()
        return sid

    def response(self, sid, until=None):
        """Headers, data and trailers of stream `sid` once it ends (or once
        `until(result)` holds)."""
        result = {"headers": None, "data": b"", "trailers": None, "reset": None}
        if sid in self.resets:
            result["reset"] = self.resets[sid]
            return result
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for event in self.conn.receive_data(self.sock.recv(65536)):
                if isinstance(event, h2.events.StreamReset):
                    self.resets[event.stream_id] = event.error_code
                if getattr(event, "stream_id", None) != sid:
                    continue
                if isinstance(event, h2.events.ResponseReceived):
                    result["headers"] = dict(event.headers)
                elif isinstance(event, h2.events.TrailersReceived):
                    result["trailers"] = dict(event.headers)
                elif isinstance(event, h2.events.DataReceived):
                    result["data"] += event.data
                    self.conn.acknowledge_received_data(
                        event.flow_controlled_length, sid)
                elif isinstance(event, h2.events.StreamReset):
                    result["reset"] = event.error_code
                    return result
                elif isinstance(event, h2.events.StreamEnded):
                    return result
            self.flush()
            if until and until(result):
                return result
        raise AssertionError("stream %d did not end: %r" % (sid, result))


def status_of(result):
    """grpc-status and grpc-message, from trailers or a trailers-only reply."""
    fields = result["trailers"] or result["headers"] or {}
    return fields.get("grpc-status"), fields.get("grpc-message")


def check(what, got, want):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))
    print("ok:", what)


def send_respecting_windows(c, sid, data):
    """Sends `data` on stream `sid` (no END_STREAM) as flow control allows,
    reading the server's WINDOW_UPDATEs (and resets) meanwhile."""
    while data:
        window = min(c.conn.local_flow_control_window(sid),
                     c.conn.max_outbound_frame_size)
        if window == 0:
            c.sock.settimeout(10)
            for event in c.conn.receive_data(c.sock.recv(65536)):
                if isinstance(event, h2.events.StreamReset):
                    c.resets[event.stream_id] = event.error_code
            c.flush()
            if sid in c.resets:
                return
            continue
        c.conn.send_data(sid, data[:window])
        c.flush()
        data = data[window:]


def held_request_bytes_limit(c):
    """Partial messages pinned on many streams: past 1 MiB held on one
    connection, the stream that goes over is reset ENHANCE_YOUR_CALM (11)."""
    part = struct.pack(">BI", 0, 65000) + b"x" * 60000  # never finished
    sids = []
    for _ in range(30):
        sid = c.request(HEALTH, b"", end=False)
        sids.append(sid)
        send_respecting_windows(c, sid, part)
    reset = c.response(sids[-1])["reset"]
    # 18 x 60,005 bytes > 1 MiB: the 18th stream and every later one.
    check("partial messages over 1 MiB on a connection", reset, 11)
    for sid in sids:
        try:
            c.conn.reset_stream(sid, error_code=8)
        except h2.exceptions.StreamClosedError:
            pass  # The server reset it.
    c.flush()


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    log = sys.argv[2]
    c = Client((host, int(port)))

    r = c.response(c.request(HEALTH, framed(b"")))
    check("a call: :status", r["headers"][":status"], "200")
    check("a call: content-type", r["headers"]["content-type"], "application/grpc")
    check("a call: SERVING, framed", r["data"], framed(b"\x08\x01"))
    check("a call: status", status_of(r), ("0", None))

    r = c.response(c.request(HEALTH, framed(b"\x0a\x04nope")))
    check("an error is trailers-only", (r["data"], r["trailers"]), (b"", None))
    check("an error's status", status_of(r), ("5", "service name unknown"))

    r = c.response(c.request(HEALTH, framed(b"") + framed(b"")))
    check("two messages in a unary call", status_of(r)[0], "13")
    r = c.response(c.request(HEALTH))
    check("no message in a unary call", status_of(r)[0], "13")
    r = c.response(c.request(HEALTH, framed(b"")[:3]))
    check("a truncated message", status_of(r)[0], "13")

    # Only the prefix: the announced length alone is refused.
    r = c.response(c.request(HEALTH, struct.pack(">BI", 0, 70000), end=False))
    check("a message over 64 KiB", status_of(r),
          ("3", "received message larger than max (70000 vs. 65536)"))
    r = c.response(c.request(HEALTH, framed(b"", compressed=1)))
    check("a compressed message", status_of(r)[0], "12")

    r = c.response(c.request(HEALTH, method="GET", end=True))
    check("GET", r["headers"][":status"], "405")
    r = c.response(c.request(HEALTH, framed(b""), content_type="application/json"))
    check("content-type application/json", r["headers"][":status"], "415")
    r = c.response(c.request("/nopath", framed(b"")))
    check("a path naming no method", status_of(r)[0], "12")
    r = c.response(c.request("/tokend.Nothing/Here", framed(b"")))
    check("an unknown method", status_of(r)[0], "12")

    r = c.response(c.request(HEALTH, framed(b""), extra=[("x-big", "b" * 9000)]))
    check("a 9 KB header block", status_of(r)[0], "3")

    # Server streaming: headers, a message, then the deadline's trailers.
    start = time.monotonic()
    r = c.response(c.request(WATCH, framed(b""), extra=[("grpc-timeout", "300m")]))
    check("Watch: first message", r["data"], framed(b"\x08\x01"))
    check("Watch: grpc-timeout ends it", status_of(r)[0], "4")
    elapsed = time.monotonic() - start
    if not 0.25 <= elapsed < 5:
        raise AssertionError("Watch ended after %.2f s, not at its 300 ms" % elapsed)
    print("ok: Watch ended at its deadline (%.2f s)" % elapsed)

    # A stream the client resets cancels its call: the request log gets a
    # second Watch ended by cancellation (libgrpc++'s health service ends a
    # cancelled Watch with UNKNOWN "OnCancel()"; the first is the deadline's).
    sid = c.request(WATCH, framed(b""))
    c.response(sid, until=lambda r: r["data"])
    c.conn.reset_stream(sid, error_code=8)  # CANCEL
    c.flush()

    def cancelled_watches():
        with open(log) as f:
            return sum('"method":"/grpc.health.v1.Health/Watch"' in line and
                       '"message":"OnCancel()"' in line for line in f)
    deadline = time.monotonic() + 10
    while cancelled_watches() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    check("a reset stream cancels its call", cancelled_watches(), 2)

    r = c.response(c.request(WATCH, framed(b"") + framed(b"")))
    check("two messages in a server-streaming call", status_of(r)[0], "13")

    held_request_bytes_limit(c)

    # From a trusted balancer, a PROXY header (v1, then v2) before the
    # preface: the HTTP/2 bytes after it are the connection's.
    for header in (b"PROXY TCP4 10.1.2.3 127.0.0.1 4660 443\r\n",
                   b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c"
                   b"\x0a\x01\x02\x03\x7f\x00\x00\x01\x12\x34\x01\xbb"):
        proxied = Client((host, int(port)), proxy_header=header)
        r = proxied.response(proxied.request(HEALTH, framed(b"")))
        check("a call after a PROXY header", status_of(r), ("0", None))

    # The client address the server sees (its request log's "client"): the
    # PROXY header's, a trusted peer's x-forwarded-for (rightmost hop), and
    # never one a client names itself in tokend's own metadata key.
    r = c.response(c.request(HEALTH, framed(b""), extra=[
        ("x-forwarded-for", "203.0.113.9, 198.51.100.77")]))
    check("a call through an L7 balancer", status_of(r), ("0", None))
    r = c.response(c.request(HEALTH, framed(b""), extra=[
        ("x-tokend-client-address", "192.0.2.66")]))
    check("a call naming its own address", status_of(r), ("0", None))

    def health_clients():
        with open(log) as f:
            return [json.loads(line).get("client") for line in f
                    if '"method":"/grpc.health.v1.Health/Check"' in line]
    deadline = time.monotonic() + 10
    while "198.51.100.77" not in health_clients() and time.monotonic() < deadline:
        time.sleep(0.05)
    clients = health_clients()
    check("the PROXY header's client is the call's", "10.1.2.3" in clients, True)
    check("x-forwarded-for from a trusted peer names the client",
          "198.51.100.77" in clients, True)
    check("a client cannot name its own address", "192.0.2.66" in clients,
          False)

    # The connection is still good for calls after all of that.
    r = c.response(c.request(HEALTH, framed(b"")))
    check("a call after the rest", status_of(r), ("0", None))
    print("PASS")


if __name__ == "__main__":
    main()
