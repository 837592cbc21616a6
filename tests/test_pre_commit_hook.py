"""The hook other repositories use is a valid pre-commit manifest that runs ``envsync check``."""

from __future__ import annotations

from pre_commit.clientlib import load_manifest

from tests.conftest import REPO


def test_manifest_exposes_envsync_check() -> None:
    (hook,) = load_manifest(str(REPO / ".pre-commit-hooks.yaml"))
    assert hook["id"] == "envsync-check"
    assert hook["entry"] == "envsync check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
