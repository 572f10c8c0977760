"""No lone surrogate reaches the database: refused at its edge with a clear error.

Python strings can hold lone surrogates (U+D800–U+DFFF: half of a UTF-16 pair, produced by broken
clients, ``surrogateescape`` decoding or a crafted request); UTF-8 cannot encode them, so SQLite's
driver raised ``UnicodeEncodeError`` from deep inside a search or a sign-in, and psycopg refuses
them too. Every statement's string parameters are checked before they are sent: one holding a
lone surrogate is refused as ``ValidationFailed`` (``text_surrogate``) naming its position, which
the interfaces translate like any invalid input. Checking costs one ``isascii`` per parameter for
ordinary text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from ivc.errors import ValidationFailed


def lone_surrogate(text: str) -> int | None:
    """Position of the first lone surrogate in ``text``, or None."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def _values(parameters: Any) -> Iterable[Any]:
    if isinstance(parameters, Mapping):
        yield from parameters.values()
    elif isinstance(parameters, list | tuple):
        for item in parameters:
            if isinstance(item, Mapping | list | tuple):
                yield from _values(item)
            else:
                yield item


def _check(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    for value in _values(parameters):
        if isinstance(value, str) and (at := lone_surrogate(value)) is not None:
            raise ValidationFailed(
                f"the text holds an invalid character (a lone surrogate U+{ord(value[at]):04X}) at position {at}",
                code="text_surrogate",
                character=f"U+{ord(value[at]):04X}",
                position=at,
            )


def install(engine: Engine) -> None:
    """Check every statement this engine runs (idempotent)."""
    if not event.contains(engine, "before_cursor_execute", _check):
        event.listen(engine, "before_cursor_execute", _check)
