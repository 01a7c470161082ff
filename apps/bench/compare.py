#!/usr/bin/env python3
"""Puts minidl_bench --json and torch_reference.py --json side by side, with minidl/PyTorch ratios.

    python3 apps/bench/compare.py minidl.json torch.json
    python3 apps/bench/compare.py minidl_1.json minidl_2.json -- torch_1.json torch_2.json

With several runs of each (run i of minidl beside run i of PyTorch, made back to back), each cell
is the median over the runs, and each ratio the median of the runs' ratios with its range: on a
shared machine single figures move 10-25% (and more under load), ratios of neighbouring runs less.
"""
import json, statistics, sys

FIELDS = ("forward_ms", "train_step_ms", "peak_rss_mb")


def load(paths):
    return [{(r["network"], r["batch"]): r for r in json.load(open(p))} for p in paths]


args = sys.argv[1:]
if "--" in args:
    cut = args.index("--")
    ours, ref = load(args[:cut]), load(args[cut + 1:])
else:
    if len(args) != 2:
        sys.exit(__doc__)
    ours, ref = load(args[:1]), load(args[1:])
if len(ours) != len(ref):
    sys.exit("compare.py: give as many minidl runs as PyTorch runs (paired in order)")

several = len(ours) > 1
head = "| network | batch | threads |"
for f in ("fwd ms", "step ms", "RSS MB"):
    head += f" {f} minidl | {f} torch | ratio{' (range)' if several else ''} |"
print(head)
print("|" + "---|" * (3 + 3 * len(FIELDS)))
for key in sorted(ours[0]):
    if any(key not in o for o in ours) or any(key not in r for r in ref):
        continue
    cells = [key[0], str(key[1]), str(ours[0][key]["threads"])]
    for f in FIELDS:
        a = [o[key][f] for o in ours]
        b = [r[key][f] for r in ref]
        ratios = [x / y for x, y in zip(a, b)]
        cell = f"{statistics.median(ratios):.2f}"
        if several:
            cell += f" ({min(ratios):.2f}-{max(ratios):.2f})"
        cells += [f"{statistics.median(a):.1f}", f"{statistics.median(b):.1f}", cell]
    print("| " + " | ".join(cells) + " |")
if several:
    print(f"\n{len(ours)} runs each; cells are medians, ratios the median (and range) of the runs' ratios")
