"""How long the embedding map takes to compute by PCA, t-SNE and UMAP, the first time.

    python benchmarks/map_methods.py [--sizes 500 1682 10000 60000] [--methods pca tsne umap]

Each run is a fresh `Explorer` (nothing kept), so every figure is a first run; UMAP's one-off
compile (numba, on its first import and first fit in a process) is timed on its own first, on 100
movies. Up to 1,682 movies: ML-100k's default model; beyond, a synthetic catalogue of that size
(`collab_core.synthetic`) with random 64-number factors, on which neighbours are harder to find
than on trained factors (so these are pessimistic). The page's first-run note
(`maps.SECONDS_PER_MOVIE`, `maps.UMAP_COMPILE_S`) quotes these figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 1682, 10_000, 60_000])
    ap.add_argument("--methods", nargs="+", default=["pca", "tsne", "umap"])
    ap.add_argument("--max-tsne", type=int, default=10_000, help="skip t-SNE above this size")
    args = ap.parse_args()

    from map_render import catalogue

    from collab_core.analysis import Explorer
    from collab_core.data import load_dataset
    from collab_core.devices import describe_machine
    from collab_core.store import default_model

    print(f"machine: {describe_machine()}; load average {os.getloadavg()[0]:.1f}")
    ml = load_dataset()
    ml_model = default_model(ml).model
    if "umap" in args.methods:
        t0 = time.perf_counter()
        Explorer(ml, ml_model).embedding_map(method="umap", n_items=100)
        print(f"UMAP import + compile + 100 movies: {time.perf_counter() - t0:.1f} s", flush=True)
    print(f"{'movies':>8} {'method':>6} {'seconds':>8} {'ms per movie':>13}")
    for n in args.sizes:
        synthetic = None if n <= ml.n_items else catalogue(n)
        for method in args.methods:
            if method == "tsne" and n > args.max_tsne:
                print(f"{n:>8,} {method:>6} {'skipped':>8}", flush=True)
                continue
            ex = Explorer(ml, ml_model) if synthetic is None else Explorer(*_parts(synthetic))
            t0 = time.perf_counter()
            ex.embedding_map(method=method, n_items=n)
            s = time.perf_counter() - t0
            print(f"{n:>8,} {method:>6} {s:>8.2f} {1000 * s / n:>13.3f}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def _parts(ex):
    return ex.dataset, ex.model


if __name__ == "__main__":
    main()
