"""Rules about the YAML files as written: keys in a stable order.

`faborite fmt` puts keys in this order (:mod:`faborite.fmt.yaml_format`); lint
reports files written otherwise. In every entry of a properties file (models, seeds, sources, their columns and
tables): ``name`` first, then the entry's own settings in any order
(``description``, ``type``, ``config``, a sync source's provider keys...), then
the lists it holds (``columns``, ``tables``, ``checks``/``tests``) in any order.
Strict enough that entries read alike, loose enough for provider-specific keys.
"""

from __future__ import annotations

from collections.abc import Iterator

from faborite.lint.finding import Finding, LintContext

from faborite.fmt.yaml_format import NESTED, key_rank as _rank


def yaml_key_order(ctx: LintContext) -> Iterator[Finding]:
    """FAB007: an entry of a properties file whose keys are not in the stable order (module doc)."""
    from faborite.config.yaml_loader import load_yaml_file

    for display, path in ctx.properties_files.items():
        data = load_yaml_file(path, display)
        if not isinstance(data, dict):
            continue
        for section in ("models", "seeds", "sources"):
            entries = data.get(section)
            if isinstance(entries, list):
                yield from _check_entries(entries, display, section[:-1])


def _check_entries(entries: list, file: str, what: str) -> Iterator[Finding]:
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        keys = [key for key in entry if isinstance(key, str)]
        for before, after in zip(keys, keys[1:]):
            if _rank(before) > _rank(after):
                expected = ", ".join(sorted(keys, key=_rank))
                yield Finding(code="FAB007", file=file, line=getattr(entry, "key_lines", {}).get(after),
                              message=f"{what} {entry.get('name')!r}: key {after!r} comes after {before!r}",
                              hint=f"name first, its settings next, nested lists ({', '.join(NESTED[:3])}) "
                                   f"last: {expected}")
                break
        for child in ("columns", "tables"):
            if isinstance(entry.get(child), list):
                yield from _check_entries(entry[child], file, child[:-1])
