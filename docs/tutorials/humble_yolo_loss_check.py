#!/usr/bin/env python3
# Tutorial 4's independent check: the loss of the article "Humble YOLO implementation in Keras" on
# the tutorial's worked example, computed with Python's standard library only (no TensorFlow, no
# minidl), twice: as the article prints it (its y_true_wh line reads the predictions) and corrected
# (it reads the targets). Keras semantics, step by step:
# - the loss function returns one value per (sample, cell): the sums run over the last axis only;
# - Keras' compile wraps the function (LossFunctionWrapper in tf.keras; weighted_masked_objective in
#   the Keras 2 of the article's time) and reduces that (batch, cells) tensor to the sum of its
#   elements divided by their number: the mean over samples and cells.
# Also prints the gradient of that mean with respect to a few predictions, by central differences
# (the tests compare minidl's autograd with these). In double precision.
import math

GRID_W, GRID_H = 2, 2

# The targets: the article's data file (pixels of a 64 x 64 image, cells of 32 x 32), one row per
# cell, cells in the file's order (0,0), (1,0), (0,1), (1,1) = (column, row). Each row: 3 class
# slots, then x, y, w, h in pixels, then the confidence. The article's listing shows the confidence
# line for the first cell only; we read the third cell, class "0 0 1" with the box of the whole
# cell, as the cell without a word (confidence 0) and the three others as words (confidence 1).
DATA_FILE = [
    ([0, 1, 0], (14, 22, 18, 10), 1),
    ([1, 0, 0], (35, 23, 24, 10), 1),
    ([0, 0, 1], (16, 48, 32, 32), 0),
    ([1, 0, 0], (52, 35, 24, 10), 1),
]
IMAGE, CELL = 64.0, 32.0

# Our predictions (sigmoid outputs, so in (0, 1)): 3 class scores, then x, y inside the cell,
# w, h as fractions of the image, and the confidence.
PRED = [
    [0.2, 0.7, 0.4, 0.55, 0.6, 0.25, 0.16, 0.6],
    [0.6, 0.3, 0.1, 0.15, 0.75, 0.36, 0.25, 0.5],
    [0.3, 0.2, 0.9, 0.5, 0.5, 0.3, 0.3, 0.4],
    [0.9, 0.1, 0.0, 0.45, 0.12, 0.49, 0.09, 0.8],
]


def target_rows():
    """The article's units: x, y in cells (the cell's offset included), w, h in images."""
    rows = []
    for cls, (x, y, w, h), conf in DATA_FILE:
        rows.append(cls + [x / CELL, y / CELL, w / IMAGE, h / IMAGE, conf])
    return rows


def cell_terms(t, p, col, row, as_printed):
    """The four terms of one cell, and the IoU the confidence is trained towards."""
    conf_t, conf_p = t[7], p[7]
    pred_xy = [p[3] + col, p[4] + row]  # the grid offset is added to the prediction only
    true_xy = [t[3], t[4]]
    pred_wh = [p[5], p[6]]
    true_wh = [p[5], p[6]] if as_printed else [t[5], t[6]]
    clss = sum((t[c] - p[c]) ** 2 * conf_t for c in range(2))  # class slots 0 and 1 only
    xy = sum((a - b) ** 2 for a, b in zip(true_xy, pred_xy)) * conf_t
    wh = sum((math.sqrt(a) - math.sqrt(b)) ** 2 for a, b in zip(true_wh, pred_wh)) * conf_t
    inter_wh = [max(0.0, (pred_wh[i] + true_wh[i]) / 2 - abs(pred_xy[i] - true_xy[i]))
                for i in range(2)]
    inter = inter_wh[0] * inter_wh[1]
    union = pred_wh[0] * pred_wh[1] + true_wh[0] * true_wh[1] - inter
    iou = inter / union
    conf = (conf_t * iou - conf_p) ** 2 * conf_t
    return clss, xy, wh, conf, iou


def keras_loss(y_true, y_pred, as_printed):
    """The mean over samples and cells of the per-cell sum, as Keras reduces it."""
    d = []
    for t_rows, p_rows in zip(y_true, y_pred):
        for k, (t, p) in enumerate(zip(t_rows, p_rows)):
            d.append(sum(cell_terms(t, p, k % GRID_W, k // GRID_W, as_printed)[:4]))
    return sum(d) / len(d)


def true_iou(t, p, col, row):
    """The IoU of the two boxes measured in image units (x, y divided by the grid size)."""
    px, py = (p[3] + col) / GRID_W, (p[4] + row) / GRID_H
    tx, ty = t[3] / GRID_W, t[4] / GRID_H
    iw = max(0.0, min(px + p[5] / 2, tx + t[5] / 2) - max(px - p[5] / 2, tx - t[5] / 2))
    ih = max(0.0, min(py + p[6] / 2, ty + t[6] / 2) - max(py - p[6] / 2, ty - t[6] / 2))
    return iw * ih / (p[5] * p[6] + t[5] * t[6] - iw * ih)


def main():
    y_true = target_rows()
    print("targets: class slots, then x y in cells, w h in images, conf")
    for k, t in enumerate(y_true):
        print(f"  cell ({k % GRID_W},{k // GRID_W})  " + " ".join(f"{v:g}" for v in t))
    for as_printed in (True, False):
        print("as printed (y_true_wh reads the predictions):" if as_printed else
              "corrected (y_true_wh reads the targets):")
        for k, (t, p) in enumerate(zip(y_true, PRED)):
            clss, xy, wh, conf, iou = cell_terms(t, p, k % GRID_W, k // GRID_W, as_printed)
            print(f"  cell ({k % GRID_W},{k // GRID_W})  class {clss:.5f}  xy {xy:.5f}  "
                  f"wh {wh:.5f}  conf {conf:.5f}  IoU {iou:.5f}  d {clss + xy + wh + conf:.5f}")
        loss = keras_loss([y_true], [PRED], as_printed)
        print(f"  Keras' loss, the mean over 1 image x 4 cells: {loss:.5f}")
    iou = true_iou(y_true[1], PRED[1], 1, 0)
    print(f"cell (1,0), the IoU of its two boxes in image units: {iou:.5f}")

    # d(loss)/d(prediction) by central differences, for the cells with a word
    h = 1e-6
    names = ["c0", "c1", "c2", "x", "y", "w", "h", "conf"]
    for as_printed in (True, False):
        print("gradient, " + ("as printed:" if as_printed else "corrected:"))
        for k in (0, 1, 3):
            grads = []
            for j in range(8):
                up = [row[:] for row in PRED]
                dn = [row[:] for row in PRED]
                up[k][j] += h
                dn[k][j] -= h
                g = (keras_loss([y_true], [up], as_printed) -
                     keras_loss([y_true], [dn], as_printed)) / (2 * h)
                grads.append(f"{names[j]} {g:+.5f}")
            print(f"  cell ({k % GRID_W},{k // GRID_W})  " + "  ".join(grads))


if __name__ == "__main__":
    main()
