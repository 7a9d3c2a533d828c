"""SciPy's basinhopping on the same problems, starts, budget and success test as
`cargo run --release --example global_search`: Rastrigin, Ackley and Styblinski-Tang in 5
dimensions, 20 seeded starts each drawn uniformly from the usual domain, at most 200 hops, local
minimizer L-BFGS-B with the exact gradient, stop at the first local minimum with
f - f* <= 1e-6 max(1, |f*|). Prints the fraction of runs that succeed and the median number of
function evaluations (each evaluation gives f and its gradient).

    pip install numpy scipy
    python3 examples/global_search/scipy_basinhopping.py     # SEEDS=60 ONLY=ackley ...
"""

import os

import numpy as np
from scipy.optimize import basinhopping

N = 5
SEEDS = int(os.environ.get("SEEDS", "20"))
HOPS = 200


def rastrigin(x):
    w = 2 * np.pi
    f = 10 * len(x) + np.sum(x * x - 10 * np.cos(w * x))
    g = 2 * x + 10 * w * np.sin(w * x)
    return f, g


def ackley(x):
    n = len(x)
    r = np.sqrt(np.sum(x * x) / n)
    c = np.sum(np.cos(2 * np.pi * x)) / n
    e1 = np.exp(-0.2 * r)
    e2 = np.exp(c)
    f = -20 * e1 - e2 + 20 + np.e
    if r > 0:
        g1 = 20 * 0.2 * e1 * x / (n * r)
    else:
        g1 = np.zeros(n)
    g2 = e2 * 2 * np.pi * np.sin(2 * np.pi * x) / n
    return f, g1 + g2


def styblinski_tang(x):
    f = 0.5 * np.sum(x**4 - 16 * x**2 + 5 * x)
    g = 0.5 * (4 * x**3 - 32 * x + 5)
    return f, g


PROBLEMS = [
    ("rastrigin-5", rastrigin, 5.12, 0.0),
    ("ackley-5", ackley, 32.768, 0.0),
    ("styblinski-tang-5", styblinski_tang, 5.0, -39.16616570377142 * N),
]


def run(fun, x0, threshold, seed):
    calls = [0]
    found = [False]

    def counted(x):
        calls[0] += 1
        return fun(x)

    def stop(x, f, accept):
        if f <= threshold:
            found[0] = True
            return True
        return None

    f0, _ = fun(x0)
    result = basinhopping(
        counted,
        x0,
        niter=HOPS,
        minimizer_kwargs={"method": "L-BFGS-B", "jac": True},
        callback=stop,
        seed=seed,
    )
    success = found[0] or result.fun <= threshold
    return success, calls[0]


print(f"SciPy basinhopping (L-BFGS-B, exact gradient), {N}-D, {SEEDS} starts, {HOPS} hops")
print(f"{'problem':<20} {'success':>8} {'median evals':>13} {'median (solved)':>16}")
ONLY = os.environ.get("ONLY", "")  # run only the problems whose name contains this
for name, fun, half_width, f_star in [p for p in PROBLEMS if ONLY in p[0]]:
    threshold = f_star + 1e-6 * max(1.0, abs(f_star))
    outcomes = []
    for seed in range(SEEDS):
        rng = np.random.default_rng(seed)
        x0 = rng.uniform(-half_width, half_width, N)
        outcomes.append(run(fun, x0, threshold, seed))
    successes = [e for s, e in outcomes if s]
    evals = [e for _, e in outcomes]
    solved = f"{np.median(successes):.0f}" if successes else "-"
    print(f"{name:<20} {len(successes):>5}/{SEEDS} {np.median(evals):>13.0f} {solved:>16}")
