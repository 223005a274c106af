"""Two nodes may not be published as one relation."""

from __future__ import annotations

from collections.abc import Mapping

from faborite.errors import CompileError
from faborite.relation import Relation


def check_unique_relations(relations: Mapping[str, Relation], files: Mapping[str, str]) -> None:
    """Refuse two nodes (``relations``: node name -> published relation; ``files``: node name -> its
    file) published as one relation, ignoring case: most engines fold unquoted names, and DuckDB
    matches even quoted ones case-insensitively."""
    seen: dict[str, str] = {}
    for name, relation in relations.items():
        key = relation.key.casefold()
        if key in seen:
            other = seen[key]
            where = " and ".join(f"{n!r} ({files[n]})" if files.get(n) else repr(n) for n in (other, name))
            same = "" if relation.key == relations[other].key else ", names differ only in case"
            raise CompileError(
                f"{where} would both be published as {relation.key}{same}",
                file=files.get(name), hint="rename one, or give it a different alias or schema",
            )
        seen[key] = name
