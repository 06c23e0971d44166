# The same training step in PyTorch, for `npm run bench`'s comparison (not part of the workbook).
#
# Same net (the preset's layers, no biases, ReLU hidden units, linear Q-value outputs), same batch,
# same rule: DeepAGREL = max-Boltzmann choice, δ = r − q_s, SGD on ½δ² of the chosen output only
# (batch mean; Appendix A shows this equals the four-factor rule); EBP = softmax cross-entropy.
# Autograd computes the same products as our feedback + update phases (no input gradient of the
# first layer). The loop reads the Q-values on the host (as our step does) to pick the actions.
#
# Protocol (stdin/stdout, one JSON object per line, shared with bench/compare-child.ts):
#   argv[1] = spec JSON {arch, layers, shape, classes, batchSize, threads, rules: [{rule, lr, init}], epsilon, beta, warmup}
#   → {"ready": true, "threads": n, "versions": {...}}   after building the nets and the warm-up steps
#   ← {"steps": n}        → {"ms": {"deepagrel": [...], "ebp": [...]}, "cpuMs": c, "wallMs": w}
#                           rules interleaved step by step; c / w = process CPU time over wall time
#   ← {"evalImages": n}   → {"imagesPerSec": x}                          greedy forward passes, batch 500
#   ← {"quit": true}
#   argv[1] = --probe     → one line {"torch", "blas", "python"} and exit (bench/pytorch-configs.ts)
# Replies are printed after the marker @@BENCH@@ (anything else on stdout is ignored).
# Threads: torch.set_num_threads(spec threads); the parent also sets OMP_NUM_THREADS,
# MKL_NUM_THREADS and OPENBLAS_NUM_THREADS, so BLAS pthreads cannot use more cores than that.
import json
import sys
import time

import torch
import torch.nn.functional as F


def blas_name():
    """The BLAS torch's products run on: MKL when torch was built with it, else the BLAS library
    mapped into the process (Debian's torch links the system libblas, usually OpenBLAS)."""
    if "blas_info=mkl" in torch.__config__.show().lower().replace(" ", ""):
        return "MKL"
    torch.rand(64, 64) @ torch.rand(64, 64)
    try:
        maps = open("/proc/self/maps").read()
    except OSError:
        maps = ""
    for lib, name in (("openblas-pthread", "OpenBLAS pthreads"), ("openblas-openmp", "OpenBLAS OpenMP"), ("libopenblas", "OpenBLAS"), ("libblis", "BLIS"), ("libblas", "reference BLAS")):
        if lib in maps:
            return name
    return "other"


if len(sys.argv) > 1 and sys.argv[1] == "--probe":
    print(json.dumps({"torch": torch.__version__, "blas": blas_name(), "python": sys.version.split()[0]}))
    sys.exit(0)

spec = json.loads(sys.argv[1])
torch.set_num_threads(spec["threads"])
torch.manual_seed(1)
B = spec["batchSize"]
H, W, C = spec["shape"]
classes = spec["classes"]


