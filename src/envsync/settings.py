"""``envsync set``: change facts, then write every place that spells them.

Answers go to ``.copier-answers.yml``; facts of the team's own go to the map's ``[facts]``.
The new facts are planned before any file is touched, so a value that a place cannot carry
leaves everything as it was.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from envsync import answers, apply, copies, file_io, local_secret, plan, render, secret_history
from envsync import facts as facts_module
from envsync.answers import ANSWERS_FILE
from envsync.errors import AnswersError, EnvsyncError, MapError
from envsync.live import change_order, rotation
from envsync.live.rotation import LiveOutcome
from envsync.places import map_edit, map_file
from envsync.places.map_file import MAP_FILE
from envsync.places.model import DATABASE_FACTS, TABLE_FACTS, Database, Fact, PlaceMap


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


def _database_value(place_map: PlaceMap, service: str, name: str, value: object) -> str:
    """``SERVICE.NAME=VALUE`` for a second database of the map, validated as its answer is."""
    key = f"{service}.{name}"
    if service not in place_map.databases:
        known = ", ".join(place_map.databases) or "none"
        raise AnswersError(
            path="envsync set",
            key=key,
            message=f"names no database of {MAP_FILE} (its [database.SERVICE] tables: {known})",
        )
    if name not in TABLE_FACTS:
        raise AnswersError(
            path="envsync set", key=key, message=f"is none of {', '.join(TABLE_FACTS)}"
        )
    text = str(value)
    reason = answers.typed_problem(name, text)
    if reason:
        raise AnswersError(path="envsync set", key=key, message=reason)
    return text


def _the_database(assignments: list[str], databases: set[str]) -> str | None:
    """The one database ``set`` acts on live: a second database's when its facts are set."""
    keys = [a.partition("=")[0] for a in assignments]
    own = [k for k in keys if k in DATABASE_FACTS]
    if len(databases) > 1 or (databases and own):
        raise EnvsyncError(
            f"envsync set: {', '.join(keys)} change more than one database; set one at a time"
        )
    return next(iter(databases), None)


