"""Mail parsing over the public corpus in ../shared/data/mail: speed and accuracy.

Parses every message (files read into memory first, so only parsing is timed), then
reports the agreement with the oracles: stalwart mail-parser (subject, sender, text,
attachment names and sizes), talon (reply stripping), sisimai (bounces: hard/soft,
reason, DSN status; maildir/not false positives) and zbateson's expected files.

    .venv/bin/python bench/mail_corpus.py [--rounds 3]
"""

import argparse
import json
import platform
import time
from collections import Counter
from pathlib import Path

from deskline.mail.parsing import parse_message
from deskline.mail.tests.corpus import (
    MAIL_DIR,
    compare_stalwart,
    corpus_files,
    lost_parts,
    stalwart_cases,
    stalwart_expected,
    talon_cases,
    talon_passes,
    zbateson_file_matches,
)
from deskline.mail.tests.corpus import bounce_scores as sisimai_scores


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not MAIL_DIR.is_dir():
        raise SystemExit(f"no corpus at {MAIL_DIR}")

    raws = {path: path.read_bytes() for path in corpus_files()}
    total_bytes = sum(len(raw) for raw in raws.values())
    best = best_cpu = float("inf")
    parsed = {}
    for _ in range(args.rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        parsed = {path: parse_message(raw) for path, raw in raws.items()}
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    print(f"machine: {cpu_model()}, {platform.python_implementation()} {platform.python_version()}")
    print(
        f"parsing: {len(raws)} messages, {total_bytes / 1e6:.1f} MB in {best:.2f} s "
        f"(best of {args.rounds}) = {len(raws) / best:.0f} messages/s, "
        f"{total_bytes / 1e6 / best:.1f} MB/s; CPU time {best_cpu:.2f} s = "
        f"{len(raws) / best_cpu:.0f} messages/s of CPU"
    )
    lossy = sum(bool(lost_parts(raws[p], m)) for p, m in parsed.items())
    print(f"messages with a lost MIME part: {lossy}")

    matched, compared = Counter(), Counter()
    for eml, oracle in stalwart_cases():
        expected = stalwart_expected(json.loads(oracle.read_text()))
        for name, ok in compare_stalwart(parsed[eml], expected).items():
            if ok is not None:
                compared[name] += 1
                matched[name] += ok
    print("stalwart oracle (matched/compared):")
    for name in compared:
        rate = matched[name] / compared[name]
        print(f"  {name:17} {matched[name]:3}/{compared[name]:3} = {rate:.1%}")

    same, total = zbateson_file_matches(parsed)
    print(f"zbateson expected files: {same}/{total} identical")

    cases = talon_cases()
    passed = sum(talon_passes(text, expected, keep) for _, text, expected, keep in cases)
    print(f"talon reply stripping: {passed}/{len(cases)} = {passed / len(cases):.1%}")

    scores = sisimai_scores(parsed)
    print(f"sisimai bounces ({scores['bounces']} with an expectation):")
    for name in ("detected", "hard_soft", "reason", "status", "bsd_automated"):
        print(f"  {name:14} {scores[name]:.1%}")
    print(
        f"  maildir/not false positives: {scores['not_bounce_false_positives']}"
        f"/{scores['not_bounce_files']}"
    )


if __name__ == "__main__":
    main()
