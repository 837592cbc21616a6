"""The single source: facts by name, from the answers and from the map's own ``[facts]``.

The answers (``.copier-answers.yml``) hold the template's facts; a team adds facts of its own in
the map. Which facts are secret decides what every report masks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from envsync import answers as answers_module
from envsync.answers import Answers
from envsync.errors import MapError
from envsync.places.map_file import MAP_FILE
from envsync.places.model import PlaceMap

SECRET_ANSWERS = frozenset({"db_password"})


@dataclass(frozen=True)
class Facts:
    values: Mapping[str, str]
    secret: frozenset[str]
    answers: Answers

    def is_secret(self, names: tuple[str, ...]) -> bool:
        return any(name in self.secret for name in names)

    def secret_values(self) -> list[str]:
        return [self.values[name] for name in sorted(self.secret) if name in self.values]


def from_answers(answers: Answers, place_map: PlaceMap) -> Facts:
    values = {key: str(value) for key, value in answers.context().items()}
    secret = set(SECRET_ANSWERS)
    for name, fact in place_map.facts.items():
        if name in values:
            raise MapError(
                path=MAP_FILE,
                message=f"facts.{name} is already an answer in {answers_module.ANSWERS_FILE}; "
                "change it with `envsync set` instead",
            )
        values[name] = fact.value
        if fact.secret:
            secret.add(name)
    for place in place_map.places:
        place.check_facts(values, MAP_FILE)
    return Facts(values, frozenset(secret), answers)


def load(project_dir: Path, place_map: PlaceMap) -> Facts:
    return from_answers(answers_module.load(project_dir), place_map)
