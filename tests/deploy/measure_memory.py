#!/usr/bin/python3
"""Measure synesthesia-server's resident memory on one model, idle and under load.

Starts the server on 127.0.0.1 with kernel-chosen ports, waits for SERVING,
reads VmRSS, sends load with `synesthesia bench` (long texts, so that the
scheduler fills batches up to --max_batch_tokens), reads VmHWM (the peak
resident set), then stops the server with SIGTERM. Prints one JSON object.
docs/deployment.md records the numbers behind the Kubernetes resource sizes.

Usage:
  tests/deploy/measure_memory.py --server build/server/synesthesia-server \
      --cli build/client/cli/synesthesia --model DIR [--requests 200] \
      [--concurrency 16] [-- EXTRA SERVER FLAGS]
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import server_process  # noqa: E402

# Plain sentences. A text of 450 words made of them stays a little under
# distilbert-base's 512 positions once WordPiece splits some words.
_SENTENCES = [
    "The harbour was grey at dawn, and the first boats left under a low sky.",
    "She painted the kitchen a pale yellow that caught the afternoon light.",
    "Nobody expected the committee to agree on the budget before the holidays.",
    "Green hills rolled towards the coast where the wind bent every tree inland.",
    "The report lists three causes of the outage and one change to prevent it.",
    "A red kite circled the field while the farmer checked the fences.",
    "Reading the manual twice did not make the printer any less stubborn.",
    "The museum keeps its blue porcelain in a room with no windows at all.",
]


def write_texts(path, words_per_text, count):
    """Write COUNT texts of about WORDS_PER_TEXT words, one per line."""
    lines = []
    for offset in range(count):
        words = []
        index = offset
        while len(words) < words_per_text:
            words.extend(_SENTENCES[index % len(_SENTENCES)].split())
            index += 1
        lines.append(" ".join(words[:words_per_text]))
    path.write_text("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="synesthesia-server binary")
    parser.add_argument("--cli", required=True, help="synesthesia CLI binary (for bench)")
    parser.add_argument("--model", required=True, help="model directory")
    parser.add_argument("--requests", type=int, default=200, help="requests the load sends")
    parser.add_argument("--concurrency", type=int, default=16, help="bench workers")
    parser.add_argument("--words", type=int, default=450, help="words per load text")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for SERVING")
    parser.add_argument("--deadline", default="300s", help="deadline of each load request")
    parser.add_argument("extra", nargs="*", help="further server flags, after --")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="synesthesia-memory-") as scratch:
        texts = pathlib.Path(scratch) / "texts.txt"
        write_texts(texts, options.words, 8)

        with server_process.Server(
            options.server, [f"--model={options.model}", *options.extra]
        ) as server:
            startup_s = server.wait_serving(options.timeout)
            idle = server.status()

            bench = subprocess.run(
                [
                    options.cli, "bench", f"--server=127.0.0.1:{server.port}",
                    f"--requests={options.requests}", f"--concurrency={options.concurrency}",
                    f"--texts={texts}", f"--deadline={options.deadline}", "--json",
                ],
                capture_output=True, text=True, timeout=3600, check=False,
            )
            # A full queue rejects some requests with RESOURCE_EXHAUSTED (exit
            # code 4). The report still counts them, so only a run without one
            # successful request is a failure.
            try:
                report = json.loads(bench.stdout)
            except json.JSONDecodeError:
                report = {"ok": 0}
            if report["ok"] == 0:
                print(f"bench failed ({bench.returncode}): {bench.stderr}\n{bench.stdout}",
                      file=sys.stderr)
            loaded = server.status()
            exit_code, stop_s = server.terminate(timeout_s=120)

    result = {
        "model": options.model,
        "extra_flags": options.extra,
        "seconds_to_serving": round(startup_s, 2),
        "idle_rss_mib": round(int(idle["VmRSS"][0]) / 1024, 1),
        "idle_threads": int(idle["Threads"][0]),
        "peak_rss_mib": round(int(loaded["VmHWM"][0]) / 1024, 1),
        "rss_after_load_mib": round(int(loaded["VmRSS"][0]) / 1024, 1),
        "threads_after_load": int(loaded["Threads"][0]),
        "exit_code_after_sigterm": exit_code,
        "seconds_to_exit_after_sigterm": round(stop_s, 2),
        "bench": report,
    }
    print(json.dumps(result, indent=2))
    if report["ok"] == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
