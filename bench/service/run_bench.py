#!/usr/bin/python3
"""Benchmark synesthesia-server under load and compare it with its encoder.

For each model (synesthesia-mini and a random-weight checkpoint of the
distilbert-base-uncased shape) the script:

1. starts synesthesia-server on 127.0.0.1 with ephemeral gRPC and metrics
   ports (read back through --port_file) and waits for health SERVING;
2. measures the idle latency: single 16-token requests from one client;
3. runs `synesthesia bench --json` for a few seconds at each concurrency and
   mode (unary, streaming), scraping /metrics before and after each run for
   the batch sizes the scheduler formed and the tokens it encoded, and
   sampling the server's resident memory (VmRSS) during the run;
4. for the base model, runs a longer saturated unary load (--memory_seconds)
   and compares the resident memory of its last quarter with its second;
5. stops the server (SIGTERM) and times the encoder alone on one thread
   (bench_service_encoder) at the batch sizes and lengths the runs formed,
   so that each run reports server tokens/s divided by encoder tokens/s,
   and the encoder's share of the server's CPU time.

Everything runs on this machine on 127.0.0.1 and stops by itself. Output:
results.json and results.svg (throughput and p99 latency against
concurrency) in --out. Standard library only.
"""

import argparse
import json
import math
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# A sentence of exactly 16 WordPiece tokens (bert-base-uncased, [CLS] and
# [SEP] excluded) for the idle-latency check; the script warns when a
# model's tokenizer counts differently.
IDLE_TEXT = "The sky turned orange and then deep purple as the sun went down over the hills"
IDLE_TOKENS = 16

METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(REPO, "build"),
                        help="CMake build directory with synesthesia-server, synesthesia and "
                             "bench_service_encoder (default: build/)")
    parser.add_argument("--models", default="mini,base",
                        help="comma-separated models: mini (the embedded synesthesia-mini), base "
                             "(random distilbert-base-shaped weights) or a model directory")
    parser.add_argument("--concurrency", default="1,8,32,128",
                        help="comma-separated client counts (default: 1,8,32,128)")
    parser.add_argument("--modes", default="unary,stream", help="unary, stream or both")
    parser.add_argument("--base_stream_concurrency", default="1,8",
                        help="client counts of the streaming runs on the base model, whose "
                             "requests (one encoder pass per word) take seconds each under "
                             "more clients (default: 1,8)")
    parser.add_argument("--duration", type=float, default=3.0,
                        help="seconds per load run (default: 3)")
    parser.add_argument("--idle_requests", type=int, default=200,
                        help="single requests for the idle latency (default: 200)")
    parser.add_argument("--memory_seconds", type=float, default=10.0,
                        help="seconds of the saturated unary run that samples resident memory "
                             "for the growth check (default: 10; 0 skips it)")
    parser.add_argument("--memory_model", default="base",
                        help="model of the memory run (default: base)")
    parser.add_argument("--encoder_threads", type=int, default=0,
                        help="--encoder_threads of the server (default: 0, the encoder's "
                             "layout of libtorch 1 thread and OpenBLAS one per CPU); the encoder "
                             "alone is always timed on one thread")
    parser.add_argument("--texts", default=None,
                        help="file with one text per line for the load runs (default: the "
                             "built-in chat texts of `synesthesia bench`, 8 to 32 tokens)")
    parser.add_argument("--server_args", default="",
                        help="extra synesthesia-server flags, space-separated")
    parser.add_argument("--out", default=os.path.join(REPO, "bench", "service", "results"),
                        help="directory for results.json and results.svg")
    parser.add_argument("--markdown", metavar="RESULTS_JSON",
                        help="print the tables of an earlier run's results.json as Markdown "
                             "and exit, without running anything")
    return parser.parse_args()


def machine_info():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        total_kib = int(f.readline().split()[1])
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(total_kib / 2**20, 1),
        "kernel": platform.release(),
        "commit": commit + ("+local changes" if dirty else ""),
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }


