#!/usr/bin/env python3
# Tutorial 2's independent check: the SimpleYoloLoss of the article "Keras custom loss function for
# YOLO" on the article's two-row example (and on a batch of two samples, the second ours), computed
# with Python's standard library only: no TensorFlow, no minidl. It follows what Keras documents and
# does, one step at a time, in double precision (TensorFlow computes in float32, which agrees to
# about 1e-7):
#   - y[..., a:b] slices the last axis; tf.square squares every element; tf.reduce_sum with no axis
#     sums every element of the tensor, the batch axis included;
#   - keras.losses.categorical_crossentropy(t, p, from_logits=False) on the last axis: p is divided
#     by its sum, clipped to [eps, 1 - eps] with eps = keras.backend.epsilon() = 1e-7, and the
#     result is -sum(t * log p); one value per row;
#   - tf.squeeze(x, axis=-1) drops the last axis (of size 1);
#   - a tf.keras.losses.Loss subclass hands what call() returns to its reduction, by default
#     "sum_over_batch_size": the sum of the values divided by how many there are (Keras 3 returns a
#     0-d value unchanged; tf.keras 2 divides its sum by its size, 1). call() here returns a scalar,
#     so the reduction leaves it as it is.
# Usage: python3 docs/tutorials/keras_simple_yolo_loss_check.py
import math

EPS = 1e-7  # keras.backend.epsilon()


def last_axis(x, f):
    """Applies f to every innermost list (a vector along the last axis) of a nested list."""
    return f(x) if not isinstance(x[0], list) else [last_axis(v, f) for v in x]


def elementwise(f, *xs):
    """f applied element by element to nested lists of one shape."""
    if not isinstance(xs[0], list):
        return f(*xs)
    return [elementwise(f, *parts) for parts in zip(*xs)]


def reduce_sum(x):  # tf.reduce_sum(x): every axis
    return sum(reduce_sum(v) for v in x) if isinstance(x, list) else x


def num_elements(x):
    return sum(num_elements(v) for v in x) if isinstance(x, list) else 1


def categorical_crossentropy(t, p):  # one row of class probabilities, from_logits=False
    s = sum(p)
    p = [min(max(v / s, EPS), 1.0 - EPS) for v in p]
    return -sum(ti * math.log(pi) for ti, pi in zip(t, p))


def call(y_true, y_pred, lambda_box=5.0, lambda_noobj=0.5):
    """The article's call(), term by term; returns the scalar and the four unweighted sums."""
    true_box = last_axis(y_true, lambda r: r[0:4])
    pred_box = last_axis(y_pred, lambda r: r[0:4])
    true_obj = last_axis(y_true, lambda r: r[4:5])
    pred_obj = last_axis(y_pred, lambda r: r[4:5])
    true_cls = last_axis(y_true, lambda r: r[5:])
    pred_cls = last_axis(y_pred, lambda r: r[5:])

    # The masks (B, R, 1) broadcast over the 4 box values: repeat each row's mask 4 times.
    obj4 = last_axis(true_obj, lambda r: r * 4)
    box = reduce_sum(elementwise(lambda a, b, m: (a - b) ** 2 * m, true_box, pred_box, obj4))
    obj = reduce_sum(elementwise(lambda a, b: (a - b) ** 2 * a, true_obj, pred_obj))
    noobj = reduce_sum(elementwise(lambda a, b: (a - b) ** 2 * (1.0 - a), true_obj, pred_obj))

    # categorical_crossentropy reduces the last axis, (B, R, C) -> (B, R);
    # the squeeze drops the mask's last axis, (B, R, 1) -> (B, R)
    cce = [[categorical_crossentropy(t, p) for t, p in zip(ts, ps)]
           for ts, ps in zip(true_cls, pred_cls)]
    mask = last_axis(true_obj, lambda r: r[0])
    cls = reduce_sum(elementwise(lambda c, m: c * m, cce, mask))

    return lambda_box * box + obj + lambda_noobj * noobj + cls, (box, obj, noobj, cls)


def sum_over_batch_size(values):
    """Keras' default reduction: the sum of the values divided by how many there are. Keras 3
    returns a 0-d value as it is; tf.keras 2 divides its sum by its size, 1: the same value."""
    return reduce_sum(values) / num_elements(values)


def loss_fn(y_true, y_pred):
    """SimpleYoloLoss()(y_true, y_pred): call(), then the reduction of the scalar it returns."""
    value, terms = call(y_true, y_pred)
    return sum_over_batch_size(value), terms


# The article's example: one sample, two rows [x, y, w, h, objectness, class_0, class_1].
article_true = [[[0.5, 0.5, 0.2, 0.2, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]]
article_pred = [[[0.45, 0.55, 0.25, 0.18, 0.9, 0.8, 0.2], [0.1, 0.1, 0.1, 0.1, 0.3, 0.4, 0.6]]]
loss, (box, obj, noobj, cls) = loss_fn(article_true, article_pred)
print(f"box_loss   {box:.6f}  x lambda_box 5     = {5.0 * box:.6f}")
print(f"obj_loss   {obj:.6f}                     = {obj:.6f}")
print(f"noobj_loss {noobj:.6f}  x lambda_noobj 0.5 = {0.5 * noobj:.6f}")
print(f"cls_loss   {cls:.6f}                     = {cls:.6f}")
print(f"loss = {loss:.6f}")

# A second sample (ours): an object of class 1 in row 0, background in row 1.
ours_true = [[[0.3, 0.6, 0.1, 0.4, 1.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]]]
ours_pred = [[[0.3, 0.5, 0.1, 0.4, 0.5, 0.5, 0.5], [0.2, 0.2, 0.2, 0.2, 0.2, 0.9, 0.1]]]
second, _ = loss_fn(ours_true, ours_pred)
both, _ = loss_fn(article_true + ours_true, article_pred + ours_pred)
print(f"batch of 2: {both:.6f} = {loss:.6f} + {second:.6f} (the mean would be {both / 2:.6f})")
