"""How long data sets take to load: MovieLens 100k (cold and warm), and a large ratings file.

    python benchmarks/data_load.py [--repeats 10]                  # ML-100k only
    python benchmarks/data_load.py --large 25000000 [--formats csv gz zip] [--runs 2]

ML-100k runs in a fresh temporary $COLLAB_EXPLORER_HOME so the cold figure is a real first fetch
(GroupLens, else the RecBole wheel via pip download, which may come from pip's own cache).

`--large N` generates N MovieLens-like ratings (`collab_core.synthetic`, half stars), writes them as
ML-25M's ratings.csv (userId,movieId,rating,timestamp), gzips and zips it (the zip in GroupLens'
layout, with a movies.csv), and loads each in a fresh process with `load_dataset`. Per format it
prints: seconds to parse the table alone (`tables.read_table`: bytes to columns) and to load the
whole `Dataset` (parse, check, index), ratings per second for both, the peak memory the load added
to the process (ru_maxrss after minus resident memory before), and that peak over the final
`Dataset`'s size (target: under 3×). CPU seconds (every thread) are printed beside the wall-clock
seconds: on a shared, loaded machine they say what the run would take alone. `--runs` loads each
format that many times (fresh processes) and keeps the fastest, since a shared machine only ever
slows a run down. The generated files are deleted at the end.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

# Runs from a checkout without installing: the repository root holds collab_core.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collab_core.devices import describe_machine  # noqa: E402


def ml100k(repeats: int) -> None:
    with tempfile.TemporaryDirectory(prefix="collab-bench-") as home:
        os.environ["COLLAB_EXPLORER_HOME"] = home
        t0 = time.perf_counter()
        from collab_core.data import load_dataset  # import cost reported apart from loading

        import_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        ds = load_dataset()
        cold_s = time.perf_counter() - t0

        warm = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            again = load_dataset()
            warm.append(time.perf_counter() - t0)
        assert again.fingerprint == ds.fingerprint

    print(f"data: {ds.name}, {len(ds.ratings):,} ratings, {ds.n_users} users, {ds.n_items} items")
    print(f"source: {ds.source}")
    print(f"import collab_core.data: {import_s:.3f} s")
    print(f"cold load (fetch + convert + cache): {cold_s:.2f} s")
    print(
        f"warm load (Parquet cache), {repeats} runs: median {statistics.median(warm):.3f} s, "
        f"min {min(warm):.3f} s, max {max(warm):.3f} s"
    )


# ---------------------------------------------------------------------------------------------
# A large file


def write_large(n: int, folder: Path, formats: list[str]) -> dict[str, Path]:
    """ratings.csv in ML-25M's format (and its gzip, and a GroupLens-style zip); their paths."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    from collab_core import synthetic

    t0 = time.perf_counter()
    ratings, items = synthetic.generate_frames(
        synthetic.SyntheticConfig(n_ratings=n, scale="half_stars")
    )
    halves = (ratings["rating"].to_numpy() * 2).astype(np.int8)  # "0.5" .. "5.0", as GroupLens
    del ratings["rating"]
    stars = pa.DictionaryArray.from_arrays(
        pa.array(halves), pa.array([f"{h / 2:.1f}" for h in range(11)])
    )
    table = pa.table(
        {
            "userId": ratings["user_id"].to_numpy(),
            "movieId": ratings["item_id"].to_numpy(),
            "rating": stars.cast(pa.string()),
            "timestamp": ratings["timestamp"].to_numpy(),
        }
    )
    del ratings, halves, stars
    csv = folder / "ml-25m" / "ratings.csv"
    csv.parent.mkdir(parents=True)
    with open(csv, "wb") as f:  # GroupLens' header, unquoted
        f.write(b"userId,movieId,rating,timestamp\n")
        options = pcsv.WriteOptions(include_header=False, quoting_style="none")
        pcsv.write_csv(table, f, write_options=options)
    del table
    movies = items[["item_id", "title"]].rename(columns={"item_id": "movieId"})
    movies["genres"] = ["|".join(g) or "(no genres listed)" for g in items["genres"]]
    movies.to_csv(csv.with_name("movies.csv"), index=False)
    print(f"wrote {csv.stat().st_size / 1e6:,.0f} MB of CSV in {time.perf_counter() - t0:.0f} s")
    paths = {"csv": csv}
    if "gz" in formats:
        t0 = time.perf_counter()
        paths["gz"] = folder / "ratings.csv.gz"
        with open(csv, "rb") as src, gzip.open(paths["gz"], "wb", compresslevel=6) as out:
            shutil.copyfileobj(src, out, 1 << 22)
        print(f"gzipped in {time.perf_counter() - t0:.0f} s")
    if "zip" in formats:
        t0 = time.perf_counter()
        paths["zip"] = folder / "ml-25m.zip"
        with zipfile.ZipFile(paths["zip"], "w", zipfile.ZIP_DEFLATED) as zf:
            for f in (csv, csv.with_name("movies.csv")):
                zf.write(f, f"ml-25m/{f.name}")
        print(f"zipped in {time.perf_counter() - t0:.0f} s")
    return paths


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)  # every thread of the process
    return r.ru_utime + r.ru_stime


