#!/usr/bin/env python3
"""The network table of minidl_bench, measured in PyTorch on the CPU: the same two networks, loss
settings, input, target, optimiser and timing rules as apps/bench/main.cpp, and the same JSON rows,
so that apps/bench/compare.py can put the two side by side.

    apt-get install -y python3-torch libopenblas0-openmp
    /usr/bin/python3 apps/bench/torch_reference.py --threads 2 --json torch.json
    /usr/bin/python3 apps/bench/torch_reference.py --networks humble --quick   # a smoke run

For each network and batch (humble: 1, 8, 32; tiny: 1, 8) a fresh child process builds the network,
so that the peak RSS it reports is its own, and times:
  forward     model(x) under torch.no_grad();
  train step  zero_grad, forward, the YOLOv1 loss, backward and one SGD step (lr 1e-4).
Each time is the median of at least 10 runs and 2 seconds (200 runs at most) after 3 warm-up runs;
--quick takes 2 runs after 1 warm-up (a smoke run, not a measurement).

Debian's torch loads whichever libblas.so.3 comes first on the library path. The children get the
OpenMP build of OpenBLAS first when it is installed: with the pthread build, OpenBLAS's threads and
torch's compete for the cores, and the reference BLAS is many times slower. The header line says
which BLAS the children loaded.
"""
import argparse
import collections
import json
import os
import resource
import statistics
import subprocess
import sys
import time

OPENBLAS_OPENMP = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
BATCHES = {"humble": (1, 8, 32), "tiny": (1, 8)}  # as minidl_bench

Network = collections.namedtuple("Network", "model input S B C")


def make_network(nn, name):
    """The network minidl_bench times (apps/bench/networks.cpp), layer for layer as make_model in
    apps/yolo_v1/model.cpp builds it at its reference size. Output (N, S, S, 5B + C)."""
    if name == "humble":
        # The Keras article's network: 3x64x64, 'valid' convolutions (64 -> 62 -> 31 -> 29 -> 27 ->
        # 13), a sigmoid head that predicts w and h themselves; a 2x2 grid, one box, three classes.
        S, B, C, side = 2, 1, 3, 64
        layers = [nn.Conv2d(3, 16, 1), nn.Conv2d(16, 32, 3), nn.LeakyReLU(0.3), nn.MaxPool2d(2),
                  nn.Conv2d(32, 16, 3), nn.Conv2d(16, 32, 3), nn.LeakyReLU(0.3), nn.MaxPool2d(2),
                  nn.Flatten(), nn.Linear(32 * 13 * 13, 256), nn.Sigmoid(),
                  nn.Linear(256, S * S * (5 * B + C)), nn.Sigmoid()]
    elif name == "tiny":
        # darknet's tiny YOLOv1 without batch norm: 3x448x448, six 3x3 convolutions (padding 1),
        # each followed by leaky ReLU 0.1 and a 2x2 max-pool (448 -> 7), two more 3x3
        # convolutions, and a linear dense head; a 7x7 grid, two boxes, twenty classes.
        S, B, C, side = 7, 2, 20, 448
        layers, channels = [], 3
        for filters in (16, 32, 64, 128, 256, 512):
            layers += [nn.Conv2d(channels, filters, 3, padding=1), nn.LeakyReLU(0.1),
                       nn.MaxPool2d(2)]
            channels = filters
        layers += [nn.Conv2d(512, 1024, 3, padding=1), nn.LeakyReLU(0.1),
                   nn.Conv2d(1024, 256, 3, padding=1), nn.LeakyReLU(0.1),
                   nn.Flatten(), nn.Linear(256 * 7 * 7, S * S * (5 * B + C))]
    else:
        raise ValueError(f"unknown network {name!r} (humble or tiny)")
    layers.append(nn.Unflatten(1, (S, S, 5 * B + C)))
    return Network(nn.Sequential(*layers), (3, side, side), S, B, C)


def yolo_v1_loss(torch, pred, target, S, B, C, lambda_coord=5.0, lambda_noobj=0.5):
    """minidl's yolo_v1_loss with the options minidl_bench gives it: sqrt_wh off (the head
    predicts w and h, and the loss compares sqrt(max(v, 0) + 1e-6) of both sides), rescore on (the
    responsible box's confidence is pulled to its IoU), SSE class term, lambda_obj = lambda_class
    = 1. pred (N, S, S, 5B + C) and target (N, S, S, 5 + C) as in docs/yolo_v1_conventions.md.

    Written for timing, with one simplification: the responsible predictor of a cell is the one of
    highest IoU (the lowest index on ties) even when every IoU is 0, where minidl falls back to the
    nearest predictor. That changes which predictor learns; the rule would add only a few small
    tensor operations to a step."""
    N = pred.shape[0]
    boxes = pred[..., :5 * B].reshape(N, S, S, B, 5)  # x y w h confidence, per predictor
    obj = target[..., 4].unsqueeze(-1)  # (N, S, S, 1): 1 in the cells that hold an object
    truth = target[..., :4].unsqueeze(3)  # (N, S, S, 1, 4): broadcasts against the B predictors
    grid = torch.arange(S, dtype=pred.dtype, device=pred.device)
    row, col = grid.view(S, 1, 1), grid.view(1, S, 1)  # cell (i, j) on dims 1 and 2

    def edges(b):  # cell-relative centre and image-relative size -> left, top, right, bottom
        cx, cy = (b[..., 0] + col) / S, (b[..., 1] + row) / S
        half_w, half_h = b[..., 2].clamp(min=0) / 2, b[..., 3].clamp(min=0) / 2
        return cx - half_w, cy - half_h, cx + half_w, cy + half_h

    with torch.no_grad():  # the IoU and the choice of predictor are constants of the loss
        l1, t1, r1, b1 = edges(boxes)
        l2, t2, r2, b2 = edges(truth)
        inter = ((torch.minimum(r1, r2) - torch.maximum(l1, l2)).clamp(min=0) *
                 (torch.minimum(b1, b2) - torch.maximum(t1, t2)).clamp(min=0))
        union = (r1 - l1) * (b1 - t1) + (r2 - l2) * (b2 - t2) - inter
        iou = inter / union.clamp(min=1e-12)  # (N, S, S, B)
        responsible = torch.nn.functional.one_hot(iou.argmax(-1), B).to(pred.dtype) * obj

    def root(v):
        return torch.sqrt(v.clamp(min=0) + 1e-6)

    x, y, w, h, conf = boxes.unbind(-1)
    tx, ty, tw, th = truth.unbind(-1)
    coord = (x - tx) ** 2 + (y - ty) ** 2 + (root(w) - root(tw)) ** 2 + (root(h) - root(th)) ** 2
    classes = (pred[..., 5 * B:] - target[..., 5:]) ** 2  # (N, S, S, C)
    total = (lambda_coord * (responsible * coord).sum()
             + (responsible * (conf - iou) ** 2).sum()
             + lambda_noobj * ((1 - responsible) * conf ** 2).sum()
             + (obj * classes).sum())
    return total / N


