"""CPU-time profile of the ingestion of one month (both feeds), without Dagster.

    python bench/profile_ingestion.py --landing bench/data/s1 --month 2021-01 --top 25

Profiles with `time.process_time`, not wall time: on a shared machine wall time mostly
measures the wait for a core. Writes bench/out/profile_ingestion_<month>.txt.
"""

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import ingest_only  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--month", required=True)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        ingest_only.main(["--landing", str(args.landing), "--month", args.month,
                          "--warehouse", str(Path(tmp) / "otp.duckdb")])  # fmt: skip
        profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    out = BENCH_DIR / "out" / f"profile_ingestion_{args.month}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text.getvalue())
    print(text.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
