"""A secret file read as the postgres image reads ``POSTGRES_PASSWORD_FILE`` (its entrypoint's
``"$(< file)"`` in bash), and written keeping the file's own trailing newlines."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from envsync.formats.secret_file import CONTENT, SecretFileDocument
from tests.formats.context import context

# What a file holds: any text but NUL (bash cannot hold one in a variable).
TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))


def image_reads(path: Path) -> str:
    """The value the postgres image's entrypoint gets from the file."""
    result = subprocess.run(
        ["bash", "-c", 'printf %s "$(< "$1")"', "bash", str(path)],
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


@settings(max_examples=60, deadline=None)
@given(text=TEXT)
def test_a_secret_file_reads_as_the_image_reads_it(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "pw.txt"
        path.write_bytes(text.encode())
        expected = image_reads(path)
    assert SecretFileDocument(text, context("pw.txt")).read(CONTENT).value == expected


@settings(max_examples=60, deadline=None)
@given(text=TEXT, value=TEXT.filter(lambda value: not value.endswith("\n")))
def test_a_write_is_read_back_and_keeps_the_files_newlines(text: str, value: str) -> None:
    written = SecretFileDocument(text, context("pw.txt")).write(CONTENT, value)
    assert SecretFileDocument(written, context("pw.txt")).read(CONTENT).value == value
    assert len(written) - len(written.rstrip("\n")) == len(text) - len(text.rstrip("\n"))
