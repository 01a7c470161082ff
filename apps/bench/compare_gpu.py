#!/usr/bin/env python3
"""Puts minidl_bench_gpu --json and torch_gpu_reference.py --json side by side (Markdown), with
minidl / PyTorch time ratios (above 1: minidl is slower).

    python3 apps/bench/compare_gpu.py minidl_gpu.json torch_gpu.json
"""
import json, sys

ours, ref = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
key = lambda r: (r["network"], r["batch"]) if r["kind"] == "network" else (r["net"], r["N"], r["C"], r["H"], r["F"], r["k"])
theirs = {(r["kind"],) + key(r): r for r in ref}
print("| network | batch | fwd ms minidl | fwd ms torch | ratio | train step ms minidl | train step ms torch | ratio |")
print("|---|---|---|---|---|---|---|---|")
for a in (r for r in ours if r["kind"] == "network"):
    b = theirs.get(("network",) + key(a))
    if b:
        print(f"| {a['network']} | {a['batch']} | {a['forward_ms']:.2f} | {b['forward_ms']:.2f} | "
              f"{a['forward_ms'] / b['forward_ms']:.2f} | {a['train_step_ms']:.2f} | {b['train_step_ms']:.2f} | "
              f"{a['train_step_ms'] / b['train_step_ms']:.2f} |")
print()
print("conv2d GFLOP/s (forward; fwd+bwd counts 3 passes; sgemm = the forward's gemm, once per image)")
print("| net | N | C | HxW | F | k | fwd minidl | fwd torch | fwd+bwd minidl | fwd+bwd torch | "
      "sgemm minidl (cuBLAS) | sgemm torch | minidl fwd / own sgemm |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for a in (r for r in ours if r["kind"] == "conv"):
    b = theirs.get(("conv",) + key(a))
    if b:
        g = a["gflop"]
        print(f"| {a['net']} | {a['N']} | {a['C']} | {a['H']}x{a['H']} | {a['F']} | {a['k']} | "
              f"{g / a['fwd_ms'] * 1e3:.0f} | {g / b['fwd_ms'] * 1e3:.0f} | {3 * g / a['fwd_bwd_ms'] * 1e3:.0f} | "
              f"{3 * g / b['fwd_bwd_ms'] * 1e3:.0f} | {g / a['sgemm_ms'] * 1e3:.0f} | {g / b['sgemm_ms'] * 1e3:.0f} | "
              f"{100 * a['sgemm_ms'] / a['fwd_ms']:.0f}% |")
