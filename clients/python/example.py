#!/usr/bin/python3
"""Colour text with a Synesthesia server and print it in ANSI colours.

Usage (from the repository root, after building):

    PYTHONPATH=build/clients/python/stubs /usr/bin/python3 \
        clients/python/example.py 127.0.0.1:50051 "A yellow banana"

Needs Debian's python3-grpcio and python3-protobuf. The stubs come from
protoc and grpc_python_plugin at build time (clients/python/CMakeLists.txt).
The functions are imported by the end-to-end test.
"""

import sys

import grpc

from synesthesia.v1 import synesthesia_pb2
from synesthesia.v1 import synesthesia_pb2_grpc


def colorize(stub, text, projection=synesthesia_pb2.PROJECTION_UNSPECIFIED, timeout=30):
    """Return the ColorizeResponse for TEXT."""
    request = synesthesia_pb2.ColorizeRequest(
        text=text, options=synesthesia_pb2.ColorOptions(projection=projection))
    return stub.Colorize(request, timeout=timeout)


def colorize_batch(stub, texts, timeout=30):
    """Return one ColorizeResponse per text, in order."""
    request = synesthesia_pb2.ColorizeBatchRequest(texts=texts)
    return list(stub.ColorizeBatch(request, timeout=timeout).results)


def stream_message(stub, message_id, deltas, timeout=30):
    """Send DELTAS as one message on a ColorizeStream call; return the responses.

    The last delta is marked final. Responses arrive while the deltas are
    being sent; this collects them all.
    """
    def requests():
        for i, delta in enumerate(deltas):
            yield synesthesia_pb2.ColorizeStreamRequest(
                message_id=message_id, delta=delta, final=i == len(deltas) - 1)

    return list(stub.ColorizeStream(requests(), timeout=timeout))


def ansi(text, spans):
    """Return TEXT with 24-bit ANSI colour codes around each span."""
    data = text.encode("utf-8")
    out = b""
    written = 0
    for span in spans:
        out += data[written:span.byte_start]
        out += b"\x1b[38;2;%d;%d;%dm" % (span.rgb.r, span.rgb.g, span.rgb.b)
        out += data[span.byte_start:span.byte_end] + b"\x1b[0m"
        written = span.byte_end
    return (out + data[written:]).decode("utf-8")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    address, text = sys.argv[1], sys.argv[2]
    with grpc.insecure_channel(address) as channel:
        stub = synesthesia_pb2_grpc.SynesthesiaStub(channel)
        try:
            response = colorize(stub, text)
        except grpc.RpcError as error:
            print(f"Colorize failed: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1
        print(ansi(text, response.spans))
    return 0


if __name__ == "__main__":
    sys.exit(main())