def load_average():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def scrape(port):
    """Return {(name, labels): value} from the server's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        match = METRIC_LINE.match(line)
        if match:
            samples[(match.group(1), match.group(2) or "")] = float(match.group(3))
    return samples


def delta(after, before, name, labels=""):
    return after.get((name, labels), 0.0) - before.get((name, labels), 0.0)


def batch_size_distribution(after, before):
    """Forward passes per batch-size bucket (upper bound) during a run."""
    buckets = []
    for (name, labels), value in after.items():
        if name != "synesthesia_batch_size_bucket":
            continue
        bound = re.search(r'le="([^"]+)"', labels).group(1)
        cumulative = value - before.get((name, labels), 0.0)
        buckets.append((math.inf if bound == "+Inf" else float(bound), cumulative))
    buckets.sort()
    distribution = {}
    previous = 0.0
    for bound, cumulative in buckets:
        count = cumulative - previous
        previous = cumulative
        if count > 0:
            distribution["+Inf" if bound == math.inf else str(int(bound))] = int(count)
    return distribution


def process_cpu_seconds(pid):
    """User plus system CPU time of PID so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of proc(5), counted from 1.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def read_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssSampler:
    """Samples a process's VmRSS every INTERVAL seconds in a thread."""

    def __init__(self, pid, interval=0.25):
        self.pid = pid
        self.interval = interval
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        start = time.monotonic()
        while not self._stop.is_set():
            self.samples.append((round(time.monotonic() - start, 2), read_rss_kib(self.pid)))
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Server:
    """synesthesia-server on 127.0.0.1 with ephemeral ports; stops on exit."""

    def __init__(self, build, model_dir, extra_args, log_path):
        self.build = build
        self.model_dir = model_dir
        self.extra_args = extra_args
        self.log_path = log_path
        self.process = None

    def __enter__(self):
        self.workdir = tempfile.mkdtemp(prefix="synesthesia-bench-")
        port_file = os.path.join(self.workdir, "ports")
        command = [os.path.join(self.build, "server", "synesthesia-server"),
                   "--listen=127.0.0.1:0", "--metrics_address=127.0.0.1:0",
                   f"--port_file={port_file}"] + self.extra_args
        if self.model_dir:
            command.append(f"--model={self.model_dir}")
        self.command = command
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"synesthesia-server exited with {self.process.returncode}; "
                                   f"see {self.log_path}")
            if os.path.exists(port_file):
                lines = open(port_file).read().split()
                if len(lines) == 2:
                    self.port, self.metrics_port = int(lines[0]), int(lines[1])
                    break
            time.sleep(0.05)
        else:
            raise RuntimeError("synesthesia-server wrote no --port_file within 120 s")
        health = subprocess.run([self.cli(), "health", f"--server=127.0.0.1:{self.port}",
                                 "--wait=300s"], capture_output=True, text=True)
        if health.returncode != 0:
            raise RuntimeError(f"synesthesia-server is not SERVING: {health.stdout}{health.stderr}")
        return self

    def cli(self):
        return os.path.join(self.build, "client", "cli", "synesthesia")

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def run_cli_bench(server, mode, concurrency, duration=None, requests=None, texts=None):
    command = [server.cli(), "bench", f"--server=127.0.0.1:{server.port}", f"--mode={mode}",
               f"--concurrency={concurrency}", "--json"]
    if duration is not None:
        command.append(f"--duration={duration}s")
    if requests is not None:
        command.append(f"--requests={requests}")
    if texts is not None:
        command.append(f"--texts={texts}")
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if not result.stdout.strip():
        raise RuntimeError(f"synesthesia bench printed nothing: {result.stderr}")
    return json.loads(result.stdout), " ".join(command[1:])


