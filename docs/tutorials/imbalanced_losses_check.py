#!/usr/bin/env python3
# Tutorial 5's independent check: the three losses of the article "How do I implement a custom
# loss function in Keras?" on the tutorial's examples, with Python's standard library only (no
# TensorFlow, no minidl). Keras semantics: each function returns one value per sample, the mean
# over the last axis; Keras' compile wraps the function and reduces those values with
# "sum_over_batch_size", their sum divided by their number: the mean over the batch. In double
# precision.
import math

EPS = 1e-7  # the article's clip


def mean(values):
    return sum(values) / len(values)


def weighted_mse(y_true, y_pred, weights):
    return [mean([w * (p - t) ** 2 for t, p, w in zip(rt, rp, weights)])
            for rt, rp in zip(y_true, y_pred)]


def huber(y_true, y_pred, delta=1.0):
    def one(e):
        return 0.5 * e * e if e <= delta else delta * e - 0.5 * delta * delta
    return [mean([one(abs(p - t)) for t, p in zip(rt, rp)]) for rt, rp in zip(y_true, y_pred)]


def focal(y_true, y_pred, gamma=2.0, alpha=0.25):
    """The article's: one alpha for both classes."""
    def one(t, p):
        p = min(max(p, EPS), 1 - EPS)
        ce = -t * math.log(p) - (1 - t) * math.log(1 - p)
        p_t = t * p + (1 - t) * (1 - p)
        return alpha * (1 - p_t) ** gamma * ce
    return [mean([one(t, p) for t, p in zip(rt, rp)]) for rt, rp in zip(y_true, y_pred)]


def focal_alpha_t(y_true, y_pred, gamma=2.0, alpha=0.25):
    """Lin et al.'s: alpha for the positives, 1 - alpha for the negatives (not the article's)."""
    def one(t, p):
        p = min(max(p, EPS), 1 - EPS)
        p_t = t * p + (1 - t) * (1 - p)
        a_t = t * alpha + (1 - t) * (1 - alpha)
        return -a_t * (1 - p_t) ** gamma * math.log(p_t)
    return [mean([one(t, p) for t, p in zip(rt, rp)]) for rt, rp in zip(y_true, y_pred)]


def show(name, per_sample):
    values = " ".join(f"{v:.6f}" for v in per_sample)
    print(f"{name}: per sample {values}; Keras' loss {mean(per_sample):.6f}")


def main():
    show("weighted MSE, weights (1, 2, 3)",
         weighted_mse([[1.5, 1, 3.5], [1, 1, 1]], [[1, 2, 3], [0, 0, 0]], [1, 2, 3]))
    show("Huber, delta 1", huber([[0, 0], [0, 0]], [[0.5, -2], [3, -0.2]]))
    y_true, y_pred = [[1, 1], [0, 0]], [[0.9, 0.3], [0.2, 0.6]]
    show("focal (the article's), gamma 2, alpha 0.25", focal(y_true, y_pred))
    print(f"  alpha 0.95: Keras' loss {mean(focal(y_true, y_pred, alpha=0.95)):.6f}")
    show("focal (Lin et al.'s alpha_t), gamma 2, alpha 0.25", focal_alpha_t(y_true, y_pred))
    print(f"focal (the article's), p = 0 for a positive: {mean(focal([[1]], [[0]])):.4f}")

if __name__ == "__main__":
    main()