def out_size(n, k, s, padding):
    return -(-n // s) if padding == "same" else (n - k) // s + 1


def same_pad(n, k, s):
    o = -(-n // s)
    total = max(0, (o - 1) * s + k - n)
    return total // 2, total - total // 2


class Net:
    """Layers as (kind, params) with weights as leaf tensors, NCHW inside."""

    def __init__(self, layers, init):
        self.ops, self.params = [], []
        h, w, c = H, W, C
        flat = None
        for spec_ in layers + [{"type": "dense", "units": classes, "out": True}]:
            t = spec_["type"]
            if t in ("conv2d", "loccon2d"):
                k, s, pad, f = spec_["kernelSize"], spec_.get("strides", 1), spec_.get("padding", "valid"), spec_["filters"]
                pads = (*same_pad(w, k, s), *same_pad(h, k, s)) if pad == "same" else (0, 0, 0, 0)
                oh, ow = out_size(h, k, s, pad), out_size(w, k, s, pad)
                shape = (f, c, k, k) if t == "conv2d" else (oh * ow, c * k * k, f)
                wt = torch.empty(shape).uniform_(-init, init).requires_grad_()
                self.params.append(wt)
                self.ops.append((t, wt, k, s, pads, oh, ow, f))
                h, w, c = oh, ow, f
            elif t == "dropout":
                self.ops.append(("dropout", spec_["rate"]))
            elif t == "dense":
                n_in = flat if flat is not None else h * w * c
                wt = torch.empty(n_in, spec_["units"]).uniform_(-init, init).requires_grad_()
                self.params.append(wt)
                self.ops.append(("dense", wt, spec_.get("out", False)))
                flat = spec_["units"]

    def __call__(self, x):
        for op in self.ops:
            if op[0] == "conv2d":
                _, wt, k, s, pads, *_ = op
                x = F.relu(F.conv2d(F.pad(x, pads) if any(pads) else x, wt, stride=s))
            elif op[0] == "loccon2d":
                _, wt, k, s, pads, oh, ow, f = op
                patches = F.unfold(F.pad(x, pads) if any(pads) else x, k, stride=s)      # [B, c·k·k, P]
                y = torch.einsum("bkp,pko->bop", patches, wt)                             # [B, f, P]
                x = F.relu(y.reshape(x.shape[0], f, oh, ow))
            elif op[0] == "dropout":
                x = F.dropout(x, op[1], training=True)
            else:
                _, wt, is_out = op
                x = x.reshape(x.shape[0], -1) @ wt
                if not is_out:
                    x = F.relu(x)
        return x


def step(net, rule, lr, x, y):
    q = net(x)
    qd = q.detach()
    if rule == "deepagrel":
        greedy = qd.argmax(1)
        explore = torch.rand(B) < spec["epsilon"]
        sampled = torch.multinomial(F.softmax(spec["beta"] * qd, 1), 1).squeeze(1)
        a = torch.where(explore, sampled, greedy)
        r = (a == y).float()
        qs = q.gather(1, a[:, None]).squeeze(1)
        loss = 0.5 * ((r - qs) ** 2).mean()
    else:
        loss = F.cross_entropy(q, y)
    for p in net.params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in net.params:
            p.sub_(lr * p.grad)


nets = {r["rule"]: (Net(spec["layers"], r["init"]), r["lr"]) for r in spec["rules"]}
x = torch.rand(B, C, H, W)
y = torch.randint(0, classes, (B,))
for _ in range(max(1, spec.get("warmup", 2))):
    for rule, (net, lr) in nets.items():
        step(net, rule, lr, x, y)
MARK = "@@BENCH@@"
print(MARK + json.dumps({"ready": True, "threads": torch.get_num_threads(), "versions": {"torch": torch.__version__, "python": sys.version.split()[0],
                                              "blas": blas_name(), "executable": sys.executable}}), flush=True)

def evaluate(net, n):
    """Greedy test-time forward passes at batch 500, as evaluate() in src/train.ts; images/s."""
    xs = torch.rand(500, C, H, W)
    with torch.no_grad():
        net_eval(net, xs)
        t = time.perf_counter()
        for _ in range(max(1, n // 500)):
            net_eval(net, xs).argmax(1)
    return max(1, n // 500) * 500 / (time.perf_counter() - t)


def net_eval(net, xs):
    ops = net.ops
    net.ops = [op for op in ops if op[0] != "dropout"]
    try:
        return net(xs)
    finally:
        net.ops = ops


for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("quit"):
        break
    if "evalImages" in msg:
        print(MARK + json.dumps({"imagesPerSec": evaluate(next(iter(nets.values()))[0], msg["evalImages"])}), flush=True)
        continue
    ms = {rule: [] for rule in nets}
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(msg["steps"]):
        for rule, (net, lr) in nets.items():
            t = time.perf_counter()
            step(net, rule, lr, x, y)
            ms[rule].append((time.perf_counter() - t) * 1000)
    print(MARK + json.dumps({"ms": ms, "cpuMs": (time.process_time() - cpu0) * 1000, "wallMs": (time.perf_counter() - wall0) * 1000}), flush=True)
