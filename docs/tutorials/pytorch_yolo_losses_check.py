#!/usr/bin/env python3
# Tutorial 3's independent check: the three YOLO losses of the article "How can a YOLO loss function
# be implemented from scratch in PyTorch?" on our example grid, computed with Python's standard
# library only (no PyTorch, no minidl), following PyTorch's documented semantics:
#   - nn.MSELoss(), nn.SmoothL1Loss() (beta = 1) and F.binary_cross_entropy, all with the default
#     reduction "mean": the sum of the per-element losses over the number of elements;
#   - SmoothL1 per element: 0.5 d^2 where |d| < 1, |d| - 0.5 elsewhere (d = pred - target);
#   - BCE per element: -(t log p + (1 - t) log(1 - p)), each log clamped to be >= -100;
#   - the mean of no elements is nan (pytorch/pytorch#50224: a loss on empty inputs with
#     reduction "mean" returns nan);
#   - x[mask] with a boolean mask over (batch, S, S) keeps, in row-major order, the cells where the
#     mask is true: a list of numbers for x (batch, S, S), of vectors for x (batch, S, S, K).
# calculate_iou, which the article leaves out, the empty-selection guard and the corrected Example 3
# are ours, as on the page. In double precision; minidl's float32 agrees to about 1e-7.
# Usage: python3 docs/tutorials/pytorch_yolo_losses_check.py
import math

NAN = float("nan")


def cells(x):
    """The cells of a (batch, S, S, D) nested list, in row-major order."""
    return [cell for image in x for row in image for cell in row]


def mean(values):
    return sum(values) / len(values) if values else NAN


def flat(xs):
    return [v for x in xs for v in (x if isinstance(x, list) else [x])]


def mse(p, t):  # nn.MSELoss()
    return mean([(a - b) ** 2 for a, b in zip(flat(p), flat(t))])


def smooth_l1(p, t):  # nn.SmoothL1Loss(), beta = 1
    return mean([0.5 * (a - b) ** 2 if abs(a - b) < 1 else abs(a - b) - 0.5
                 for a, b in zip(flat(p), flat(t))])


def clamped_log(v):  # BCELoss clamps its logs to be >= -100
    return max(math.log(v), -100.0) if v > 0 else -100.0


def bce(p, t):  # F.binary_cross_entropy
    return mean([-(b * clamped_log(a) + (1 - b) * clamped_log(1 - a))
                 for a, b in zip(flat(p), flat(t))])


def select(values, mask):  # values[mask]
    return [v for v, m in zip(values, mask) if m]


def parts(x):
    """The article's slices, per cell: box [..., :4], confidence [..., 4], classes [..., 5:]."""
    c = cells(x)
    return [r[:4] for r in c], [r[4] for r in c], [r[5:] for r in c]


def example_1(pred, target):
    p_box, p_conf, p_cls = parts(pred)
    t_box, t_conf, t_cls = parts(target)
    return mse(p_box, t_box) + mse(p_conf, t_conf) + mse(p_cls, t_cls)


def example_2(pred, target, guard=False, l_coord=5, l_obj=1, l_noobj=0.5, l_class=1):
    p_box, p_conf, p_cls = parts(pred)
    t_box, t_conf, t_cls = parts(target)
    obj = [c != 0 for c in t_conf]  # target_conf.bool()
    noobj = [not m for m in obj]
    terms = [smooth_l1(p_box, t_box) * l_coord,
             mse(select(p_conf, obj), select(t_conf, obj)) * l_obj,
             mse(select(p_conf, noobj), select(t_conf, noobj)) * l_noobj,
             bce(select(p_cls, obj), select(t_cls, obj)) * l_class]
    if guard:  # ours: a term over an empty selection counts 0
        terms = [0.0 if math.isnan(v) else v for v in terms]
    return sum(terms)


