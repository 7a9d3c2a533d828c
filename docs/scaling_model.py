"""The alpha-beta model of docs/scaling.md: predicted time per epoch and speedup of a
distributed finite sum (gradus::distributed::DistributedSum) for 1 to 1,024 processes and 1e6 to
1e9 examples, full-batch and minibatch. Run: python3 docs/scaling_model.py

The constants at the top are the measurements of docs/scaling.md (2-core VM, OpenMPI 4.1
shared-memory transport); change them for another machine or network.
"""
import math

# Measured (see docs/scaling.md).
ALPHA = 0.4e-6          # s, latency of a collective between two processes (loopback)
BETA = 0.15e-9          # s per byte, loopback bandwidth for messages that stay in cache
C_FULL = 0.76e-9        # s per example and feature, full-batch gradient through the sum
C_MINI = 2.2e-9         # s per example and feature, shuffled minibatches, blocks of 4096
D = 100                 # features
B = 256                 # minibatch size
BLOCK = 4096            # examples per block of the fixed summation order
# A cluster network for comparison: 2 us latency, 12.5 GB/s (100 Gb/s InfiniBand-class).
NETWORKS = {"loopback (measured)": (ALPHA, BETA), "cluster (assumed)": (2e-6, 1 / 12.5e9)}


def comm(p, n, alpha, beta):
    """Two collectives per evaluation: an all-gather of 3 words per process, and an all-gather
    of each process's largest subtrees, at most 2 log2(blocks per process) records of D + 3
    values. Recursive doubling: log2(p) rounds of latency, (p - 1) shares of bandwidth."""
    if p == 1:
        return 0.0
    rounds = math.ceil(math.log2(p))
    blocks = max(1, n // BLOCK // p)
    records = 2 * max(1, math.ceil(math.log2(blocks)))
    share = records * (D + 3) * 8
    header = 3 * 8
    return 2 * rounds * alpha + (p - 1) * (share + header) * beta


def epoch_full(p, n, net):
    alpha, beta = net
    return n * D * C_FULL / p + comm(p, n, alpha, beta)


def epoch_mini(p, n, net):
    alpha, beta = net
    steps = math.ceil(n / B)
    # A minibatch's examples spread over every process: each holds about B / p of them, in
    # at most that many subtrees.
    per_step = B * D * C_MINI / p
    if p > 1:
        rounds = math.ceil(math.log2(p))
        records = min(max(1, B // p), 2 * max(1, math.ceil(math.log2(max(1, n // BLOCK // p)))))
        per_step += 2 * rounds * alpha + (p - 1) * (records * (D + 3) * 8 + 24) * beta
    return steps * per_step


def epoch_mini_allreduce(p, n, net):
    """The same minibatch epoch if the partial sums were added by MPI's all-reduce (an order
    that depends on the number of processes): 2 log2(p) latencies and 2 (p-1)/p of the vector."""
    alpha, beta = net
    steps = math.ceil(n / B)
    per_step = B * D * C_MINI / p
    if p > 1:
        rounds = math.ceil(math.log2(p))
        per_step += 2 * rounds * alpha + 2 * (p - 1) / p * (D + 1) * 8 * beta
    return steps * per_step


def main():
    ps = [1, 4, 16, 64, 256, 1024]
    for name, net in NETWORKS.items():
        for kind, f in [("full batch (one gradient = one epoch)", epoch_full),
                        (f"minibatch B={B}", epoch_mini),
                        (f"minibatch B={B}, were the sums all-reduced", epoch_mini_allreduce)]:
            print(f"\n{kind}, {name}: time per epoch (speedup over 1 process)")
            print("| N | " + " | ".join(f"P={p}" for p in ps) + " |")
            print("|---|" + "---|" * len(ps))
            for n in [10**6, 10**7, 10**8, 10**9]:
                t1 = f(1, n, net)
                cells = []
                for p in ps:
                    t = f(p, n, net)
                    cells.append(f"{fmt(t)} ({t1 / t:.0f}x)")
                print(f"| 1e{int(math.log10(n))} | " + " | ".join(cells) + " |")


def fmt(t):
    if t < 1e-3:
        return f"{t * 1e6:.0f} us"
    if t < 1:
        return f"{t * 1e3:.1f} ms"
    if t < 600:
        return f"{t:.1f} s"
    return f"{t / 60:.0f} min"


if __name__ == "__main__":
    main()