def load_run(server, mode, concurrency, duration, texts=None):
    before = scrape(server.metrics_port)
    load_before = load_average()
    server_cpu = process_cpu_seconds(server.process.pid)
    client_cpu = children_cpu_seconds()
    with RssSampler(server.process.pid) as rss:
        report, command = run_cli_bench(server, mode, concurrency, duration=duration,
                                        texts=texts)
    client_cpu = children_cpu_seconds() - client_cpu
    server_cpu = process_cpu_seconds(server.process.pid) - server_cpu
    after = scrape(server.metrics_port)

    batches = delta(after, before, "synesthesia_batches_total")
    sequences = delta(after, before, "synesthesia_batch_size_sum")
    padded = delta(after, before, "synesthesia_batch_tokens_sum")
    real = delta(after, before, "synesthesia_inference_tokens_total", '{kind="real"}')
    busy = delta(after, before, "synesthesia_inference_duration_seconds_sum")
    seconds = report["duration_s"]
    return {
        "mode": mode,
        "concurrency": concurrency,
        "command": "synesthesia " + command,
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "bench": report,
        "batches": int(batches),
        "batch_size_distribution": batch_size_distribution(after, before),
        "mean_batch_size": sequences / batches if batches else 0,
        "mean_padded_length": padded / sequences if sequences else 0,
        "encoded_tokens_per_s": {"real": real / seconds, "padded": padded / seconds},
        "padded_tokens": padded,
        "padding_fraction": (padded - real) / padded if padded else 0,
        # CPU time per request of the server process and of the bench client.
        "cpu_us_per_request": {"server": server_cpu / max(1, report["requests"]) * 1e6,
                               "client": client_cpu / max(1, report["requests"]) * 1e6},
        # Share of the run's wall time the scheduler's worker spent in
        # forward passes.
        "encoder_busy_fraction": busy / seconds,
        "rss_mib": {"min": min(s for _, s in rss.samples) / 1024,
                    "max": max(s for _, s in rss.samples) / 1024},
    }


