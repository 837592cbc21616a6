"""What runs: the installed envsync's version and the template commit it renders from (read
only when asked: ``envsync check`` is hot)."""

from __future__ import annotations


def version() -> str:
    """The installed distribution's version (metadata is read only when asked: check is hot)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as distribution_version

    try:
        return distribution_version("envsync")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "unknown"


def template_commit() -> str | None:
    from envsync import template_source

    return template_source.commit()
