#!/usr/bin/env python3
"""End-to-end throughput of `ssm-guard check` against the hand-written baseline.

Runs, interleaved so that machine load hits them alike:
  - the baseline: `target/release/examples/baseline < FILE` (serde_json into a typed struct with
    borrowed strings, the five rules of benches/five-rules.yaml checked by hand and counted);
  - `ssm-guard check -p benches/five-rules.yaml --format F --jobs J < FILE` for each format F
    (default jsonl) and job count J (default 1 and 2).
Prints, for each, the median and fastest wall time, MiB/s, and the ratio of its throughput to
the baseline's (median over median). Before timing, it checks that ssm-guard's violations per
rule equal the baseline's. Peak memory is measured with `/usr/bin/time -f %M`
(benches/README.md): a child forked from Python reports Python's own peak.

    cargo build --release --example baseline --example generate --bin ssm-guard
    target/release/examples/generate 1000000 > /tmp/s1m.jsonl                  # 8% violating
    target/release/examples/generate 1000000 --violating 61 > /tmp/dense.jsonl  # 61% violating
    python3 benches/cli-throughput.py /tmp/dense.jsonl 9 --formats jsonl,json,sarif --jobs 1,2
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")
BASELINE = [os.path.join(RELEASE, "examples", "baseline")]
RULES = os.path.join(ROOT, "benches", "five-rules.yaml")


def check(fmt, jobs):
    return [
        os.path.join(RELEASE, "ssm-guard"),
        "check",
        "-p",
        RULES,
        "--format",
        fmt,
        "--fail-on",
        "never",
        "--jobs",
        str(jobs),
    ]


def run(command, path, capture=False):
    """Wall seconds of one run with the file on standard input (and its output if asked)."""
    with open(path, "rb") as stdin:
        start = time.perf_counter()
        result = subprocess.run(
            command,
            stdin=stdin,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            check=False,
        )
        elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed with status {result.returncode}")
    return elapsed, result.stdout


def agree(path):
    """Holds ssm-guard's violations per rule to the baseline's on the same export."""
    _, out = run(BASELINE, path, capture=True)
    expected = {k: int(v) for k, v in re.findall(r"([a-z-]+) (\d+)", out.decode().split(";")[1])}
    _, report = run(check("json", 2), path, capture=True)
    summary = json.loads(report)["summary"]
    found = {r["rule"].split("/")[1]: r["violations"] for r in summary["by_rule"]}
    if found != expected:
        sys.exit(f"violations per rule differ: ssm-guard {found}, baseline {expected}")
    records = summary["records"]
    total = sum(found.values())
    print(f"violations per rule agree: {total} in {records} records ({total / records:.2f} a record)")


def main():
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument("path")
    parser.add_argument("runs", nargs="?", type=int, default=7)
    parser.add_argument("--formats", default="jsonl")
    parser.add_argument("--jobs", default="1,2")
    args = parser.parse_args()
    commands = {"baseline": BASELINE}
    for fmt in args.formats.split(","):
        for jobs in args.jobs.split(","):
            commands[f"check {fmt} --jobs {jobs}"] = check(fmt, int(jobs))
    agree(args.path)
    size = os.path.getsize(args.path) / (1 << 20)
    times = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(run(command, args.path)[0])
    base = statistics.median(times["baseline"])
    print(f"{args.path}: {size:.0f} MiB, {args.runs} interleaved runs each")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(
            f"{name:24} median {median:6.3f} s  fastest {min(samples):6.3f} s  "
            f"{size / median:7.0f} MiB/s  {base / median:5.2f}x baseline"
        )


if __name__ == "__main__":
    main()