def encoder_bench(build, model_dir, length, batch_sizes, seconds=1.0):
    # One thread: with more, the spinning OpenMP and OpenBLAS workers of a
    # forward pass wait for each other whenever other processes hold the
    # cores, and the timing then measures the machine's load more than the
    # encoder.
    command = [os.path.join(build, "bench", "service", "bench_service_encoder"), "encode",
               f"--model={model_dir}", f"--length={length}", "--encoder_threads=1",
               "--batch_sizes=" + ",".join(str(b) for b in sorted(batch_sizes)),
               f"--seconds={seconds}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"bench_service_encoder failed: {result.stderr}")
    entries = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {entry["batch_size"]: entry for entry in entries}, " ".join(command[1:])


def count_tokens(build, model_dir, text):
    command = [os.path.join(build, "client", "cli", "synesthesia"), "tokenize", text]
    if model_dir:
        command.insert(2, f"--model={model_dir}")
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        return None
    tokens = json.loads(result.stdout).get("tokens", [])
    return sum(1 for token in tokens if not token.get("special"))


def write_base_checkpoint(build, directory):
    if os.path.exists(os.path.join(directory, "model.safetensors")):
        return
    subprocess.run([os.path.join(build, "bench", "service", "bench_service_encoder"),
                    "write-checkpoint", f"--out={directory}"], check=True, timeout=600)


def bench_model(args, name, model_dir, log_dir):
    extra = args.server_args.split() if args.server_args else []
    extra.append(f"--encoder_threads={args.encoder_threads}")
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    modes = args.modes.split(",")
    result = {"model": name, "model_dir": model_dir or "(embedded synesthesia-mini)", "runs": []}
    texts_path = os.path.join(log_dir, "idle-text.txt")
    with open(texts_path, "w") as f:
        f.write(IDLE_TEXT + "\n")

    with Server(args.build, model_dir, extra, os.path.join(log_dir, f"server-{name}.log")) as server:
        result["server_command"] = " ".join(server.command)
        result["rss_mib_idle"] = read_rss_kib(server.process.pid) / 1024
        # Idle latency: one client, one request at a time.
        idle, command = run_cli_bench(server, "unary", 1, requests=args.idle_requests,
                                      texts=texts_path)
        result["idle"] = {"command": "synesthesia " + command, "bench": idle}
        for mode in modes:
            counts = concurrencies
            if mode == "stream" and name == "base":
                counts = [int(c) for c in args.base_stream_concurrency.split(",")]
            for concurrency in counts:
                run = load_run(server, mode, concurrency, args.duration, args.texts)
                print(f"{name} {mode} c={concurrency}: {run['bench']['throughput_rps']:.0f} req/s, "
                      f"p99 {run['bench']['latency_ms']['p99']:.1f} ms, mean batch "
                      f"{run['mean_batch_size']:.1f}", file=sys.stderr)
                result["runs"].append(run)
        if args.memory_seconds > 0 and name == args.memory_model:
            result["memory"] = memory_run(server, max(concurrencies), args.memory_seconds)
        result["rss_mib_end"] = read_rss_kib(server.process.pid) / 1024

    # The encoder alone, with the server stopped so that the two do not
    # compete for the cores: at batch size 1 for the idle check, and at each
    # run's mean batch size (rounded) and mean padded length.
    directory = model_dir or os.path.join(REPO, "models", "synesthesia-mini")
    idle_length = IDLE_TOKENS + 2
    shapes = {idle_length: {1}}
    for run in result["runs"]:
        length = max(3, round(run["mean_padded_length"]))
        shapes.setdefault(length, set()).add(max(1, round(run["mean_batch_size"])))
    encoder = {}
    result["encoder_commands"] = []
    for length, sizes in sorted(shapes.items()):
        encoder[length], command = encoder_bench(args.build, directory, length, sizes)
        result["encoder_commands"].append("bench_service_encoder " + command)
    result["encoder"] = {str(length): {str(b): e for b, e in entries.items()}
                         for length, entries in encoder.items()}

    forward_ms = encoder[idle_length][1]["forward_ms"]
    result["idle"]["encoder_forward_ms"] = forward_ms
    result["idle"]["p50_over_forward"] = idle["latency_ms"]["p50"] / forward_ms
    for run in result["runs"]:
        length = max(3, round(run["mean_padded_length"]))
        size = max(1, round(run["mean_batch_size"]))
        reference = encoder[length][size]["tokens_per_s"]
        run["encoder_tokens_per_s"] = reference
        run["server_over_encoder"] = {
            kind: tokens / reference for kind, tokens in run["encoded_tokens_per_s"].items()}
        # The encoder's CPU time for the run's padded tokens, as a share of
        # the server's CPU time. Unlike wall-clock ratios, it holds up when
        # other processes share the cores.
        encoder_cpu = run["padded_tokens"] / encoder[length][size]["tokens_per_cpu_s"]
        server_cpu = run["cpu_us_per_request"]["server"] * run["bench"]["requests"] / 1e6
        run["encoder_share_of_server_cpu"] = encoder_cpu / server_cpu if server_cpu else 0
        # Requests/s that the cores could carry if server and client had
        # them to themselves: an estimate from CPU time per request.
        per_request = sum(run["cpu_us_per_request"].values()) / 1e6
        run["estimated_rps_on_idle_cores"] = os.cpu_count() / per_request if per_request else 0
    return result


def memory_run(server, concurrency, seconds):
    """Run a saturated unary load for SECONDS, sampling VmRSS every 0.25 s."""
    with RssSampler(server.process.pid) as rss:
        report, command = run_cli_bench(server, "unary", concurrency, duration=seconds)
    samples = rss.samples
    # Growth: the last quarter's mean against the second quarter's mean, so
    # that start-up allocation of the first requests does not count.
    quarter = max(1, len(samples) // 4)
    early = [kib for _, kib in samples[quarter:2 * quarter]] or [samples[0][1]]
    late = [kib for _, kib in samples[-quarter:]]
    early_mean, late_mean = sum(early) / len(early), sum(late) / len(late)
    return {
        "command": "synesthesia " + command,
        "throughput_rps": report["throughput_rps"],
        "rss_mib_max": max(kib for _, kib in samples) / 1024,
        "rss_mib_second_quarter": early_mean / 1024,
        "rss_mib_last_quarter": late_mean / 1024,
        "growth_fraction": (late_mean - early_mean) / early_mean,
        "samples_mib": [(t, round(kib / 1024, 1)) for t, kib in samples],
    }


def svg_plot(results, path):
    """Throughput and p99 latency against concurrency, one line per model and mode."""
    series = []
    for model in results["models"]:
        for mode in sorted({run["mode"] for run in model["runs"]}):
            runs = sorted((r for r in model["runs"] if r["mode"] == mode),
                          key=lambda r: r["concurrency"])
            series.append((f"{model['model']} {mode}",
                           [(r["concurrency"], r["bench"]["throughput_rps"],
                             r["bench"]["latency_ms"]["p99"]) for r in runs]))
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    width, height, margin = 460, 320, 60
    concurrencies = sorted({c for _, points in series for c, _, _ in points})
    x_min, x_max = math.log2(concurrencies[0]), math.log2(concurrencies[-1])

    def panel(offset_x, title, index, log_y):
        values = [p[index] for _, points in series for p in points if p[index] > 0]
        low = math.floor(math.log10(min(values))) if log_y else 0
        high = math.ceil(math.log10(max(values))) if log_y else max(values) * 1.1

        def x_of(c):
            span = (x_max - x_min) or 1
            return offset_x + margin + (math.log2(c) - x_min) / span * (width - 1.5 * margin)

        def y_of(v):
            fraction = (math.log10(v) - low) / ((high - low) or 1) if log_y else v / high
            return height - margin + 20 - fraction * (height - 1.5 * margin)

        parts = [f'<text x="{offset_x + width / 2}" y="20" text-anchor="middle" '
                 f'font-weight="bold">{title}</text>',
                 f'<line x1="{offset_x + margin}" y1="{height - margin + 20}" '
                 f'x2="{offset_x + width - margin / 2}" y2="{height - margin + 20}" stroke="black"/>',
                 f'<line x1="{offset_x + margin}" y1="{margin / 2 + 10}" x2="{offset_x + margin}" '
                 f'y2="{height - margin + 20}" stroke="black"/>']
        for c in concurrencies:
            parts.append(f'<text x="{x_of(c):.1f}" y="{height - margin + 36}" '
                         f'text-anchor="middle">{c}</text>')
        parts.append(f'<text x="{offset_x + width / 2}" y="{height - 4}" text-anchor="middle">'
                     f'concurrent clients</text>')
        ticks = ([10 ** e for e in range(low, high + 1)] if log_y
                 else [high * k / 5 for k in range(6)])
        for tick in ticks:
            label = f"{tick:g}" if log_y else f"{tick:.0f}"
            parts.append(f'<text x="{offset_x + margin - 6}" y="{y_of(tick) + 4:.1f}" '
                         f'text-anchor="end">{label}</text>')
            parts.append(f'<line x1="{offset_x + margin}" y1="{y_of(tick):.1f}" '
                         f'x2="{offset_x + width - margin / 2}" y2="{y_of(tick):.1f}" '
                         f'stroke="#ddd"/>')
        for k, (_, points) in enumerate(series):
            coords = " ".join(f"{x_of(p[0]):.1f},{y_of(p[index]):.1f}" for p in points
                              if p[index] > 0)
            parts.append(f'<polyline points="{coords}" fill="none" '
                         f'stroke="{colours[k % len(colours)]}" stroke-width="2"/>')
        return parts

    body = panel(0, "throughput (requests/s)", 1, log_y=True)
    body += panel(width, "p99 latency (ms)", 2, log_y=True)
    for k, (label, _) in enumerate(series):
        y = height + 20 + 16 * k
        body.append(f'<line x1="{margin}" y1="{y - 4}" x2="{margin + 24}" y2="{y - 4}" '
                    f'stroke="{colours[k % len(colours)]}" stroke-width="3"/>')
        body.append(f'<text x="{margin + 30}" y="{y}">{label}</text>')
    total_height = height + 30 + 16 * len(series)
    with open(path, "w") as f:
        f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * width}" '
                f'height="{total_height}" font-family="sans-serif" font-size="12">\n'
                f'<rect width="100%" height="100%" fill="white"/>\n')
        f.write("\n".join(body))
        f.write("\n</svg>\n")