def set_facts(
    project_dir: Path, assignments: list[str], *, files_only: bool = False
) -> tuple[plan.Plan, LiveOutcome]:
    """Validate every assignment, change the running database (unless ``files_only``), then
    write the answers, the map and every place."""
    raw = answers.read_raw(project_dir / ANSWERS_FILE)
    # The project's own database named as a second one's (`rotate --database db`): its answers.
    own_service = f"{raw.get('db_service', answers.DEFAULTS['db_service'])}."
    assignments = [assignment.removeprefix(own_service) for assignment in assignments]
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
    changed_databases: dict[str, dict[str, str]] = {}
    template_questions: tuple[str, ...] | None = None  # read from copier.yml once, if asked
    for assignment in assignments:
        key, value = answers.parse_assignment(assignment)
        service, dot, name = key.partition(".")
        if dot:
            text = _database_value(place_map, service, name, value)
            changed_databases.setdefault(service, {})[name] = text
            continue
        if key in own_facts:
            if not isinstance(value, str) or not value or "\n" in value:
                raise AnswersError(path=MAP_FILE, key=key, message="must be one line of text")
            own_facts[key] = Fact(value, own_facts[key].secret)
            changed_own[key] = value
            continue
        if template_questions is None:
            template_questions = answers.template_questions(render.template_dir().parent)
        reason = answers.problem(key, value, questions={*raw, *template_questions})
        if reason:
            raise AnswersError(path="envsync set", key=key, message=reason)
        raw[key] = value
    if raw.get("secret_storage") == local_secret.LOCAL and "db_password" in raw:
        # A password typed on the command line is refused there, not in the answers file.
        reason = local_secret.problem(str(raw["db_password"]))
        if reason and any(a.partition("=")[0] == "db_password" for a in assignments):
            raise AnswersError(path="envsync set", key="db_password", message=reason)
    database = _the_database(assignments, set(changed_databases))
    validated = facts_module.complete(project_dir, raw, place_map)
    if validated.secret_storage == local_secret.LOCAL:
        raw.pop("db_password", None)  # the plan writes it to the git-ignored .env instead
    kept_elsewhere = facts_module.kept_secrets(project_dir, place_map)
    new_kept = dict(kept_elsewhere)
    databases = dict(place_map.databases)
    database_edits: list[tuple[str, str, str]] = []
    for service, changed in changed_databases.items():
        facts_of = dict(databases[service].facts)
        for name, text in changed.items():
            if name == "db_password" and name not in facts_of:
                new_kept[f"{service}.{name}"] = text  # kept in its git-ignored places only
            else:
                facts_of[name] = text
                database_edits.append((service, name, text))
        databases[service] = Database(service, facts_of)
    new_map = replace(place_map, facts=own_facts, databases=databases)
    if template_map:
        # A map as the template wrote it follows the answers (secret_storage, backend_dir);
        # one the team edited is theirs.
        regenerated = render.template_for(MAP_FILE, validated)
        if regenerated is not None:
            for name, value in changed_own.items():
                regenerated = map_edit.with_fact(regenerated, name, value)
            map_text = regenerated
            new_map = map_file.parse(regenerated)
    elif changed_own or database_edits:
        on_disk = file_io.read(project_dir, MAP_FILE)
        map_text = on_disk.text if on_disk else map_text or ""
        for name, value in changed_own.items():
            map_text = map_edit.with_fact(map_text, name, value)
        for service, name, value in database_edits:
            map_text = map_edit.with_database_fact(map_text, service, name, value)
        if map_file.parse(map_text).databases != new_map.databases:
            raise MapError(
                path=MAP_FILE,
                message="the [database.*] tables cannot be changed in place (a table written "
                "twice, or in another shape); nothing was written",
            )
    new_facts = facts_module.from_answers(validated, new_map, new_kept)
    in_map = [*changed_own, *(f"{service}.{name}" for service, name, _ in database_edits)]
    given = [
        k for k in (a.partition("=")[0] for a in assignments) if k not in in_map and "." not in k
    ]
    # Facts of the map's own change the map only: the answers file stays as it is, byte for byte.
    rewrites = []
    if given:
        private = validated.secret_storage != local_secret.LOCAL
        rewrites.append(
            plan.Rewrite(ANSWERS_FILE, answers.dump(raw), tuple(given), private=private)
        )
    if map_text is not None:
        secret = any(fact.secret for fact in new_map.facts.values()) or any(
            "db_password" in d.facts for d in new_map.databases.values()
        )
        rewrites.append(plan.Rewrite(MAP_FILE, map_text, tuple(in_map), private=secret))
    new_plan = plan.plan(project_dir, new_facts, new_map, rewrites=rewrites)
    apply.check_writable(project_dir, new_plan.changes)
    old = rotation.current(project_dir)
    try:
        old_facts = facts_module.from_answers(old, place_map, kept_elsewhere) if old else None
    except EnvsyncError:
        old_facts = None  # a second database's password was lost: set gives it anew
    before = copies.secret_values(old_facts) if old_facts else {}
    keys = [a.partition("=")[0] for a in assignments]
    if database is not None:
        old = facts_module.database_answers(old_facts, database) if old_facts else None
        validated = facts_module.database_answers(new_facts, database)
    # A database that refuses the new values stops everything before the files are written.
    live = change_order.change_and_write(
        project_dir,
        old,
        validated,
        new_plan.changes,
        keys=keys,
        secret_values={k: new_facts.values[k] for k in keys if k in new_facts.secret},
        files_only=files_only,
    )
    after = copies.secret_values(new_facts)
    secret_history.record(
        project_dir,
        {fact: [*before.get(fact, ()), *after.get(fact, ())] for fact in sorted({*before, *after})},
    )
    return new_plan, live
