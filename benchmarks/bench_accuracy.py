"""Root-cause accuracy of the engine on injected-fault scenarios with known roots.

Runs `--seeds` scenarios of every kind (core.scenarios) through the real decoder
and engine and prints top-1/top-3 root-cause accuracy and failure-domain
precision/recall per kind. `--topology` runs the same faults on a given
topology (e.g. the train-ticket service graph) instead of synthetic estates.

    .venv/bin/python benchmarks/bench_accuracy.py [--seeds 100] [--topology FILE]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from core.graph.loaders import load_topology
from core.scenarios import KINDS, ScenarioResult, generate_scenario, run_scenario, score_scenarios


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="scenarios per kind")
    parser.add_argument("--topology", help="topology file to inject faults into")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds")
    args = parser.parse_args(argv)
    topology = load_topology(args.topology) if args.topology else None
    results: list[ScenarioResult] = []
    generate = run = 0.0
    for kind in args.kinds.split(","):
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            scenario = generate_scenario(kind, seed, topology)
            t1 = time.perf_counter()
            results.append(run_scenario(scenario))
            t2 = time.perf_counter()
            generate += t1 - t0
            run += t2 - t1
    where = args.topology or "synthetic estates (~320 components, one per seed)"
    print(f"root-cause accuracy, {args.seeds} seeds per kind, on {where}")
    print(score_scenarios(results).table())
    print(f"generate {generate:.1f} s, decode + engine {run:.1f} s for {len(results)} scenarios")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