def median_ms(fn, quick):
    """Median milliseconds of fn: the rules of minidl_bench's median_ms (apps/bench/main.cpp)."""
    warmup, min_runs, min_seconds = (1, 2, 0.0) if quick else (3, 10, 2.0)
    for _ in range(warmup):
        fn()
    times = []
    while len(times) < min_runs or (sum(times) < min_seconds and len(times) < 200):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def loaded_blas():
    """The BLAS libraries mapped into this process."""
    with open("/proc/self/maps") as maps:
        return sorted({line.split()[-1] for line in maps
                       if "libopenblas" in line or "libblas" in line})


def run_one(name, batch, threads, quick):
    """One row: network `name` at `batch`, in this process (the child's side)."""
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = make_network(torch.nn, name)
    x = torch.rand(batch, *net.input)
    # The target of minidl_bench: boxes with every coordinate in [0.1, 0.9), an object in about 30%
    # of the cells, class 0 everywhere.
    target = torch.zeros(batch, net.S, net.S, 5 + net.C)
    target[..., :4] = torch.rand(batch, net.S, net.S, 4) * 0.8 + 0.1
    target[..., 4] = (torch.rand(batch, net.S, net.S) < 0.3).to(target.dtype)
    target[..., 5] = 1.0
    with torch.no_grad():
        forward = median_ms(lambda: net.model(x), quick)
    sgd = torch.optim.SGD(net.model.parameters(), lr=1e-4)

    def step():
        sgd.zero_grad(set_to_none=True)
        yolo_v1_loss(torch, net.model(x), target, net.S, net.B, net.C).backward()
        sgd.step()

    train = median_ms(step, quick)
    return {"network": name, "batch": batch, "threads": threads, "forward_ms": forward,
            "train_step_ms": train,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "params": sum(p.numel() for p in net.model.parameters()),
            "torch": torch.__version__, "blas": loaded_blas()}


def run_child(name, batch, threads, quick):
    """run_one in a fresh process, with the thread counts and the BLAS set in its environment."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    if os.path.isdir(OPENBLAS_OPENMP):
        env["LD_LIBRARY_PATH"] = OPENBLAS_OPENMP + (":" + env["LD_LIBRARY_PATH"]
                                                    if env.get("LD_LIBRARY_PATH") else "")
    cmd = [sys.executable, os.path.abspath(__file__), "--one", name, str(batch),
           "--threads", str(threads)] + (["--quick"] if quick else [])
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stderr)
        sys.exit(f"torch_reference.py: the run of {name} batch {batch} failed")
    return json.loads(lines[-1])


def write_json(path, rows):
    """Writes the rows through a temporary file renamed over `path`, so it is never half written."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(
        description="minidl_bench's network table in PyTorch (forward and training step of the "
                    "YOLO networks; medians after warm-up; peak RSS per network and batch)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default: 2)")
    parser.add_argument("--json", help="write one row per network and batch to this file")
    parser.add_argument("--networks", default="humble,tiny",
                        help="comma-separated: humble, tiny (default: humble,tiny)")
    parser.add_argument("--quick", action="store_true",
                        help="few runs (a smoke run, not a measurement)")
    parser.add_argument("--one", nargs=2, metavar=("NETWORK", "BATCH"),
                        help="internal: run one network and batch here, print its row as JSON")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    if args.one:
        name, batch = args.one[0], int(args.one[1])
        print(json.dumps(run_one(name, batch, args.threads, args.quick)))
        return
    names = [n for n in args.networks.split(",") if n]
    for name in names:
        if name not in BATCHES:
            parser.error(f"unknown network {name!r} in --networks (humble, tiny)")
    rows = []
    for name in names:
        for batch in BATCHES[name]:
            row = run_child(name, batch, args.threads, args.quick)
            if not rows:
                blas = " ".join(row["blas"]) or "(none found)"
                print(f"PyTorch {row['torch']}, {args.threads} threads, BLAS {blas}")
                print("\nnetworks (forward under no-grad; train step = zero_grad + forward + "
                      "YOLOv1 loss + backward + SGD)")
                print("| network | batch | forward ms | train step ms | peak RSS MB |")
                print("|---|---|---|---|---|")
            print(f"| {name} | {batch} | {row['forward_ms']:.1f} | {row['train_step_ms']:.1f} | "
                  f"{row['peak_rss_mb']:.0f} |", flush=True)
            rows.append(row)
    if args.json:
        write_json(args.json, rows)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
