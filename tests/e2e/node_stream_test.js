// Run by the end-to-end test NodeClient.StreamsAMessage: streams a message
// word by word through clients/node/example.js to a running server and
// checks the spans. Exits non-zero with a message on the first failure.
//
// Usage: node node_stream_test.js NODE_CLIENT_DIR HOST:PORT PROTO_DIR
'use strict';

const assert = require('assert');
const path = require('path');

async function main() {
  const [clientDir, address, protoDir] = process.argv.slice(2);
  const example = require(path.join(clientDir, 'example.js'));
  const grpc = require(path.join(clientDir, 'node_modules', '@grpc', 'grpc-js'));
  const Synesthesia = example.loadService(protoDir);
  const client = new Synesthesia(address, grpc.credentials.createInsecure());

  const text = 'Héllo, wörld! Naïve café.';
  const deltas = example.wordDeltas(text);
  assert.deepStrictEqual(deltas, ['Héllo, ', 'wörld! ', 'Naïve ', 'café.']);
  const seen = [];
  const responses = await example.streamMessage(client, 'node', deltas, (r) => seen.push(r));
  assert.strictEqual(seen.length, responses.length);

  const spans = responses.flatMap((response) => response.spans);
  assert.deepStrictEqual(spans.map((s) => s.text),
      ['Héllo', ',', 'wörld', '!', 'Naïve', 'café', '.']);
  assert.deepStrictEqual(spans.map((s) => [s.start, s.end]),
      [[0, 5], [5, 6], [7, 12], [12, 13], [14, 19], [20, 24], [24, 25]]);
  assert.deepStrictEqual(spans.map((s) => [s.byte_start, s.byte_end]),
      [[0, 6], [6, 7], [8, 14], [14, 15], [16, 22], [23, 28], [28, 29]]);
  for (const span of spans) {
    assert.match(span.hex, /^#[0-9a-f]{6}$/);
    const hex = '#' + [span.rgb.r, span.rgb.g, span.rgb.b]
        .map((c) => c.toString(16).padStart(2, '0')).join('');
    assert.strictEqual(span.hex, hex);
  }
  assert.ok(responses.every((r) => r.message_id === 'node'));
  assert.strictEqual(responses[responses.length - 1].final, true);
  assert.strictEqual(responses.filter((r) => r.final).length, 1);

  const coloured = example.ansi(text, responses);
  assert.strictEqual(coloured.replace(/\x1b\[[0-9;]*m/g, ''), text);

  // A request error ends the stream: message ids are limited to 256 bytes.
  await assert.rejects(
      example.streamMessage(client, 'x'.repeat(300), ['too long an id']),
      (error) => error.code === grpc.status.INVALID_ARGUMENT);
  client.close();
  console.log(`ok: ${spans.length} spans in ${responses.length} responses`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
