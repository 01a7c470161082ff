#!/usr/bin/env python3
"""minidl beside PyTorch in pairs, so that a change of load cannot land on one side only.

    python3 apps/bench/pairs.py --bench build/apps/bench/minidl_bench --rounds 5 --threads 2
    python3 apps/bench/pairs.py --bench ... --networks tiny --batches 8 --json pairs.json

For every (network, batch) it runs `minidl_bench --one` and `torch_reference.py --one` (each a
fresh process: the same timing rules, its own peak RSS) back to back, `--rounds` times, and swaps
which of the two goes first every round (ABBA), so that a slow spell that starts or ends in the
middle of a round falls as often on one side as on the other. A ratio is formed inside each pair
only; the table gives the median of those ratios and their range, and the 1-minute load average
seen before each pair. The cells of the times are medians over the rounds.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch_reference  # noqa: E402  (its run_child sets PyTorch's threads and BLAS)

FIELDS = (("forward_ms", "fwd ms"), ("train_step_ms", "step ms"), ("peak_rss_mb", "RSS MB"))


def run_minidl(bench, name, batch, threads, quick):
    """One `minidl_bench --one` child; its ROW line as a dict (the fields of the JSON rows)."""
    cmd = [bench, "--one", name, str(batch), "--threads", str(threads)] + (
        ["--quick"] if quick else [])
    done = subprocess.run(cmd, capture_output=True, text=True)
    rows = [ln.split() for ln in done.stdout.splitlines() if ln.startswith("ROW ")]
    if done.returncode != 0 or not rows:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"pairs.py: {' '.join(cmd)} failed (exit {done.returncode})")
    _, net, b, t, fwd, step, rss = rows[-1][:7]
    return {"network": net, "batch": int(b), "threads": int(t), "forward_ms": float(fwd),
            "train_step_ms": float(step), "peak_rss_mb": float(rss)}


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def spread(values, fmt="{:.2f}"):
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-" \
           f"{fmt.format(max(values))})"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bench", default="build/apps/bench/minidl_bench", help="minidl_bench's path")
    p.add_argument("--rounds", type=int, default=5, help="pairs per configuration (default 5)")
    p.add_argument("--threads", type=int, default=2, help="CPU threads of both (default 2)")
    p.add_argument("--networks", default="humble,tiny", help="comma-separated: humble, tiny")
    p.add_argument("--batches", help="comma-separated batch sizes (default: the bench's own)")
    p.add_argument("--quick", action="store_true", help="few runs per child (a smoke test)")
    p.add_argument("--json", help="write every pair (both rows and the load) to this file")
    a = p.parse_args()
    if a.rounds < 1 or a.threads < 1:
        p.error("--rounds and --threads must be at least 1")
    if not os.access(a.bench, os.X_OK):
        p.error(f"--bench {a.bench}: not an executable (build the minidl_bench target first)")
    configs = []
    for name in filter(None, a.networks.split(",")):
        if name not in torch_reference.BATCHES:
            p.error(f"unknown network {name!r} in --networks (humble, tiny)")
        batches = [int(b) for b in a.batches.split(",")] if a.batches else \
            torch_reference.BATCHES[name]
        configs += [(name, b) for b in batches]

    pairs = []
    print(f"{a.rounds} rounds, {a.threads} threads; minidl and PyTorch alternate first each round")
    head = "| network | batch | load |"
    for _, label in FIELDS:
        head += f" {label} minidl | {label} torch | ratio (range) |"
    print(head + "\n|" + "---|" * (3 + 3 * len(FIELDS)), flush=True)
    for name, batch in configs:
        rows = []
        for r in range(a.rounds):
            load = load1()
            sides = {}
            for side in (("minidl", "torch") if r % 2 == 0 else ("torch", "minidl")):
                sides[side] = run_minidl(a.bench, name, batch, a.threads, a.quick) \
                    if side == "minidl" else \
                    torch_reference.run_child(name, batch, a.threads, a.quick)
            rows.append({"round": r, "load1": load, **sides})
        pairs += rows
        cells = [name, str(batch), spread([x["load1"] for x in rows], "{:.1f}")]
        for field, _ in FIELDS:
            ours = [x["minidl"][field] for x in rows]
            ref = [x["torch"][field] for x in rows]
            cells += [f"{statistics.median(ours):.1f}", f"{statistics.median(ref):.1f}",
                      spread([m / t for m, t in zip(ours, ref)])]
        print("| " + " | ".join(cells) + " |", flush=True)
    print("\ncells: medians over the rounds; ratio: minidl / PyTorch within each pair, median "
          "(min-max); load: 1-minute load average before each pair, median (min-max)")
    if a.json:
        torch_reference.write_json(a.json, pairs)
        print(f"wrote {a.json}")


if __name__ == "__main__":
    main()
