"""The README's newcomer paths work as written: the main-job script and the Quickstart blocks,
each run from the directory the README names, then ``copier update`` to a new template version."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envsync.live.server import free_port
from tests.conftest import BIN, REPO, envsync
from tests.test_copier_update import GIT_IDENTITY, _commit_all, _git

STAGES = (
    "==> 1/6 Install envsync into ",
    "==> 2/6 Generate ",
    "==> 3/6 Start the database (envsync db up)",
    "==> 4/6 Migrate (the backend's requirements, then alembic upgrade head)",
    "==> 5/6 Check that every file agrees (envsync check)",
    "==> 6/6 Ask the running database (envsync doctor)",
    "==> Done: ",
)
USER_KEY = "OPENAI_API_KEY=sk-user-key\n"
README = (REPO / "README.md").read_text()


def _fresh_shell_environment() -> dict[str, str]:
    """A new terminal's environment: no virtualenv on PATH, no DATABASE_URL from this process."""
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != BIN)
    drop = {"VIRTUAL_ENV", "DATABASE_URL", "PYTHONPATH"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, "PATH": path}


def test_quickstart_script_shows_each_stage_and_leaves_a_git_project(live_dir: Path) -> None:
    target = live_dir / "demo"
    environment = {**os.environ, "VENV": sys.prefix, "PORT": str(free_port())}
    environment.pop("DATABASE_URL", None)
    try:
        result = subprocess.run(
            ["bash", str(REPO / "scripts/quickstart.sh"), str(target)],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        headings = [line for line in result.stdout.splitlines() if line.startswith("==> ")]
        assert len(headings) == len(STAGES)
        assert all(h.startswith(s) for h, s in zip(headings, STAGES, strict=True)), headings
        assert "Running upgrade  -> 0001" in result.stderr
        assert "\nin sync\n" in result.stdout
        assert "[ok] alembic: at head (0001)" in result.stdout
        assert "The demo database is still running on 127.0.0.1:" in result.stdout
        log = subprocess.run(
            ["git", "log", "--oneline"], cwd=target, capture_output=True, text=True, check=True
        )
        assert len(log.stdout.splitlines()) == 1
        # The last lines, pasted into a new terminal: drift made and repaired, database stopped.
        pasted = "\n".join(
            line for line in result.stdout.splitlines()[-5:] if line.startswith("  ")
        )
        shell = subprocess.run(
            ["bash", "-c", pasted],
            env=_fresh_shell_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert shell.returncode == 0, shell.stdout + shell.stderr
        lines = shell.stdout.splitlines()
        assert lines[:4] == [
            "backend/.env: DATABASE_URL (host): expected '127.0.0.1', found 'localhost'",
            "1 file(s) drifted from the facts; run `envsync render` to repair",
            "updated backend/.env (DATABASE_URL (host))",
            "stopped",
        ]
        # As root, `db down` closes again what `db up` opened for the server's user.
        assert all(line.startswith("closed ") for line in lines[4:]), lines
    finally:
        envsync("db", "down", cwd=target)
    assert envsync("check", cwd=target).returncode == 0


def _quickstart_blocks() -> list[tuple[str, str]]:
    """The README Quickstart's shell blocks, each with the directory its lead-in names."""
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = []
    for match in re.finditer(r"```sh\n(.*?)```", section, re.S):
        lead_in, block = section[: match.start()].rstrip().split("\n\n")[-1], match[1]
        if "in `my-project/`" in lead_in:
            blocks.append(("my-project", block))
        elif "holds your clone `envsync/`" in lead_in or "in the same directory" in lead_in:
            blocks.append((".", block))
        else:
            raise AssertionError(f"the README does not say where this block runs: {lead_in!r}")
    return blocks


def _readme_block(heading: str) -> str:
    """The one shell block under the README heading ``heading``."""
    section = README.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    return block


def _bash(script: str, cwd: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    # A failing command is reported by the ERR trap (with -E, inside functions too).
    script = "set -E\ntrap 'echo \"::failed: $BASH_COMMAND\" >&2' ERR\n" + script
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env={**_fresh_shell_environment(), **GIT_IDENTITY, **environment},
        capture_output=True,
        text=True,
        check=False,
    )


def test_readme_quickstart_verbatim_then_copier_update_keeps_user_keys(live_dir: Path) -> None:
    # The clone: this working tree as a git repository with a release tag, as a user has it.
    clone = Path(
        shutil.copytree(
            REPO,
            live_dir / "envsync",
            ignore=shutil.ignore_patterns(
                ".git", ".venv", "__pycache__", "*.egg-info", ".*_cache", ".hypothesis"
            ),
        )
    )
    _git("init", "-q", cwd=clone)
    _commit_all(clone, "envsync v1")
    _git("tag", "v1", cwd=clone)
    project = live_dir / "my-project"
    install, generate, database, drift, update = _quickstart_blocks()
    assert [where for where, _ in (install, generate, database, drift, update)] == [
        ".",
        ".",
        "my-project",
        "my-project",
        "my-project",
    ]

    def run_in(where: str, block: str) -> str:
        return f"cd {live_dir / where}\n{block}"

    # One terminal, as the README is followed; 5432 may be taken here (a local PostgreSQL,
    # another test session), so the README's remedy for a taken port runs before `db up`.
    # The user commits the change, as `copier update` wants a clean work tree.
    remedy = f"envsync set db_port={free_port()}\ngit commit -qam 'Move the database port'\n"
    first = _bash(
        run_in(*install)
        + run_in(*generate)
        + run_in("my-project", remedy)
        + run_in(*database)
        + run_in(*drift),
        cwd=live_dir,
    )
    try:
        # The drift block's first check exits 1, as its comment says; nothing else fails.
        assert re.findall(r"::failed: .*", first.stderr) == ["::failed: envsync check"], (
            first.stdout + first.stderr
        )
        assert "Running upgrade  -> 0001" in first.stderr
        assert first.stdout.endswith("updated backend/.env (DATABASE_URL (host))\nin sync\n")

        # The user adds a key of their own; a new template version is released in the clone.
        with (project / "backend/.env").open("a") as env:
            env.write(USER_KEY)
        claude = clone / "template/CLAUDE.md.jinja"
        claude.write_text(claude.read_text().replace("\n\nNotes for", "\n\nv2.\n\nNotes for"))
        _commit_all(clone, "envsync v2")
        _git("tag", "v2", cwd=clone)

        second = _bash(f". {live_dir / '.venv/bin/activate'}\n" + run_in(*update), cwd=live_dir)
        assert "::failed" not in second.stderr, second.stdout + second.stderr
        assert second.stdout.endswith("in sync\n")
        assert "v2." in (project / "CLAUDE.md").read_text()
        assert (project / "backend/.env").read_text().endswith(USER_KEY)
        answers = (project / ".copier-answers.yml").read_text()
        assert f"_src_path: {clone}\n" in answers and "_commit: v2\n" in answers

        # The pre-commit block, then the hook on drift; its environment in a cache of the test's.
        activate = f". {live_dir / '.venv/bin/activate'}\n"
        cache = {"PRE_COMMIT_HOME": str(live_dir / "pre-commit-cache")}
        hook = _bash(
            activate + run_in("my-project", _readme_block("### Pre-commit")), live_dir, **cache
        )
        assert "::failed" not in hook.stderr, hook.stdout + hook.stderr
        assert re.search(r"envsync check\.+Passed", hook.stdout), hook.stdout
        assert "rev: v2\n" in (project / ".pre-commit-config.yaml").read_text()
        drift = "sed -i 's/127.0.0.1/localhost/' backend/.env\npre-commit run --all-files\n"
        failed = _bash(activate + run_in("my-project", drift), live_dir, **cache)
        assert re.search(r"envsync check\.+Failed", failed.stdout), failed.stdout + failed.stderr
        assert "backend/.env: DATABASE_URL (host): expected '127.0.0.1'" in failed.stdout
    finally:
        envsync("db", "down", cwd=project)


# The README's shell blocks that the tests above do not run, and who runs them verbatim.
RUN_ELSEWHERE = {
    # test_quickstart_script_... runs the script, into a directory of the test's own.
    "bash scripts/quickstart.sh ../envsync-demo\n",
    # .ci/run runs it: the suite cannot run itself.
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest\n",
    # test_the_benchmark_block_runs_verbatim below.
    ".venv/bin/python benchmarks/bench_check_render.py --runs 21\n",
}


def test_every_shell_block_of_the_readme_is_run_verbatim_by_a_test() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    here = {block for _, block in _quickstart_blocks()} | {_readme_block("### Pre-commit")}
    assert set(blocks) == here | RUN_ELSEWHERE
    assert len(blocks) == len(set(blocks))


def test_the_benchmark_block_runs_verbatim() -> None:
    """In the clone, after the README's test command made its .venv."""
    block = _readme_block("## Benchmark")
    if not (REPO / ".venv/bin/python").is_file():
        pytest.skip("the README's test command makes .venv in the clone; this run has none")
    # The big inputs at 1/200 of their size: a million-line .env belongs to the benchmark.
    environ = {**os.environ, "ENVSYNC_BENCH_SCALE": "0.005"}
    result = subprocess.run(
        ["bash", "-c", block], cwd=REPO, capture_output=True, text=True, check=False, env=environ
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"envsync check \(warm cache\) +\| +[\d.]+ ms", result.stdout), result.stdout
    assert "copier recopy --pretend" in result.stdout
