#!/usr/bin/env python3
"""Puts minidl_bench --json and torch_reference.py --json side by side, with minidl/PyTorch ratios.

    python3 apps/bench/compare.py minidl.json torch.json
"""
import json, sys

ours = {(r["network"], r["batch"]): r for r in json.load(open(sys.argv[1]))}
ref = {(r["network"], r["batch"]): r for r in json.load(open(sys.argv[2]))}
print("| network | batch | threads | fwd ms minidl | fwd ms torch | ratio | step ms minidl | step ms torch | ratio | RSS MB minidl | RSS MB torch | ratio |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for key in sorted(ours):
    if key not in ref:
        continue
    a, b = ours[key], ref[key]
    cells = [a["network"], str(a["batch"]), str(a["threads"])]
    for f in ("forward_ms", "train_step_ms", "peak_rss_mb"):
        cells += [f"{a[f]:.1f}", f"{b[f]:.1f}", f"{a[f] / b[f]:.2f}"]
    print("| " + " | ".join(cells) + " |")