def calculate_iou(a, b):
    """Ours: IoU of two boxes given as centre x, y, width, height; 0 when the union is 0."""
    ax0, ay0, ax1, ay1 = a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2
    bx0, by0, bx1, by1 = b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def example_3(pred, target, l_coord=5, l_obj=1, l_noobj=0.5, l_class=1):
    """As printed: the mask is IoU(pred box, target box) > 0.5, and it is the confidence target."""
    p_box, p_conf, p_cls = parts(pred)
    t_box, _, t_cls = parts(target)
    obj_mask = [1.0 if calculate_iou(p, t) > 0.5 else 0.0 for p, t in zip(p_box, t_box)]
    pos = [m > 0 for m in obj_mask]
    neg = [m == 0 for m in obj_mask]
    return (smooth_l1(select(p_box, pos), select(t_box, pos)) * l_coord
            + mse(select(p_conf, pos), select(obj_mask, pos)) * l_obj
            + mse(select(p_conf, neg), select(obj_mask, neg)) * l_noobj
            + bce(select(p_cls, pos), select(t_cls, pos)) * l_class)


def example_3_corrected(pred, target, l_coord=5, l_obj=1, l_noobj=0.5, l_class=1):
    """Ours: object cells from the target, as in Example 2; the IoU is their confidence target."""
    p_box, p_conf, p_cls = parts(pred)
    t_box, t_conf, t_cls = parts(target)
    obj = [c != 0 for c in t_conf]
    noobj = [not m for m in obj]
    iou = [calculate_iou(p, t) for p, t in zip(p_box, t_box)]
    return (smooth_l1(select(p_box, obj), select(t_box, obj)) * l_coord
            + mse(select(p_conf, obj), select(iou, obj)) * l_obj
            + mse(select(p_conf, noobj), [0.0] * noobj.count(True)) * l_noobj
            + bce(select(p_cls, obj), select(t_cls, obj)) * l_class)


# Our example (the article gives none): batch 1, S = 2, C = 2; cells [x, y, w, h, conf, c0, c1]
# with x, y, w, h the box's centre and size, all in image units.
target = [[[[0.25, 0.25, 0.4, 0.4, 1, 1, 0], [0, 0, 0, 0, 0, 0, 0]],
           [[0, 0, 0, 0, 0, 0, 0], [0.75, 0.75, 0.2, 0.4, 1, 0, 1]]]]
pred = [[[[0.35, 0.25, 0.4, 0.4, 0.8, 0.9, 0.2], [0.6, 0.2, 0.3, 0.2, 0.2, 0.5, 0.5]],
         [[0, 0, 0, 0, 0.4, 0.3, 0.6], [0.75, 0.55, 1.7, 0.4, 0.7, 0.4, 0.6]]]]
no_object = [[[[0.0] * 7, [0.0] * 7], [[0.0] * 7, [0.0] * 7]]]
# The same prediction with cell (0, 0)'s box moved to x = 0.7: no predicted box overlaps its target.
far = [[[[0.7] + pred[0][0][0][1:], pred[0][0][1]], pred[0][1]]]


def show(value):
    return "nan" if math.isnan(value) else f"{value:.6f}"


print(f"Example 1, MSE on every part:               {show(example_1(pred, target))}")
print(f"Example 2, SmoothL1 + masked MSE + BCE:     {show(example_2(pred, target))}")
print(f"Example 2, no object in the batch:          {show(example_2(pred, no_object))}")
print(f"Example 2, no object, empty terms as 0:     {show(example_2(pred, no_object, True))}")
ious = [calculate_iou(p, t) for p, t in zip(parts(pred)[0], parts(target)[0])]
print("IoU(pred box, target box) by cell:          " + " ".join(f"{v:.4f}" for v in ious))
print(f"Example 3 as printed, mask IoU > 0.5:       {show(example_3(pred, target))}")
print(f"Example 3 as printed, no IoU above 0.5:     {show(example_3(far, target))}")
print(f"Example 3 corrected (ours):                 {show(example_3_corrected(pred, target))}")
