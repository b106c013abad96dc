"""How the bot does on real alerting rules: class and subject accuracy, unsafe proposals.

Runs every case of tests/fixtures/real_alerts/corpus.json through the same stages the
server runs (normalize, subject, runbook triage, checks, policy) and prints one table.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.real_alerts import score_corpus


def main() -> None:
    started = time.perf_counter()
    score = score_corpus()
    elapsed = time.perf_counter() - started
    by_class: Counter[str] = Counter(r.expected_class for r in score.results)
    right: Counter[str] = Counter(r.expected_class for r in score.results if r.class_ok)
    print("real-alert corpus")
    print(f"| {'metric':<34} | {'value':>9} |")
    print(f"|{'-' * 36}|{'-' * 11}|")
    rows = [
        ("cases", f"{score.cases}"),
        ("class accuracy", f"{score.class_accuracy:.1%}"),
        ("subject accuracy (kind, ns, name)", f"{score.subject_accuracy:.1%}"),
        ("remediations proposed", f"{score.remediations}"),
        ("wrong-target remediations", f"{score.wrong_target}"),
        ("unsafe proposals", f"{score.unsafe}"),
        ("ms per alert", f"{elapsed / score.cases * 1000:.2f}"),
    ]
    for name, value in rows:
        print(f"| {name:<34} | {value:>9} |")
    print()
    print(f"| {'class':<28} | {'cases':>5} | {'right':>5} |")
    print(f"|{'-' * 30}|{'-' * 7}|{'-' * 7}|")
    for name, count in sorted(by_class.items()):
        print(f"| {name:<28} | {count:>5} | {right[name]:>5} |")


if __name__ == "__main__":
    main()
