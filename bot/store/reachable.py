"""An unreachable database is one line for the operator, not a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError


class DatabaseUnreachable(Exception):
    """The database named by SMOKEJUMPER_DATABASE_URL could not be opened."""


def _where(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the configured database"


@contextmanager
def reaching(url: str) -> Iterator[None]:
    """Turn connection failures inside the block into DatabaseUnreachable."""
    try:
        yield
    except (OSError, SQLAlchemyError) as exc:
        # The driver's own words, first line only: they name host and port, never the
        # password, which is hidden from the URL shown.
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise DatabaseUnreachable(
            f"cannot reach the database at {_where(url)} "
            f"(SMOKEJUMPER_DATABASE_URL): {type(exc).__name__}: {detail}"
        ) from None
