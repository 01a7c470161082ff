#!/usr/bin/env python3
# Tutorial 2's independent check: the Keras SimpleYoloLoss on the tutorial's example, computed with
# Python's standard library only (no TensorFlow, no minidl), following Keras 3's semantics step by
# step: binary_crossentropy and categorical_crossentropy on probabilities (clip to [1e-7, 1 - 1e-7];
# the categorical one first divides by the sum) and the reduction "sum_over_batch_size" (the mean
# over the batch). In double precision; TensorFlow's float32 agrees to about 1e-7.
import math

EPS = 1e-7  # keras.backend.epsilon()


def clip(p):
    return min(max(p, EPS), 1.0 - EPS)


def binary_crossentropy(t, p):  # one row's objectness (the last axis has size 1)
    p = clip(p)
    return -(t * math.log(p) + (1 - t) * math.log(1 - p))


def categorical_crossentropy(t, p):  # one row's class probabilities
    s = sum(p)
    p = [clip(v / s) for v in p]
    return -sum(ti * math.log(pi) for ti, pi in zip(t, p))


def simple_yolo_loss(y_true, y_pred, lambda_box=5.0, lambda_noobj=0.5):
    """Returns the loss and its four terms, each averaged over the batch."""
    totals, terms = [], [0.0, 0.0, 0.0, 0.0]  # box, obj, noobj, class
    for rows_t, rows_p in zip(y_true, y_pred):  # each sample
        box = obj = noobj = cls = 0.0
        for t, p in zip(rows_t, rows_p):  # each row [x, y, w, h, objectness, classes...]
            o = t[4]
            bce = binary_crossentropy(t[4], p[4])
            box += o * sum((a - b) ** 2 for a, b in zip(t[0:4], p[0:4]))
            obj += o * bce
            noobj += (1 - o) * bce
            cls += o * categorical_crossentropy(t[5:], p[5:])
        sample = (lambda_box * box, obj, lambda_noobj * noobj, cls)
        terms = [a + b for a, b in zip(terms, sample)]
        totals.append(sum(sample))
    n = len(totals)
    return sum(totals) / n, [v / n for v in terms]


y_true = [[[0.5, 0.5, 0.2, 0.2, 1, 1, 0], [0, 0, 0, 0, 0, 0, 1]]]
y_pred = [[[0.45, 0.55, 0.25, 0.18, 0.9, 0.8, 0.2], [0.1, 0.1, 0.1, 0.1, 0.3, 0.4, 0.6]]]
loss, (box, obj, noobj, cls) = simple_yolo_loss(y_true, y_pred)
print(f"box {box:.6f}  obj {obj:.6f}  noobj {noobj:.6f}  class {cls:.6f}")
print(f"loss = {loss:.6f}")
