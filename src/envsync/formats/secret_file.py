"""A secret file (compose's top-level ``secrets: name: {file: ...}``): the whole content is the
value. The postgres image reads ``POSTGRES_PASSWORD_FILE`` as the shell's ``$(< file)`` does,
trailing newlines dropped; a write keeps the newlines the file ends with."""

from __future__ import annotations

from envsync.formats import Context, Reading, Unreferenced

# The locator of the one place a secret file has: all of it.
CONTENT = "content"


def value(text: str) -> str:
    """What the image reads from a file holding ``text``."""
    return text.rstrip("\n")


class SecretFileDocument(Unreferenced):
    def __init__(self, text: str, context: Context) -> None:
        self.text = text
        self.path = context.path

    def read(self, locator: str) -> Reading:
        read = value(self.text)
        return Reading(read, read, 1)

    def escape(self, value: str) -> str:
        return value

    def write(self, locator: str, source: str | tuple[str, ...]) -> str:
        assert isinstance(source, str)
        ending = self.text[len(value(self.text)) :]
        return source + ending
