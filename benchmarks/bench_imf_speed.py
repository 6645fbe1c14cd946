"""IMf speed on the variant tables of the quality-table logs, and a check that a change to the
miner keeps every tree.

``bench_imf.py prepare`` stores each log's variant table (pm4py's ``get_variants``) in
benchmarks/out/imf/; this script mines each at noise 0, 0.2 and 0.5, prints the seconds, and
writes the trees to a JSON file. With ``--compare OLD.json`` it reports every tree that differs
from an earlier run (for example one made with the previous version of the miner):

    PYTHONPATH=src .venv/bin/python benchmarks/bench_imf_speed.py --save before.json
    (change the miner)
    PYTHONPATH=src .venv/bin/python benchmarks/bench_imf_speed.py --save after.json --compare before.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from procatlas.mining.inductive import discover_tree

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "imf"), help="bench_imf.py's state directory")
    ap.add_argument("--save", default="", help="write the trees and seconds to this JSON file")
    ap.add_argument("--compare", default="", help="a JSON file of an earlier run: report differing trees")
    ap.add_argument("--noise", default="0,0.2,0.5")
    args = ap.parse_args()
    files = sorted(Path(args.out).glob("*.variants.json"))
    if not files:
        sys.exit(f"no variant tables in {args.out} (run bench_imf.py prepare first)")
    old = json.loads(Path(args.compare).read_text()) if args.compare else {}
    got, differ = {}, []
    print(f"| log | variants | activities | {' | '.join(f'noise {x} s' for x in args.noise.split(','))} |")
    print("|---|---:|---:|" + "---:|" * len(args.noise.split(",")))
    for f in files:
        name = f.name.split(".")[0]
        variants = {tuple(t): n for t, n in json.loads(f.read_text())}
        cells = []
        for noise in (float(x) for x in args.noise.split(",")):
            t0 = time.process_time()
            tree = discover_tree(variants, noise=noise)
            secs = time.process_time() - t0
            key = f"{name}@{noise}"
            got[key] = {"tree": tree.to_string(), "s": round(secs, 3)}
            if key in old and old[key]["tree"] != got[key]["tree"]:
                differ.append(key)
            cells.append(f"{secs:.2f}" + (f" (was {old[key]['s']:.2f})" if key in old else ""))
        acts = len({a for t in variants for a in t})
        print(f"| {name} | {len(variants):,} | {acts} | " + " | ".join(cells) + " |", flush=True)
    if args.save:
        Path(args.save).write_text(json.dumps(got, indent=0))
    if args.compare:
        same = sum(1 for k in got if k in old) - len(differ)
        print(f"\nsame tree as {args.compare}: {same} of {sum(1 for k in got if k in old)}"
              + (f"; different: {', '.join(differ)}" if differ else ""))
        if differ:
            sys.exit(1)


if __name__ == "__main__":
    main()
