#!/usr/bin/env python3
"""Whole-process latency of `ssm-guard hook < event`, against process-spawn baselines measured in
the same run (interleaved, so machine load hits them alike).

    cargo build --release && python3 benches/process-latency.py [RUNS]
"""
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests/fixtures/samples/eventbridge-startsession.json"
BINARY = str(ROOT / "target/release/ssm-guard")
COMMANDS = {
    "ssm-guard hook": [BINARY, "hook"],
    "ssm-guard --version": [BINARY, "--version"],
    "true": ["true"],
    "cat": ["cat"],
}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    times = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, command in COMMANDS.items():
            with open(SAMPLE, "rb") as stdin:
                start = time.perf_counter_ns()
                subprocess.run(command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
                times[name].append((time.perf_counter_ns() - start) / 1e6)
    base = statistics.median(times["true"])
    print(f"{runs} runs each; times in ms")
    print(f"{'command':22} {'median':>7} {'p10':>7} {'p90':>7}  ratio to true")
    for name, values in times.items():
        values.sort()
        median = statistics.median(values)
        p10, p90 = values[len(values) // 10], values[9 * len(values) // 10]
        print(f"{name:22} {median:7.3f} {p10:7.3f} {p90:7.3f}  {median / base:5.1f}x")


if __name__ == "__main__":
    main()
