"""``envsync set``: change facts, then write every place that spells them.

Answers go to ``.copier-answers.yml``; facts of the team's own go to the map's ``[facts]``.
The new facts are planned before any file is touched, so a value that a place cannot carry
leaves everything as it was.
"""

from __future__ import annotations

from pathlib import Path

from envsync import answers, apply, copies, file_io, local_secret, plan, render, secret_history
from envsync import facts as facts_module
from envsync.answers import ANSWERS_FILE
from envsync.errors import AnswersError
from envsync.live import change_order, rotation
from envsync.live.rotation import LiveOutcome
from envsync.places import map_file
from envsync.places.map_file import MAP_FILE
from envsync.places.model import Fact, PlaceMap


def _template_map(project_dir: Path, raw: dict[str, object], place_map: PlaceMap) -> bool:
    """Whether the project's map is exactly what the template makes of the current answers."""
    found = file_io.read(project_dir, MAP_FILE)
    if found is None:
        return True
    try:
        current = facts_module.complete(project_dir, raw, place_map)
    except AnswersError:
        return False
    return render.template_for(MAP_FILE, current) == found.text


def set_facts(
    project_dir: Path, assignments: list[str], *, files_only: bool = False
) -> tuple[plan.Plan, LiveOutcome]:
    """Validate every assignment, change the running database (unless ``files_only``), then
    write the answers, the map and every place."""
    raw = answers.read_raw(project_dir / ANSWERS_FILE)
    place_map, map_text = plan.load(project_dir)
    if "db_password" not in raw:
        # secret_storage: local keeps the password out of the answers; a switch back needs it.
        backend_dir = str(raw.get("backend_dir", answers.DEFAULTS["backend_dir"]))
        kept = facts_module.kept_password(project_dir, backend_dir, place_map)
        if kept:
            raw["db_password"] = kept
    template_map = _template_map(project_dir, raw, place_map)
    own_facts = dict(place_map.facts)
    changed_own: dict[str, str] = {}
    for assignment in assignments:
        key, value = answers.parse_assignment(assignment)
        if key in own_facts:
            if not isinstance(value, str) or not value or "\n" in value:
                raise AnswersError(path=MAP_FILE, key=key, message="must be one line of text")
            own_facts[key] = Fact(value, own_facts[key].secret)
            changed_own[key] = value
            continue
        questions = {*raw, *answers.template_questions(render.template_dir().parent)}
        reason = answers.problem(key, value, questions=questions)
        if reason:
            raise AnswersError(path="envsync set", key=key, message=reason)
        raw[key] = value
    if raw.get("secret_storage") == local_secret.LOCAL and "db_password" in raw:
        # A password typed on the command line is refused there, not in the answers file.
        reason = local_secret.problem(str(raw["db_password"]))
        if reason and any(a.partition("=")[0] == "db_password" for a in assignments):
            raise AnswersError(path="envsync set", key="db_password", message=reason)
    validated = facts_module.complete(project_dir, raw, place_map)
    if validated.secret_storage == local_secret.LOCAL:
        raw.pop("db_password", None)  # the plan writes it to the git-ignored .env instead
    new_map = PlaceMap(facts=own_facts, places=place_map.places)
    if template_map:
        # A map as the template wrote it follows the answers (secret_storage, backend_dir);
        # one the team edited is theirs.
        regenerated = render.template_for(MAP_FILE, validated)
        if regenerated is not None:
            for name, value in changed_own.items():
                regenerated = map_file.with_fact(regenerated, name, value)
            map_text = regenerated
            new_map = map_file.parse(regenerated)
    elif changed_own:
        on_disk = file_io.read(project_dir, MAP_FILE)
        map_text = on_disk.text if on_disk else map_text or ""
        for name, value in changed_own.items():
            map_text = map_file.with_fact(map_text, name, value)
    new_facts = facts_module.from_answers(validated, new_map)
    given = [k for k in (a.partition("=")[0] for a in assignments) if k not in changed_own]
    # Facts of the map's own change the map only: the answers file stays as it is, byte for byte.
    rewrites = []
    if given:
        private = validated.secret_storage != local_secret.LOCAL
        rewrites.append(
            plan.Rewrite(ANSWERS_FILE, answers.dump(raw), tuple(given), private=private)
        )
    if map_text is not None:
        secret = any(fact.secret for fact in new_map.facts.values())
        rewrites.append(plan.Rewrite(MAP_FILE, map_text, tuple(changed_own), private=secret))
    new_plan = plan.plan(project_dir, new_facts, new_map, rewrites=rewrites)
    apply.check_writable(project_dir, new_plan.changes)
    old = rotation.current(project_dir)
    before = copies.secret_values(facts_module.from_answers(old, place_map)) if old else {}
    # A database that refuses the new values stops everything before the files are written.
    live = change_order.change_and_write(
        project_dir,
        old,
        validated,
        new_plan.changes,
        keys=[a.partition("=")[0] for a in assignments],
        secret_values={k: new_facts.values[k] for k in given if k in new_facts.secret},
        files_only=files_only,
    )
    secret_history.record(project_dir, before)
    secret_history.record(project_dir, copies.secret_values(new_facts))
    return new_plan, live