def measure(path: str) -> dict:
    """In a fresh process: load the whole data set (peak memory), then parse the table alone."""
    import pyarrow.csv  # noqa: F401 (loaded before the baseline: the app has pyarrow loaded)

    from collab_core import archives, data, grouplens, tables

    before = _rss()
    t0, c0 = time.perf_counter(), _cpu()
    ds = data.load_dataset(path)
    load_s, load_cpu = time.perf_counter() - t0, _cpu() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    size = int(ds.ratings.memory_usage(index=False, deep=True).sum())
    size += int(ds.items.memory_usage(index=False, deep=True).sum())
    size += ds.user_ids.nbytes + ds.item_ids.nbytes
    n = len(ds.ratings)
    del ds
    zf = archives.zip_of(path)
    member = grouplens.zip_layout(zf, path).ratings if zf is not None else None
    source = archives.open_input(path, member=member)
    t0, c0 = time.perf_counter(), _cpu()
    df, _ = tables.read_table(source, source.display, None, tables.RATING_COLUMNS, None)
    parse_s, parse_cpu = time.perf_counter() - t0, _cpu() - c0
    assert len(df) == n
    return {
        "n": n,
        "load_s": load_s,
        "load_cpu": load_cpu,
        "parse_s": parse_s,
        "parse_cpu": parse_cpu,
        "added": peak - before,
        "size": size,
        "loadavg": os.getloadavg()[0],
    }


def large(n: int, formats: list[str], runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="collab-bench-large-") as tmp:
        paths = write_large(n, Path(tmp), formats)
        env = dict(os.environ, COLLAB_EXPLORER_HOME=str(Path(tmp) / "home"))
        print(
            f"\n{'format':<7}{'file':>8}  {'parse s (CPU s)':>16}{'M/s':>6}  {'load s (CPU s)':>15}"
            f"{'M/s':>6}{'peak added':>12}{'Dataset':>9}{'peak/size':>10}  load avg"
        )
        for fmt in formats:
            best = None
            for _ in range(runs):
                proc = subprocess.run(
                    [sys.executable, __file__, "--measure", str(paths[fmt])],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                )
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                best = r if best is None or r["load_s"] < best["load_s"] else best
            r = best
            print(
                f"{fmt:<7}{paths[fmt].stat().st_size / 1e6:>6,.0f}MB  "
                f"{r['parse_s']:>7.1f} ({r['parse_cpu']:>5.1f})  {r['n'] / r['parse_s'] / 1e6:>5.1f}  "
                f"{r['load_s']:>6.1f} ({r['load_cpu']:>5.1f})  {r['n'] / r['load_s'] / 1e6:>5.1f}"
                f"{r['added'] / 1e9:>10.2f}GB{r['size'] / 1e9:>7.2f}GB{r['added'] / r['size']:>9.2f}×"
                f"  {r['loadavg']:.1f}"
            )
    print(f"({n:,} ratings; the generated files are deleted)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="warm ML-100k loads to time")
    parser.add_argument("--large", type=int, help="also load a generated file of this many ratings")
    parser.add_argument("--formats", nargs="+", default=["csv", "gz", "zip"])
    parser.add_argument("--runs", type=int, default=1, help="loads per format (the fastest kept)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child process of --large
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    print(f"machine: {describe_machine()}")
    if args.large:
        large(args.large, args.formats, args.runs)
    else:
        ml100k(args.repeats)


if __name__ == "__main__":
    main()
