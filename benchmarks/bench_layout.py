"""Time layered_layout on random DAG-like and cyclic graphs of 50/100/200 nodes.

Run: .venv/bin/python benchmarks/bench_layout.py [--repeat N]
Prints one row per graph: nodes, edges, dummies-free size, median seconds of N runs.
Graphs are generated deterministically (seeded), shaped like process maps: a start and an
end node, mostly forward edges with some loops back, labels of realistic widths.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from procatlas.render.layout import LayoutEdge, LayoutNode, layered_layout


def process_like_graph(n: int, edges_per_node: float, back_share: float, seed: int):
    """A random graph over a hidden topological order: forward edges mostly to nearby nodes,
    ``back_share`` of the edges going backwards (loops), start/end nodes attached."""
    rng = random.Random(seed)
    names = [f"activity {i:03d}" for i in range(n)]
    nodes = [LayoutNode("start", 20, 20), LayoutNode("end", 20, 20)]
    nodes += [LayoutNode(a, 60 + rng.randrange(0, 80), 36) for a in names]
    pairs: set[tuple[str, str]] = set()
    target = int(n * edges_per_node)
    while len(pairs) < target:
        i = rng.randrange(n)
        span = max(1, int(rng.expovariate(1 / 3)))
        j = i - span if rng.random() < back_share else i + span
        if 0 <= j < n and j != i:
            pairs.add((names[i], names[j]))
    for k in range(max(1, n // 10)):
        pairs.add(("start", names[k]))
        pairs.add((names[n - 1 - k], "end"))
    edges = [LayoutEdge(s, t) for s, t in sorted(pairs)]
    return nodes, edges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'graph':<10} {'nodes':>6} {'edges':>6} {'TB s':>8} {'LR s':>8}")
    for kind, back in (("dag", 0.0), ("cyclic", 0.2)):
        for n in (50, 100, 200):
            nodes, edges = process_like_graph(n, 2.0, back, seed=n)
            row = []
            for direction in ("TB", "LR"):
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    layered_layout(nodes, edges, direction=direction,
                                   fixed_first=["start"], fixed_last=["end"])
                    times.append(time.perf_counter() - t0)
                row.append(statistics.median(times))
            print(f"{kind:<10} {len(nodes):>6} {len(edges):>6} {row[0]:>8.3f} {row[1]:>8.3f}")


if __name__ == "__main__":
    main()
