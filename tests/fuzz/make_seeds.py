#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into tests/fuzz/<target>/.

The seeds are small, valid or nearly valid inputs that show libFuzzer each
input format; crash regressions found later sit beside them under their own
names (crash-<sha1>) and are never rewritten by this script. Run it from
anywhere with Debian's /usr/bin/python3; it needs no modules beyond the
standard library.
"""
import json
import pathlib
import random
import struct

HERE = pathlib.Path(__file__).resolve().parent


def write(target, name, data):
    directory = HERE / target
    directory.mkdir(exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    (directory / name).write_bytes(data)


def safetensors(tensors, metadata=None):
    """Encodes TENSORS, a list of (name, dtype, shape, raw bytes)."""
    header = {}
    data = b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def floats(values):
    return struct.pack(f"<{len(values)}f", *values)


# Protobuf wire format: enough of it to write the request messages.
def varint(value):
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def field_bytes(number, payload):
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_double(number, value):
    return varint(number << 3 | 1) + struct.pack("<d", value)


def color_options(projection=0, granularity=0, specials=False, background=None, contrast=None):
    out = b""
    if projection:
        out += field_varint(1, projection)
    if granularity:
        out += field_varint(2, granularity)
    if specials:
        out += field_varint(3, 1)
    if background is not None:
        out += field_bytes(4, background)
    if contrast is not None:
        out += field_double(5, contrast)
    return out


def tokenizer_seeds():
    texts = [
        (7, "Hello, World! The quick brown fox."),
        (5, "[MASK] café naïve résumé [SEP]"),
        (3, "中文字符 and テスト mixed"),
        (0, "supercalifragilisticexpialidocious"),
        (7, "tabs\tnew\nlines\r\nzero\u200bwidth"),
        (7, "emoji 🎨 and combining e\u0301"),
        (6, "UNCASED Über STRASSE"),
    ]
    for index, (options, text) in enumerate(texts):
        write("tokenizer", f"seed-{index}", bytes([options]) + text.encode("utf-8"))
    write("tokenizer", "seed-invalid-utf8", b"\x07abc\xff\xfe def \xc3")


def safetensors_seeds():
    write("safetensors", "seed-f32", safetensors([("a", "F32", [2, 2], floats([1, 2, 3, 4]))]))
    write("safetensors", "seed-mixed", safetensors([
        ("half", "F16", [3], struct.pack("<3e", 1.0, -2.5, 65504.0)),
        ("bf16", "BF16", [2], b"\x80\x3f\x00\xc0"),
        ("ids", "I64", [2], struct.pack("<2q", 7, -1)),
        ("flags", "BOOL", [1, 1], b"\x01"),
    ], metadata={"format": "pt"}))
    write("safetensors", "seed-scalar-empty", safetensors([
        ("scalar", "F64", [], struct.pack("<d", 3.5)),
        ("empty", "F32", [0, 4], b""),
    ]))
    write("safetensors", "seed-truncated", safetensors([("a", "F32", [4], floats([1, 2, 3, 4]))])[:-3])


def config_seeds():
    base = {"model_type": "distilbert", "vocab_size": 30522, "dim": 32, "n_layers": 2,
            "n_heads": 4, "hidden_dim": 64, "max_position_embeddings": 512,
            "activation": "gelu", "sinusoidal_pos_embds": False, "pad_token_id": 0}
    write("config", "seed-tiny", json.dumps(base, indent=2))
    write("config", "seed-minimal", '{"model_type": "distilbert"}')
    write("config", "seed-relu-sinusoidal",
          json.dumps(dict(base, activation="relu", sinusoidal_pos_embds=True, dim=8, n_heads=8)))
    write("config", "seed-wrong-type", json.dumps(dict(base, dim="32", n_heads=0)))
    # A number beyond double's range: nlohmann::json raises out_of_range, not
    # parse_error, for it (found by the config fuzzer).
    write("config", "seed-number-overflow", '{"model_type": "distilbert", "vocab_size": 3e0522}')


def tiny_model():
    """A complete DistilBERT directory: 9 entries, dim 4, one layer."""
    rng = random.Random(1)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "red"]
    dim, hidden, positions = 4, 8, 16
    config = {"model_type": "distilbert", "vocab_size": len(vocab), "dim": dim, "n_layers": 1,
              "n_heads": 2, "hidden_dim": hidden, "max_position_embeddings": positions,
              "activation": "gelu", "sinusoidal_pos_embds": False, "pad_token_id": 0}

    def tensor(name, *shape):
        count = 1
        for size in shape:
            count *= size
        return (name, "F32", list(shape), floats([rng.uniform(-0.5, 0.5) for _ in range(count)]))

    tensors = [
        tensor("embeddings.word_embeddings.weight", len(vocab), dim),
        tensor("embeddings.position_embeddings.weight", positions, dim),
        tensor("embeddings.LayerNorm.weight", dim),
        tensor("embeddings.LayerNorm.bias", dim),
    ]
    layer = "transformer.layer.0."
    for linear in ("q_lin", "k_lin", "v_lin", "out_lin"):
        tensors += [tensor(f"{layer}attention.{linear}.weight", dim, dim),
                    tensor(f"{layer}attention.{linear}.bias", dim)]
    tensors += [
        tensor(f"{layer}sa_layer_norm.weight", dim),
        tensor(f"{layer}sa_layer_norm.bias", dim),
        tensor(f"{layer}ffn.lin1.weight", hidden, dim),
        tensor(f"{layer}ffn.lin1.bias", hidden),
        tensor(f"{layer}ffn.lin2.weight", dim, hidden),
        tensor(f"{layer}ffn.lin2.bias", dim),
        tensor(f"{layer}output_layer_norm.weight", dim),
        tensor(f"{layer}output_layer_norm.bias", dim),
    ]
    return config, vocab, tensors


def model_directory(files):
    out = b""
    for content in files:
        if isinstance(content, str):
            content = content.encode("utf-8")
        out += struct.pack("<I", len(content)) + content
    return out


def model_directory_seeds():
    config, vocab, tensors = tiny_model()
    config_text = json.dumps(config)
    vocab_text = "\n".join(vocab) + "\n"
    weights = safetensors(tensors)
    write("model_directory", "seed-valid",
          model_directory([config_text, vocab_text, weights, '{"name": "fuzz"}']))
    write("model_directory", "seed-no-name", model_directory([config_text, vocab_text, weights]))
    write("model_directory", "seed-vocab-mismatch",
          model_directory([config_text, vocab_text + "extra\n", weights]))
    write("model_directory", "seed-missing-tensor",
          model_directory([config_text, vocab_text, safetensors(tensors[:-1])]))
    huge = dict(config, dim=4096, n_heads=4, hidden_dim=16384, n_layers=64)
    write("model_directory", "seed-config-larger-than-weights",
          model_directory([json.dumps(huge), vocab_text, weights]))
    write("model_directory", "seed-config-only", model_directory([config_text]))


def request_seeds():
    write("request", "seed-colorize", b"\x00" + field_bytes(1, "The deep blue sea")
          + field_bytes(2, color_options(projection=1, granularity=2)))
    write("request", "seed-colorize-contrast", b"\x00" + field_bytes(1, "A yellow banana")
          + field_bytes(2, color_options(projection=3, specials=True, background="#ffffff",
                                         contrast=4.5)))
    write("request", "seed-colorize-invalid-utf8", b"\x00" + field_bytes(1, b"bad \xff byte"))
    write("request", "seed-colorize-unknown-enum", b"\x00" + field_bytes(1, "x")
          + field_bytes(2, color_options(projection=9, granularity=7)))
    write("request", "seed-batch", b"\x01" + field_bytes(1, "red") + field_bytes(1, "")
          + field_bytes(1, "green leaves") + field_bytes(2, color_options(projection=2)))

    def stream(requests):
        out = b"\x02"
        for request in requests:
            out += struct.pack("<H", len(request)) + request
        return out

    write("request", "seed-stream", stream([
        field_bytes(1, "a") + field_bytes(2, "Hello wor"),
        field_bytes(1, "b") + field_bytes(2, "Other ") + field_bytes(4, color_options(granularity=2)),
        field_bytes(1, "a") + field_bytes(2, "ld, again") + field_varint(3, 1),
        field_bytes(1, "b") + field_bytes(2, "caf\xc3") ,
        field_bytes(1, "b") + field_bytes(2, b"\xa9 end") + field_varint(3, 1),
    ]))
    write("request", "seed-stream-after-final", stream([
        field_bytes(1, "m") + field_bytes(2, "done") + field_varint(3, 1),
        field_bytes(1, "m") + field_bytes(2, "again") + field_varint(3, 1),
    ]))


if __name__ == "__main__":
    tokenizer_seeds()
    safetensors_seeds()
    config_seeds()
    model_directory_seeds()
    request_seeds()