def markdown_tables(results):
    """Format RESULTS as Markdown for RESULTS.md, one table per model."""
    machine = results["machine"]
    lines = [f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
             f"kernel {machine['kernel']}. Commit {machine['commit']}, {machine['date_utc']} UTC. "
             f"Load average (1 min) {results['load_average_start'][0]} at the start, "
             f"{results['load_average_end'][0]} at the end.", "",
             f"Command: `{results['command']}`", ""]
    for model in results["models"]:
        idle = model["idle"]
        lines += [f"### {model['model']}", "",
                  f"Server: `{model['server_command']}`", "",
                  f"Idle latency ({idle['bench']['requests']} single 16-token requests): p50 "
                  f"{idle['bench']['latency_ms']['p50']:.2f} ms; encoder forward pass of the same "
                  f"sequence alone: {idle['encoder_forward_ms']:.2f} ms; ratio "
                  f"{idle['p50_over_forward']:.2f}. Resident memory idle "
                  f"{model['rss_mib_idle']:.0f} MiB, after the runs {model['rss_mib_end']:.0f} MiB.",
                  "",
                  "| mode | clients | requests/s | p50 ms | p99 ms | mean batch | batch sizes "
                  "(upper bound: passes) | padding | encoder busy | server/encoder tokens/s "
                  "(real, padded) | encoder share of server CPU | CPU µs/request (server, client) "
                  "| max RSS MiB | load |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- | ---: | --- "
                  "| ---: | ---: |"]
        for run in model["runs"]:
            bench = run["bench"]
            distribution = ", ".join(f"{k}: {v}" for k, v in run["batch_size_distribution"].items())
            lines.append(
                f"| {run['mode']} | {run['concurrency']} | {bench['throughput_rps']:.1f} | "
                f"{bench['latency_ms']['p50']:.1f} | {bench['latency_ms']['p99']:.1f} | "
                f"{run['mean_batch_size']:.1f} | {distribution} | "
                f"{run['padding_fraction']:.0%} | {run['encoder_busy_fraction']:.0%} | "
                f"{run['server_over_encoder']['real']:.2f}, {run['server_over_encoder']['padded']:.2f} | "
                f"{run['encoder_share_of_server_cpu']:.0%} | "
                f"{run['cpu_us_per_request']['server']:.0f}, {run['cpu_us_per_request']['client']:.0f} | "
                f"{run['rss_mib']['max']:.0f} | {run['load_average_before'][0]} |")
        if "memory" in model:
            memory = model["memory"]
            lines += ["", f"Memory run (`{memory['command']}`): {memory['throughput_rps']:.1f} "
                          f"requests/s, resident memory max {memory['rss_mib_max']:.0f} MiB, mean "
                          f"{memory['rss_mib_second_quarter']:.0f} MiB in the second quarter and "
                          f"{memory['rss_mib_last_quarter']:.0f} MiB in the last: growth "
                          f"{memory['growth_fraction']:+.1%}."]
        lines += ["", "Encoder alone: " + "; ".join(f"`{c}`" for c in model["encoder_commands"]), ""]
    # Paths inside the checkout are written relative to its root.
    return "\n".join(lines).replace(REPO + "/", "")


