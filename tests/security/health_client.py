"""A normal gRPC client (python3-grpcio) for grpc_port_test: one line on stdin
per Health/Check, one line back ("ok" or what went wrong).

  kept   on the channel opened at start (a client connected before an attack)
  new    on a new channel (a client arriving during or after one)
  big    on a new channel, with 16 KiB of metadata (over the 8 KiB limit):
         "ok" when refused with INVALID_ARGUMENT
"""

import sys

import grpc

METHOD = "/grpc.health.v1.Health/Check"


def check(channel, metadata=None):
    return channel.unary_unary(METHOD)(b"", timeout=5, metadata=metadata)


def main():
    target = sys.argv[1]
    kept = grpc.insecure_channel(target)
    for line in sys.stdin:
        how = line.strip()
        try:
            if how == "kept":
                reply = check(kept)
            elif how == "new":
                with grpc.insecure_channel(target) as channel:
                    reply = check(channel)
            elif how == "big":
                with grpc.insecure_channel(target) as channel:
                    check(channel, [("x-big", "b" * 16384)])
                print("answered a 16 KiB header block", flush=True)
                continue
            else:
                print("unknown command %r" % how, flush=True)
                continue
            print("ok" if reply == b"\x08\x01" else "reply %r" % reply, flush=True)
        except grpc.RpcError as e:
            if how == "big" and e.code() == grpc.StatusCode.INVALID_ARGUMENT:
                print("ok", flush=True)
            else:
                print("%s: %s" % (e.code(), e.details()), flush=True)


if __name__ == "__main__":
    main()
