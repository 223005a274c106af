"""The on-disk JSON form of a :class:`~faborite.state.model.State`, versioned.

Terraform statefile style: every file carries ``format_version``; each version
ever written has a reader in :data:`READERS`, and old versions are read by
upgrading them step by step to the current shape. The models know nothing of
this number.

Adding format 2 means: bump :data:`CURRENT_FORMAT_VERSION`, write ``_read_v2``
(today's ``_read_v1`` body, adapted), turn ``_read_v1`` into
``return _read_v2(_upgrade_v1_to_v2(raw))``, and register ``2: _read_v2``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from faborite.errors import StateError
from faborite.state.model import State

CURRENT_FORMAT_VERSION = 1

_RESTORE_HINT = "restore the file from version control or a backup, or read an earlier serial"


def dumps(state: State) -> bytes:
    """Serialise ``state`` as UTF-8 JSON in the current format.

    Deterministic (sorted keys, fixed indent) so identical states give identical
    bytes and snapshots diff well in review.
    """
    body = {"format_version": CURRENT_FORMAT_VERSION, **state.model_dump(mode="json")}
    for late in ("moved_to", "promoted_from"):
        if body.get("event") and late in body["event"] and body["event"][late] is None:
            # Added after format 1 shipped: left out unless set, so a state no migration or promote
            # touched is the same bytes as before, and a faborite without the field still reads it.
            del body["event"][late]
    text = json.dumps(body, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def loads(data: bytes, source: str) -> State:
    """Parse a state file's bytes; ``source`` names the file in errors.

    Raises :class:`StateError` for invalid JSON (with its line), a file written
    by a newer faborite, an unknown format, or content that is not a state.
    """
    try:
        raw = json.loads(data)
    except UnicodeDecodeError as exc:
        raise StateError(
            f"state file {source} is not UTF-8 text: {exc.reason}", file=source, hint=_RESTORE_HINT
        ) from exc
    except json.JSONDecodeError as exc:
        raise StateError(
            f"state file {source} is not valid JSON: {exc.msg} (column {exc.colno})",
            file=source,
            line=exc.lineno,
            hint=_RESTORE_HINT,
        ) from exc
    if not isinstance(raw, dict):
        raise StateError(f"state file {source} does not hold a JSON object", file=source, hint=_RESTORE_HINT)

    version = raw.pop("format_version", None)
    # bool is an int subclass; `true` is not a version.
    if not isinstance(version, int) or isinstance(version, bool):
        raise StateError(
            f"state file {source} has no valid format_version (found {version!r})",
            file=source,
            hint=_RESTORE_HINT,
        )
    if version > CURRENT_FORMAT_VERSION:
        raise StateError(
            f"state file {source} was written by a newer faborite (format {version}); upgrade faborite",
            file=source,
            hint=f"this faborite reads state formats up to {CURRENT_FORMAT_VERSION}",
        )
    reader = READERS.get(version)
    if reader is None:
        raise StateError(f"state file {source} has unknown format_version {version}", file=source, hint=_RESTORE_HINT)
    try:
        return reader(raw)
    except ValidationError as exc:
        raise StateError(
            f"state file {source} is not a valid faborite state (format {version}): {_first_error(exc)}",
            file=source,
            hint=_RESTORE_HINT,
        ) from exc


def _first_error(exc: ValidationError) -> str:
    # One precise problem reads better than pydantic's full multi-line report.
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def _read_v1(raw: dict[str, Any]) -> State:
    """Format 1: the State model's fields at the top level."""
    return State.model_validate(raw)


#: One reader per format version ever written; each returns a current State.
READERS: dict[int, Callable[[dict[str, Any]], State]] = {1: _read_v1}
