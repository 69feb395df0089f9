#!/usr/bin/env python3
"""End-to-end throughput of `ssm-guard check --format jsonl` against the typed-parse baseline.

Runs, interleaved so that machine load hits them alike:
  - the baseline: `target/release/examples/baseline < FILE` (serde_json into a typed struct with
    borrowed strings, records counted);
  - `ssm-guard check -p benches/five-rules.yaml --format jsonl --jobs 1 < FILE`;
  - the same with `--jobs 2`.
Prints, for each, the median and fastest wall time, MiB/s, and the ratio of its throughput to
the baseline's (median over median). Peak memory is measured with `/usr/bin/time -f %M`
(benches/README.md): a child forked from Python reports Python's own peak.

    cargo build --release --example baseline --bin ssm-guard
    cargo run --release --example generate -- 1000000 > /tmp/s1m.jsonl
    python3 benches/cli-throughput.py /tmp/s1m.jsonl 9
"""

import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")


def check(jobs):
    return [
        os.path.join(RELEASE, "ssm-guard"),
        "check",
        "-p",
        os.path.join(ROOT, "benches", "five-rules.yaml"),
        "--format",
        "jsonl",
        "--fail-on",
        "never",
        "--jobs",
        str(jobs),
    ]


COMMANDS = {
    "baseline (typed parse)": [os.path.join(RELEASE, "examples", "baseline")],
    "check --jobs 1": check(1),
    "check --jobs 2": check(2),
}


def run(command, path):
    """Wall seconds of one run with the file on standard input."""
    with open(path, "rb") as stdin, open(os.devnull, "wb") as devnull:
        start = time.perf_counter()
        status = subprocess.run(command, stdin=stdin, stdout=devnull, check=False).returncode
        elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{command[0]} failed with status {status}")
    return elapsed


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    size = os.path.getsize(path) / (1 << 20)
    times = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, command in COMMANDS.items():
            times[name].append(run(command, path))
    base = statistics.median(times["baseline (typed parse)"])
    print(f"{path}: {size:.0f} MiB, {runs} interleaved runs each")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(
            f"{name:24} median {median:6.3f} s  fastest {min(samples):6.3f} s  "
            f"{size / median:7.0f} MiB/s  {base / median:5.2f}x baseline"
        )


if __name__ == "__main__":
    main()
