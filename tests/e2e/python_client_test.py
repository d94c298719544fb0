#!/usr/bin/python3
"""Run by the end-to-end test PythonClient.UnaryBatchAndStream: calls a
running server through clients/python/example.py and checks the results.

Usage: python_client_test.py HOST:PORT REPOSITORY_ROOT
(with the generated stubs on PYTHONPATH).
"""

import re
import sys
import unittest

import grpc

ADDRESS = sys.argv[1]
sys.path.insert(0, f"{sys.argv[2]}/clients/python")

import example  # noqa: E402
from synesthesia.v1 import synesthesia_pb2  # noqa: E402
from synesthesia.v1 import synesthesia_pb2_grpc  # noqa: E402

TEXT = "Héllo, wörld! Naïve café."
WORDS = ["Héllo", ",", "wörld", "!", "Naïve", "café", "."]
CODE_POINTS = [(0, 5), (5, 6), (7, 12), (12, 13), (14, 19), (20, 24), (24, 25)]
BYTES = [(0, 6), (6, 7), (8, 14), (14, 15), (16, 22), (23, 28), (28, 29)]


class PythonClientTest(unittest.TestCase):
    def setUp(self):
        self.channel = grpc.insecure_channel(ADDRESS)
        self.stub = synesthesia_pb2_grpc.SynesthesiaStub(self.channel)

    def tearDown(self):
        self.channel.close()

    def test_unary(self):
        response = example.colorize(self.stub, TEXT, synesthesia_pb2.PROJECTION_PCA)
        self.assertEqual([s.text for s in response.spans], WORDS)
        self.assertEqual([(s.start, s.end) for s in response.spans], CODE_POINTS)
        self.assertEqual([(s.byte_start, s.byte_end) for s in response.spans], BYTES)
        self.assertEqual(response.projection, synesthesia_pb2.PROJECTION_PCA)
        self.assertEqual(response.model, "distilbert-tiny")
        for span in response.spans:
            self.assertEqual(span.hex, "#%02x%02x%02x" % (span.rgb.r, span.rgb.g, span.rgb.b))
        plain = re.sub("\x1b\\[[0-9;]*m", "", example.ansi(TEXT, response.spans))
        self.assertEqual(plain, TEXT)

    def test_unary_invalid_argument(self):
        with self.assertRaises(grpc.RpcError) as raised:
            example.colorize(self.stub, TEXT, synesthesia_pb2.PROJECTION_SEMANTIC)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_batch(self):
        results = example.colorize_batch(self.stub, ["red", TEXT, ""])
        self.assertEqual(len(results), 3)
        self.assertEqual([s.text for s in results[0].spans], ["red"])
        self.assertEqual([s.text for s in results[1].spans], WORDS)
        self.assertEqual(len(results[2].spans), 0)

    def test_stream(self):
        deltas = ["Hél", "lo, wö", "rld! Na", "ïve ", "café."]
        responses = example.stream_message(self.stub, "py", deltas)
        spans = [s for r in responses for s in r.spans]
        self.assertEqual([s.text for s in spans], WORDS)
        self.assertEqual([(s.byte_start, s.byte_end) for s in spans], BYTES)
        self.assertTrue(all(r.message_id == "py" for r in responses))
        self.assertEqual([r.final for r in responses].count(True), 1)
        self.assertTrue(responses[-1].final)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
