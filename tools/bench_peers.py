#!/usr/bin/python3
"""bench_peers: the PyTorch and scikit-learn side of tools/bench.

    bench_peers.py torch|sklearn ARCH BATCH DATA [THREADS]

ARCH is 2-2-1 or 2-64-64-1 (sigmoid hidden layers, linear output), BATCH 0
means full batch, DATA is the file `bench_train data N PATH` writes
(float64 x1[N] x2[N] y[N]). The job matches housenet's: plain mini-batch
SGD (lr 0.1, no momentum, no weight decay) on L = 1/2 mean (y - yhat)^2,
float64, the rows reshuffled every epoch, the data in memory.

torch: a plain training loop (torch.randperm per epoch, index, forward,
backward, optimizer.step), timed over its first TARGET seconds (whole
epochs take minutes at batch 1).
sklearn: MLPRegressor(solver="sgd").fit for a calibrated number of whole
epochs (tol=0 and n_iter_no_change above it, so every epoch runs).
Prints `PEER arch=.. batch=.. threads=.. samples_per_s=..`, the median of
REPS runs (environment: TARGET seconds a run, default 1; REPS, default 3;
ROWS, to train on the first ROWS rows only).
THREADS (default 1) sizes the OpenMP/BLAS pools before numpy/torch load.
"""
import os
import statistics
import sys
import time

if len(sys.argv) not in (5, 6) or sys.argv[1] not in ("torch", "sklearn") or \
        sys.argv[2] not in ("2-2-1", "2-64-64-1"):
    sys.exit("usage: bench_peers.py torch|sklearn 2-2-1|2-64-64-1 BATCH DATA [THREADS]")
PEER, ARCH, BATCH, DATA = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
THREADS = int(sys.argv[5]) if len(sys.argv) == 6 else 1
TARGET = float(os.environ.get("TARGET") or 1.0)
REPS = int(os.environ.get("REPS") or 3)
LR = 0.1
HIDDEN = (2,) if ARCH == "2-2-1" else (64, 64)
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(THREADS)

import numpy as np  # noqa: E402  (after the thread variables)

raw = np.fromfile(DATA, dtype=np.float64)
N = raw.size // 3
X = np.ascontiguousarray(raw.reshape(3, N)[:2].T)
Y = raw.reshape(3, N)[2].copy()
if os.environ.get("ROWS"):  # the first ROWS rows only: an epoch at batch 1 is slow
    N = min(N, int(os.environ["ROWS"]))
    X, Y = X[:N].copy(), Y[:N].copy()
B = N if BATCH <= 0 or BATCH > N else BATCH


def torch_rate():
    import torch
    torch.set_num_threads(THREADS)
    Xt = torch.from_numpy(X)
    Yt = torch.from_numpy(Y).reshape(-1, 1)

    def run(seconds):
        torch.manual_seed(0)
        layers, fan_in = [], 2
        for h in HIDDEN:
            layers += [torch.nn.Linear(fan_in, h), torch.nn.Sigmoid()]
            fan_in = h
        layers.append(torch.nn.Linear(fan_in, 1))
        model = torch.nn.Sequential(*layers).double()
        opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0)
        gen = torch.Generator().manual_seed(1)
        done, t0 = 0, time.perf_counter()
        while True:
            perm = torch.randperm(N, generator=gen)
            for i in range(0, N, B):
                idx = perm[i:i + B]
                opt.zero_grad(set_to_none=True)
                loss = 0.5 * torch.mean((model(Xt[idx]) - Yt[idx]) ** 2)
                loss.backward()
                opt.step()
                done += idx.numel()
                el = time.perf_counter() - t0  # ~0.1 us; a torch step is >= 20 us
                if el >= seconds:
                    return done / el

    run(min(0.2, TARGET))  # warm-up
    return [run(TARGET) for _ in range(REPS)], torch.__version__


def sklearn_rate():
    import warnings
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    def fit(epochs):
        m = MLPRegressor(hidden_layer_sizes=HIDDEN, activation="logistic", solver="sgd", alpha=0.0,
                         batch_size=B, learning_rate="constant", learning_rate_init=LR, max_iter=epochs,
                         shuffle=True, random_state=0, tol=0.0, momentum=0.0, nesterovs_momentum=False,
                         early_stopping=False, n_iter_no_change=epochs + 1)
        t0 = time.perf_counter()
        m.fit(X, Y)
        el = time.perf_counter() - t0
        assert m.n_iter_ == epochs and m.coefs_[0].dtype == np.float64
        return el

    ep = 1
    while True:
        el = fit(ep)
        if el >= 0.2:
            break
        ep *= 2
    epochs = max(1, round(TARGET / (el / ep)))
    return [N * epochs / fit(epochs) for _ in range(REPS)], sklearn.__version__


rates, version = torch_rate() if PEER == "torch" else sklearn_rate()
print(f"{PEER} arch={ARCH} batch={B} threads={THREADS} rows={N} version={version} "
      f"samples_per_s={statistics.median(rates):.4g}")
