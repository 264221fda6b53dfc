"""
What a py-spy profile in its raw format (collapsed stacks, written by
C{bench/run.py --py-spy DIR}, or by C{py-spy record --threads --idle
--format raw}) says, thread by thread: each thread's samples, the share of
them by the function on top of the stack, and the share by the functions
of twisted_chat anywhere on the stack (the time spent in them and in what
they call).

    python bench/spysummary.py DIR/latency-twisted_chat-N200-1.txt [--top 12]

A thread waiting (in C{epoll}, on its queue, in an C{fsync}) is sampled too
(C{--idle}): its top frame is then the Python call that waits.
"""

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]*):(?P<line>\d+)\)$")


def summarize(path: Path, top: int) -> list[str]:
    byThread: dict[str, Counter[str]] = {}
    inclusive: dict[str, Counter[str]] = {}
    totals: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        thread = frames[0].split(": ", 1)[-1]
        samples = int(count)
        totals[thread] += samples
        leaf = frames[-1]
        byThread.setdefault(thread, Counter())[shortName(leaf)] += samples
        ours = {shortName(f) for f in frames[1:] if "twisted_chat/" in f}
        for name in ours:
            inclusive.setdefault(thread, Counter())[name] += samples
    lines = []
    for thread, total in totals.most_common():
        lines.append(f"{thread}: {total} samples")
        lines.append("  on top of the stack:")
        for name, samples in byThread[thread].most_common(top):
            lines.append(f"    {100 * samples / total:5.1f} %  {name}")
        if thread in inclusive:
            lines.append("  twisted_chat functions on the stack (inclusive):")
            for name, samples in inclusive[thread].most_common(top):
                lines.append(f"    {100 * samples / total:5.1f} %  {name}")
    return lines


def shortName(frame: str) -> str:
    """C{function (file:line)} as C{function (file)}: lines of one function merged."""
    found = FRAME.match(frame)
    if found is None:
        return frame
    return f"{found['function']} ({found['file']})"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=12)
    options = parser.parse_args(argv)
    print("\n".join(summarize(options.profile, options.top)))


if __name__ == "__main__":
    main(sys.argv[1:])
