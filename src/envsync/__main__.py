"""``python -m envsync``: the CLI under the interpreter Copier runs, for copier.yml's tasks."""

from envsync.cli import app

app(prog_name="envsync")
