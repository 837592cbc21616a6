"""The render cache: a check reuses renderings only while every input is unchanged."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from envsync import answers, render
from envsync.project import MANAGED_FILES

TEMPLATES = tuple(managed.template for managed in MANAGED_FILES)


def _fresh(loaded: answers.Answers) -> dict[str, tuple[str, str]]:
    return {
        name: (render.render_path(name, loaded), render.render_file(name, loaded))
        for name in TEMPLATES
    }


def _cache_files() -> list[Path]:
    return sorted((Path(os.environ["XDG_CACHE_HOME"]) / "envsync").glob("render-*.json"))


def test_cached_rendering_equals_a_fresh_one_and_is_private(project: Path) -> None:
    loaded = answers.load(project)
    first = render.render_all(project, loaded, TEMPLATES)
    (cache_file,) = [p for p in _cache_files() if p == render._cache_file(project)]
    assert cache_file.stat().st_mode & 0o077 == 0
    assert render.render_all(project, loaded, TEMPLATES) == first == _fresh(loaded)


def test_changed_answers_are_rendered_again(project: Path) -> None:
    loaded = answers.load(project)
    render.render_all(project, loaded, TEMPLATES)
    changed = answers.from_mapping(
        {**loaded.context(), "db_password": "another one"}, path=Path("answers")
    )
    rendered = render.render_all(project, changed, TEMPLATES)
    assert rendered == _fresh(changed) != _fresh(loaded)


def test_a_corrupt_cache_is_ignored_and_replaced(project: Path) -> None:
    loaded = answers.load(project)
    render.render_all(project, loaded, TEMPLATES)
    cache_file = render._cache_file(project)
    cache_file.write_text('{"key": "x", "files": [1, 2')
    assert render.render_all(project, loaded, TEMPLATES) == _fresh(loaded)
    assert cache_file.read_text().startswith('{"key": "')
    assert render.render_all(project, loaded, TEMPLATES) == _fresh(loaded)


def test_local_secret_storage_leaves_no_copy_of_the_password_in_the_cache(
    make_project: Callable[..., Path],
) -> None:
    project = make_project("local", secret_storage="local", db_password="kept-local-only")
    loaded = answers.load(project)
    assert render.render_all(project, loaded, TEMPLATES) == _fresh(loaded)
    assert not render._cache_file(project).exists()