def main():
    args = parse_args()
    if args.markdown:
        with open(args.markdown) as f:
            print(markdown_tables(json.load(f)))
        return
    os.makedirs(args.out, exist_ok=True)
    log_dir = tempfile.mkdtemp(prefix="synesthesia-bench-logs-")
    results = {"machine": machine_info(), "load_average_start": load_average(),
               "command": " ".join(sys.argv), "duration_s": args.duration, "models": []}

    for name in args.models.split(","):
        if name == "mini":
            model_dir = ""
        elif name == "base":
            model_dir = os.path.join(tempfile.gettempdir(), "synesthesia-bench-distilbert-base")
            write_base_checkpoint(args.build, model_dir)
        else:
            model_dir = name
        tokens = count_tokens(args.build, model_dir, IDLE_TEXT)
        if tokens is not None and tokens != IDLE_TOKENS:
            print(f"warning: the idle text has {tokens} tokens under {name}, not {IDLE_TOKENS}",
                  file=sys.stderr)
        results["models"].append(bench_model(args, name, model_dir, log_dir))

    results["load_average_end"] = load_average()
    results["server_logs"] = log_dir
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    svg_plot(results, os.path.join(args.out, "results.svg"))
    print(f"wrote {args.out}/results.json and results.svg; server logs in {log_dir}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
