"""Which of several credentials a running PostgreSQL accepts: adopt's live evidence.

When places disagree, the server that already runs knows which credentials it was initialised
with (the postgres image applies ``POSTGRES_*`` only to a fresh volume), so the candidate that
logs in is usually the truth. Each candidate gets one login and nothing else: no statement is
run, the session is read-only, and every driver error counts as "does not log in".
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from envsync.live import driver

# Seconds to wait for the server, per attempt: a probe must never hold adopt up.
TIMEOUT = 2


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str
    database: str


def answers(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on ``host:port`` (whose server it is, a login
    tells)."""
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT):
            return True
    except OSError:
        return False


def logins(host: str, port: int, candidates: Iterable[Credentials]) -> Mapping[Credentials, bool]:
    """Each candidate and whether it logs in; empty when no driver is installed or no server
    answers on ``host:port`` (then there is no evidence, not evidence against every place)."""
    if not driver.installed() or not answers(host, port):
        return {}
    return {
        candidate: driver.logs_in(
            driver.Login(host, port, candidate.user, candidate.database, candidate.password),
            timeout=TIMEOUT,
        )
        for candidate in dict.fromkeys(candidates)
    }


__all__ = ["TIMEOUT", "Credentials", "answers", "logins"]
