#!/usr/bin/python3
"""Time a DistilBERT-shaped forward pass in PyTorch eager mode.

This is the reference for bench_encoder's float32 MFU. The layers are those
of Hugging Face's DistilBERT, with separate q, k and v projections, written
with torch.nn so that every product goes through libtorch's own linear and
matmul. Run it on the same machine as bench_encoder, with Debian's
python3-torch (1.13, the libtorch that libtorch-dev ships):

    apt-get install python3-torch
    bench/model/eager_reference.py [--threads N] [--seconds S]

It first measures torch.mm on the encoder's three linear-layer shapes at
1,024 rows, as bench/common/gemm_peak.h does, and divides each pass's model
FLOP/s by the best of them. Model FLOPs count the matrix products only, with
the formula of bench_encoder.cc, so the two programs' MFUs compare directly
when run one after the other. Weights are random because their values do
not change the amount of work.
"""

import argparse
import math
import time

import torch
from torch import nn

DIM = 768
HEADS = 12
HIDDEN = 3072
LAYERS = 6
VOCAB = 30522
POSITIONS = 512

# (batch, length) pairs of bench_encoder's float32 table.
SHAPES = [(1, 16), (8, 16), (16, 16), (4, 64), (1, 256), (16, 64), (8, 128), (4, 256), (16, 256)]


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_lin = nn.Linear(DIM, DIM)
        self.k_lin = nn.Linear(DIM, DIM)
        self.v_lin = nn.Linear(DIM, DIM)
        self.out_lin = nn.Linear(DIM, DIM)
        self.sa_layer_norm = nn.LayerNorm(DIM, eps=1e-12)
        self.lin1 = nn.Linear(DIM, HIDDEN)
        self.lin2 = nn.Linear(HIDDEN, DIM)
        self.output_layer_norm = nn.LayerNorm(DIM, eps=1e-12)

    def forward(self, x):
        batch, length, _ = x.shape
        head_dim = DIM // HEADS

        def split_heads(t):
            return t.view(batch, length, HEADS, head_dim).transpose(1, 2)

        q = split_heads(self.q_lin(x)) / math.sqrt(head_dim)
        k = split_heads(self.k_lin(x))
        v = split_heads(self.v_lin(x))
        weights = torch.softmax(torch.matmul(q, k.transpose(2, 3)), dim=-1)
        context = torch.matmul(weights, v).transpose(1, 2).reshape(batch, length, DIM)
        x = self.sa_layer_norm(self.out_lin(context) + x)
        return self.output_layer_norm(self.lin2(nn.functional.gelu(self.lin1(x))) + x)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, DIM)
        self.position_embeddings = nn.Embedding(POSITIONS, DIM)
        self.embedding_norm = nn.LayerNorm(DIM, eps=1e-12)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))

    def forward(self, ids):
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.embedding_norm(self.word_embeddings(ids) + self.position_embeddings(positions))
        for layer in self.layers:
            x = layer(x)
        return x


def model_flops(batch, length):
    """Return the FLOPs of one pass's matrix products, as bench_encoder.cc counts them."""
    tokens = batch * length
    per_layer = 8 * tokens * DIM * DIM + 4 * tokens * DIM * HIDDEN + 4 * batch * length * length * DIM
    return LAYERS * per_layer


def best_seconds(run, min_seconds):
    """Return the fastest of repeated calls of RUN, timed for at least MIN_SECONDS after one warm-up."""
    run()
    best = math.inf
    start = time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        begin = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - begin)
    return best


def mean_seconds(run, min_seconds):
    """Return the mean time of RUN over repeated calls for at least MIN_SECONDS after one warm-up.

    bench_encoder reports the mean pass time the same way.
    """
    run()
    calls = 0
    start = time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        run()
        calls += 1
    return (time.perf_counter() - start) / calls


def measure_gemm_limit(min_seconds):
    """Return the best torch.mm FLOP/s over the encoder's linear-layer shapes at 1,024 rows."""
    limit = 0.0
    for m, k, n in [(1024, DIM, DIM), (1024, DIM, HIDDEN), (1024, HIDDEN, DIM)]:
        a = torch.randn(m, k)
        weight = torch.randn(n, k)  # stored [out, in] and passed transposed, as nn.Linear does
        seconds = best_seconds(lambda: torch.mm(a, weight.t()), min_seconds)
        flops = 2.0 * m * k * n / seconds
        print(f"torch.mm {m}x{k}x{n}: {flops / 1e9:.1f} GFLOP/s")
        limit = max(limit, flops)
    return limit


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="libtorch intra-op threads (default 1; OpenBLAS keeps its own threads for the products)",
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="minimum timing per shape, in seconds (default 2)")
    args = parser.parse_args()

    torch.manual_seed(1)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} intra-op threads")
    limit = measure_gemm_limit(args.seconds / 2)
    print(f"GEMM limit {limit / 1e9:.1f} GFLOP/s")

    encoder = Encoder().eval()
    print("| batch × length | tokens/s | MFU |")
    print("| --- | --- | --- |")
    with torch.inference_mode():
        for batch, length in SHAPES:
            ids = torch.randint(1000, VOCAB, (batch, length))
            seconds = mean_seconds(lambda: encoder(ids), args.seconds)
            mfu = model_flops(batch, length) / seconds / limit
            print(f"| {batch} × {length} | {batch * length / seconds:,.0f} | {mfu:.2f} |")


if __name__ == "__main__":
    main()
