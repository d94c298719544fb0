// Streams a message to a Synesthesia server word by word, as a chat app
// relaying a language model's output would, and prints each word in its
// colour as soon as the server returns it.
//
// Usage: node example.js HOST:PORT "text to colour" [PROTO_DIR]
//
// PROTO_DIR is the folder that contains synesthesia/v1/synesthesia.proto
// (default: the repository's proto/ folder, or $SYNESTHESIA_PROTO_DIR).
// The functions are exported for the end-to-end test.
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

// Loads the Synesthesia service definition from PROTO_DIR.
function loadService(protoDir) {
  const definition = protoLoader.loadSync('synesthesia/v1/synesthesia.proto', {
    includeDirs: [protoDir],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
  });
  return grpc.loadPackageDefinition(definition).synesthesia.v1.Synesthesia;
}

// Splits TEXT into deltas of one word each, the spaces kept with the word
// before them.
function wordDeltas(text) {
  return text.match(/\S+\s*|\s+/g) || [];
}

// Sends DELTAS as one message MESSAGE_ID on a ColorizeStream call and calls
// ON_RESPONSE with each response. Resolves with every response once the
// server ends the call; rejects with the gRPC error otherwise.
function streamMessage(client, messageId, deltas, onResponse = () => {}) {
  return new Promise((resolve, reject) => {
    const call = client.ColorizeStream();
    const responses = [];
    call.on('data', (response) => {
      responses.push(response);
      onResponse(response);
    });
    call.on('error', reject);
    call.on('end', () => resolve(responses));
    deltas.forEach((delta, i) => {
      call.write({ message_id: messageId, delta, final: i === deltas.length - 1 });
    });
    call.end();
  });
}

// TEXT with 24-bit ANSI colour codes around each span of RESPONSES.
function ansi(text, responses) {
  const bytes = Buffer.from(text, 'utf8');
  let out = '';
  let written = 0;
  for (const response of responses) {
    for (const span of response.spans) {
      const { r, g, b } = span.rgb;
      out += bytes.subarray(written, span.byte_start).toString('utf8');
      out += `\x1b[38;2;${r};${g};${b}m${span.text}\x1b[0m`;
      written = span.byte_end;
    }
  }
  return out + bytes.subarray(written).toString('utf8');
}

async function main() {
  const [address, text, protoArgument] = process.argv.slice(2);
  if (!address || text === undefined) {
    console.error('usage: node example.js HOST:PORT "text to colour" [PROTO_DIR]');
    process.exit(2);
  }
  const protoDir = protoArgument || process.env.SYNESTHESIA_PROTO_DIR ||
      path.join(__dirname, '..', '..', 'proto');
  let Synesthesia;
  try {
    Synesthesia = loadService(protoDir);
  } catch (error) {
    console.error(`cannot load synesthesia/v1/synesthesia.proto from ${protoDir}: ${error.message}; ` +
        'pass the folder that contains it as PROTO_DIR or set SYNESTHESIA_PROTO_DIR');
    process.exit(1);
  }
  const client = new Synesthesia(address, grpc.credentials.createInsecure());
  try {
    const responses = await streamMessage(client, 'example', wordDeltas(text));
    console.log(ansi(text, responses));
  } catch (error) {
    // error.code is the numeric gRPC status; print its name, as the other
    // clients do.
    const name = Object.keys(grpc.status).find((key) => grpc.status[key] === error.code);
    console.error(`ColorizeStream failed: ${name || error.code}: ${error.details}`);
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

module.exports = { loadService, wordDeltas, streamMessage, ansi };

if (require.main === module) {
  main();
}
