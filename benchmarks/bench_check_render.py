"""How long `envsync check` and `envsync render` take on a generated project, against the job a
user would otherwise run with Copier on the same project (`copier recopy --pretend`, which
re-renders the whole template from the answers and writes nothing).

    .venv/bin/python benchmarks/bench_check_render.py [--runs N]

Prints medians over N runs (wall clock, each a fresh process, as in a pre-commit hook) and the
peak memory (max RSS) of one run of each command.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def timed(command: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    """(median seconds, median peak RSS in MiB), each run a fresh process."""
    seconds, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds.append(time.perf_counter() - start)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {child.returncode}")
        peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(seconds), statistics.median(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    # Byte-compile envsync as an installed wheel is, whatever PYTHONDONTWRITEBYTECODE says:
    # otherwise every timed run would compile it again.
    import envsync

    package = str(Path(envsync.__file__).parent)
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "template"
        source.mkdir()
        shutil.copy(REPO / "copier.yml", source)
        shutil.copytree(REPO / "template", source / "template")
        project = Path(scratch) / "project"
        copy = [str(BIN / "copier"), "copy", "--trust", "--defaults", "--quiet"]
        subprocess.run([*copy, str(source), str(project)], check=True, capture_output=True)

        envsync = str(BIN / "envsync")
        copier = [str(BIN / "copier"), "recopy", "--trust", "--defaults", "--pretend", "--quiet"]
        rows = [
            ("envsync check", *timed([envsync, "check"], project, runs)),
            ("envsync render (nothing to do)", *timed([envsync, "render"], project, runs)),
            ("copier recopy --pretend", *timed(copier, project, max(3, runs // 3))),
        ]
    baseline = rows[-1][1]
    print(f"median of {runs} runs (copier: {max(3, runs // 3)}), one process per run\n")
    print(f"| {'command':<32} | {'median':>9} | {'faster':>7} | {'peak RSS':>9} |")
    print(f"|{'-' * 34}|{'-' * 10}:|{'-' * 8}:|{'-' * 10}:|")
    for name, seconds, mib in rows:
        print(
            f"| {name:<32} | {seconds * 1000:6.1f} ms | {baseline / seconds:6.1f}x "
            f"| {mib:5.1f} MiB |"
        )


if __name__ == "__main__":
    main()
