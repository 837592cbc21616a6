"""The one way live code opens a PostgreSQL session: psycopg, installed with ``envsync[embedded]``.

Every caller (rotation, doctor, ``db up``, adopt's probe) goes through :func:`connect`, so the
timeout, the "no driver" message and the shape of a refusal are the same everywhere, and no
other module imports the driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from envsync.errors import DatabaseError

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "CONNECT_TIMEOUT",
    "NO_DRIVER",
    "Login",
    "Refused",
    "connect",
    "installed",
    "logs_in",
    "run_statements",
]

#: Seconds to wait for a server before calling it unreachable.
CONNECT_TIMEOUT = 5
NO_DRIVER = "this needs a PostgreSQL driver: pip install 'envsync[embedded]'"


@dataclass(frozen=True)
class Login:
    """Where and as whom to log in; ``host`` is an address, a name or a unix socket directory."""

    host: str
    port: int
    user: str
    database: str
    password: str | None = None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class Refused(DatabaseError):
    """The server refused the login or a statement; ``text`` is the driver's whole message."""

    def __init__(self, text: str, *, at_login: bool = True) -> None:
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        super().__init__(lines[-1] if lines else "refused")
        self.text = text
        #: Whether the session itself was refused (else a statement in it was).
        self.at_login = at_login

    @property
    def reason(self) -> str:
        return str(self)

    @property
    def bad_password(self) -> bool:
        return "password authentication failed" in self.text

    @property
    def missing_role(self) -> bool:
        return "role" in self.text and "does not exist" in self.text

    @property
    def missing_database(self) -> bool:
        return "database" in self.text and "does not exist" in self.text


def _psycopg() -> ModuleType:
    try:
        import psycopg
    except ImportError:
        raise DatabaseError(NO_DRIVER) from None
    return psycopg


def installed() -> bool:
    try:
        _psycopg()
    except DatabaseError:
        return False
    return True


def connect(
    login: Login,
    *,
    hostaddr: str | None = None,
    read_only: bool = False,
    autocommit: bool = True,
    timeout: float = CONNECT_TIMEOUT,
) -> psycopg.Connection[tuple[Any, ...]]:
    """A session as ``login``; :class:`Refused` when the server (or no server) says no."""
    driver = _psycopg()
    options = {"options": "-c default_transaction_read_only=on"} if read_only else {}
    try:
        connection: psycopg.Connection[tuple[Any, ...]] = driver.connect(
            host=login.host,
            hostaddr=hostaddr,
            port=login.port,
            user=login.user,
            password=login.password,
            dbname=login.database,
            connect_timeout=max(1, int(timeout)),
            autocommit=autocommit,
            application_name="envsync",
            **options,
        )
    except driver.Error as error:
        raise Refused(str(error)) from None
    return connection


def logs_in(login: Login, *, timeout: float = CONNECT_TIMEOUT) -> bool:
    """Whether ``login`` opens a read-only session (nothing is run in it)."""
    try:
        connect(login, read_only=True, timeout=timeout).close()
    except Refused:
        return False
    return True


def run_statements(login: Login, statements: Sequence[str]) -> None:
    """All statements in one transaction: every change or none; :class:`Refused` on error."""
    driver = _psycopg()
    with connect(login, autocommit=False) as connection:
        try:
            for statement in statements:
                connection.execute(statement)
            connection.commit()
        except driver.Error as error:
            connection.rollback()
            raise Refused(str(error), at_login=False) from None
