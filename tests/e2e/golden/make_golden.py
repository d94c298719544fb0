#!/usr/bin/python3
"""Write the expected outputs of `synesthesia colorize --projection pca` for
the end-to-end tests, computed with numpy from reference data only.

Inputs, none of them produced by Synesthesia's code:
- tests/data/distilbert-tiny/inputs.json: the texts with the token offsets
  (Unicode code points) from Hugging Face tokenizers;
- tests/data/distilbert-tiny/expected.safetensors: the last hidden states
  from Hugging Face transformers for each text, run alone.

The PCA colours follow the documented method. Drop [CLS] and [SEP] and
centre the rows. Take the top three principal axes (here by
numpy.linalg.svd) and flip each so that its largest-magnitude entry is
positive. Project, and scale each channel min-max to 0..255 with floor. Synesthesia computes the hidden
states itself, so the script rejects a text
whose colours could change under a small error: every scaled value must lie at
least MARGIN away from an integer, and each axis's sign rule and each
eigenvalue gap must hold with room to spare.

The output formats are the ones client/cli/output.h documents. Run with
Debian's python3-numpy from the repository root:

    /usr/bin/python3 tests/e2e/golden/make_golden.py
"""

import html
import json
import math
import pathlib
import struct

import numpy as np

REPOSITORY = pathlib.Path(__file__).resolve().parents[3]
MODEL = REPOSITORY / "tests" / "data" / "distilbert-tiny"
OUTPUT = pathlib.Path(__file__).resolve().parent
# Distance in 0..255 units that a scaled value keeps from an integer. On
# these texts Synesthesia's hidden states differ from the reference by at
# most 1.2e-7 and its scaled values by at most 2e-5 (measured with
# `synesthesia embed` and this script's PCA), so 0.005 leaves a factor of
# 250.
MARGIN = 0.005
# Inputs of inputs.json written as golden files, by index.
CASES = {2: "accents", 4: "emoji"}


def read_safetensors(path):
    data = path.read_bytes()
    (header_size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_size])
    body = data[8 + header_size:]
    dtypes = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], dtype=dtypes[entry["dtype"]]).reshape(
            entry["shape"])
    return tensors


def pca_colours(hidden):
    centred = hidden - hidden.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    variances = singular ** 2
    assert len(variances) >= 4, "needs four tokens for three defined components"
    for k in range(3):
        gap = (variances[k] - variances[k + 1]) / variances[0]
        assert gap > 1e-3, f"eigenvalues {k} and {k + 1} are too close"
    colours = np.zeros((hidden.shape[0], 3), dtype=int)
    for channel in range(3):
        axis = vt[channel].copy()
        magnitudes = np.sort(np.abs(axis))[::-1]
        assert magnitudes[0] - magnitudes[1] > 1e-3, "sign rule too close to call"
        if axis[np.argmax(np.abs(axis))] < 0:
            axis = -axis
        values = centred @ axis
        low, high = values.min(), values.max()
        for row, value in enumerate(values):
            scaled = 255.0 * ((value - low) / (high - low))
            if value not in (low, high):
                distance = abs(scaled - round(scaled))
                assert distance > MARGIN, f"{scaled} lies within {MARGIN} of an integer"
            colours[row, channel] = min(255, max(0, math.floor(scaled)))
    return colours


def spans(case, hidden):
    text = case["text"]
    colours = pca_colours(hidden.astype(np.float64))
    result = []
    real_offsets = case["offsets"][1:-1]
    for (start, end), colour in zip(real_offsets, colours):
        byte_start = len(text[:start].encode("utf-8"))
        byte_end = len(text[:end].encode("utf-8"))
        result.append({
            "text": text[start:end],
            "start": start,
            "end": end,
            "byte_start": byte_start,
            "byte_end": byte_end,
            "rgb": [int(c) for c in colour],
            "hex": "#%02x%02x%02x" % tuple(int(c) for c in colour),
        })
    return result


def json_output(span_list):
    lines = ['{"model":"distilbert-tiny","projection":"pca","spans":[']
    rows = [json.dumps(span, ensure_ascii=False, separators=(",", ":")) for span in span_list]
    lines.append(",\n".join(rows))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def plain_output(span_list):
    return "".join(f"{s['hex']}\t{s['start']}\t{s['end']}\t{s['text']}\n" for s in span_list)


def ansi_output(text, span_list):
    data = text.encode("utf-8")
    out = b""
    written = 0
    for span in span_list:
        out += data[written:span["byte_start"]]
        r, g, b = span["rgb"]
        out += f"\x1b[38;2;{r};{g};{b}m".encode() + data[span["byte_start"]:span["byte_end"]]
        out += b"\x1b[0m"
        written = span["byte_end"]
    out += data[written:]
    if not out.endswith(b"\n"):
        out += b"\n"
    return out


def html_output(text, span_list):
    data = text.encode("utf-8")
    body = ""
    written = 0
    for span in span_list:
        body += html.escape(data[written:span["byte_start"]].decode("utf-8"))
        body += (f'<span style="color: {span["hex"]}; font-weight: bold; font-size: 16px">'
                 + html.escape(data[span["byte_start"]:span["byte_end"]].decode("utf-8"))
                 + "</span>")
        written = span["byte_end"]
    body += html.escape(data[written:].decode("utf-8"))
    return ("<!DOCTYPE html>\n"
            '<html lang="en">\n'
            "<head>\n"
            '<meta charset="utf-8">\n'
            "<title>Synesthesia: distilbert-tiny, pca</title>\n"
            "<style>\n"
            "body { background: #ffffff; }\n"
            ".synesthesia { white-space: pre-wrap; font-family: sans-serif; }\n"
            "</style>\n"
            "</head>\n"
            "<body>\n"
            f'<p class="synesthesia">{body}</p>\n'
            "</body>\n"
            "</html>\n")


def main():
    cases = json.loads((MODEL / "inputs.json").read_text())
    tensors = read_safetensors(MODEL / "expected.safetensors")
    for index, name in CASES.items():
        case = cases[index]
        hidden = tensors[f"single.{index}.last_hidden_state"][0][1:-1]
        assert hidden.shape[0] == len(case["offsets"]) - 2
        span_list = spans(case, hidden)
        (OUTPUT / f"{name}.txt").write_bytes(case["text"].encode("utf-8"))
        (OUTPUT / f"{name}.json").write_text(json_output(span_list), encoding="utf-8")
        (OUTPUT / f"{name}.plain").write_text(plain_output(span_list), encoding="utf-8")
        (OUTPUT / f"{name}.ansi").write_bytes(ansi_output(case["text"], span_list))
        (OUTPUT / f"{name}.html").write_text(html_output(case["text"], span_list),
                                             encoding="utf-8")


if __name__ == "__main__":
    main()
