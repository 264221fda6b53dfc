"""
The disk's own floor for a durable chat message: append a small record to
a file and C{fsync} it, at a paced rate, and report the time each took.

    python bench/fsyncprobe.py --directory /tmp/x --rate 100 --seconds 10

C{bench/run.py} runs it in its temporary directory, where the servers keep
their SQLite files (so on the same file system), on the server's core,
beside each latency run.  It prints one JSON line: the percentiles of the
write and C{fsync} together, in milliseconds.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path


def probe(directory: Path, rate: float, seconds: float, size: int) -> dict[str, float]:
    record = b"x" * (size - 1) + b"\n"
    path = directory / "fsync-probe.log"
    took: list[float] = []
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        interval = 1 / rate
        began = time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = began + n * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            start = time.perf_counter()
            os.write(descriptor, record)
            os.fsync(descriptor)
            took.append((time.perf_counter() - start) * 1000)
    finally:
        os.close(descriptor)
        path.unlink()
    took.sort()

    def at(fraction: float) -> float:
        return took[min(len(took) - 1, int(fraction * len(took)))]

    return {
        "samples": len(took),
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "max": took[-1],
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--directory", type=Path, required=True)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", type=int, default=200, help="bytes per record")
    options = parser.parse_args(argv)
    result = probe(options.directory, options.rate, options.seconds, options.size)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
