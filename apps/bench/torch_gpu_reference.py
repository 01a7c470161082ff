#!/usr/bin/env python3
"""The GPU benchmark of minidl_bench_gpu (apps/bench/gpu.cpp) in PyTorch, on the same GPU, timed the
same way: medians after 3 warm-ups, synchronised around each run, FP32 (TF32 off, as minidl's
cuBLAS calls). The networks and the loss are those of the CPU reference, torch_reference.py beside
this file (or the file given with --reference), which builds `humble` and `tiny` as minidl_bench
does.

    python3 apps/bench/torch_gpu_reference.py --json torch_gpu.json
    (--device cpu --quick: a smoke run of this script where there is no GPU; not a measurement)
"""
import importlib.util, json, os, statistics, sys, time


DEVICE, RUNS = "cuda", 10  # set by main()


def sync(torch):
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def median_ms(torch, fn):
    for _ in range(3):
        fn()
    sync(torch)
    ts = []
    while len(ts) < RUNS or (sum(ts) < 0.3 and len(ts) < 200 and RUNS > 2):
        t = time.perf_counter(); fn(); sync(torch); ts.append(time.perf_counter() - t)
    return 1e3 * statistics.median(ts)


def network_row(torch, ref, name, batch):
    nn = torch.nn
    torch.manual_seed(0)
    net = ref.make_network(nn, name)
    model, shape, S, B, C = net.model.to(DEVICE), net.input, net.S, net.B, net.C
    x = torch.rand(batch, *shape, device=DEVICE)
    target = torch.zeros(batch, S, S, 5 + C, device=DEVICE)
    target[..., :4] = torch.rand(batch, S, S, 4, device=DEVICE) * 0.8 + 0.1
    target[..., 4] = (torch.rand(batch, S, S, device=DEVICE) < 0.3).float()
    target[..., 5] = 1.0
    with torch.no_grad():
        fwd = median_ms(torch, lambda: model(x))
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)

    def step():  # the loss makes its grid on pred's device
        opt.zero_grad(set_to_none=True)
        ref.yolo_v1_loss(torch, model(x), target, S, B, C).backward()
        opt.step()
    return dict(kind="network", network=name, batch=batch, forward_ms=fwd, train_step_ms=median_ms(torch, step))


def conv_shapes(humble_batch, tiny_batch):
    s = [("humble", humble_batch, 3, 64, 16, 1, 0), ("humble", humble_batch, 16, 64, 32, 3, 0),
         ("humble", humble_batch, 32, 31, 16, 3, 0), ("humble", humble_batch, 16, 29, 32, 3, 0)]
    c, hw = 3, 448
    for f in (16, 32, 64, 128, 256, 512, 1024, 256):
        s.append(("tiny", tiny_batch, c, hw, f, 3, 1))
        c = f
        hw = hw // 2 if hw > 7 else hw
    return s


def conv_row(torch, net, N, C, H, F, k, pad):
    F_ = torch.nn.functional
    OH = H + 2 * pad - k + 1
    x = torch.rand(N, C, H, H, device=DEVICE, requires_grad=True)
    W = (torch.rand(F, C, k, k, device=DEVICE) * 0.2 - 0.1).requires_grad_()
    b = torch.zeros(F, device=DEVICE, requires_grad=True)
    gy = torch.rand(N, F, OH, OH, device=DEVICE)
    with torch.no_grad():
        fwd = median_ms(torch, lambda: F_.conv2d(x, W, b, padding=pad))

    def fwd_bwd():
        x.grad = W.grad = b.grad = None
        F_.conv2d(x, W, b, padding=pad).backward(gy)
    A, Bm = torch.rand(F, C * k * k, device=DEVICE), torch.rand(C * k * k, OH * OH, device=DEVICE)
    with torch.no_grad():
        sgemm = median_ms(torch, lambda: [torch.matmul(A, Bm) for _ in range(N)])
    return dict(kind="conv", net=net, N=N, C=C, H=H, F=F, k=k, fwd_ms=fwd, fwd_bwd_ms=median_ms(torch, fwd_bwd),
                sgemm_ms=sgemm, gflop=2.0 * N * F * OH * OH * C * k * k / 1e9)


def main():
    args = sys.argv[1:]
    opt = lambda name, default: args[args.index(name) + 1] if name in args else default
    beside = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_reference.py")
    spec = importlib.util.spec_from_file_location("torch_reference", opt("--reference", beside))
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    global DEVICE, RUNS
    DEVICE = opt("--device", "cuda")
    import torch
    if "--quick" in args:
        RUNS = 2
    torch.backends.cuda.matmul.allow_tf32 = False  # FP32, as minidl's cuBLAS (CUBLAS_DEFAULT_MATH)
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    hb, tb = (2, 2) if "--quick" in args else (int(opt("--humble-batch", 64)), int(opt("--tiny-batch", 32)))
    where = torch.cuda.get_device_name(0) if DEVICE == "cuda" else "cpu"
    print(f"PyTorch {torch.__version__}, {where}, cuDNN {torch.backends.cudnn.version()}")
    rows = [network_row(torch, ref, "humble", hb), network_row(torch, ref, "tiny", tb)]
    rows += [conv_row(torch, *s) for s in conv_shapes(hb, tb)]
    for r in rows:
        print(json.dumps(r))
    if "--json" in args:
        json.dump(rows, open(opt("--json", None), "w"), indent=1)


if __name__ == "__main__":
    main()
