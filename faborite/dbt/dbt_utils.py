"""faborite's fallbacks for widely used dbt_utils macros (the Jinja is in ``dbt_utils.sql`` and ``dbt_utils_more.sql`` beside this file).

They are reachable as ``dbt_utils.<macro>`` only when no package named
``dbt_utils`` is vendored under ``dbt_packages/``: a vendored package always
wins. The file is compiled the first time a template touches ``dbt_utils``;
the compile says once that the fallbacks are in use
(:func:`faborite.dbt.project_facts.fallback_note`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Periods ``date_spine`` generates when its bounds are not literal dates (the rows past the end are
#: filtered out, so any over-estimate gives the same rows).
UNKNOWN_SPAN_PERIODS = 65_536
_FILE = Path(__file__).with_name("dbt_utils.sql")
#: Every file of the fallback package: the 1.x macros, then introspection, 0.x names and more generic tests.
_FILES = (_FILE, _FILE.with_name("dbt_utils_more.sql"))
_DATE = re.compile(r"""^\s*(?:cast\s*\(\s*)?(?:date\s*)?'(\d{4})-(\d{2})-(\d{2})'(?:\s+as\s+date\s*\))?\s*$""", re.I)


def intervals_between(start_date: Any, end_date: Any, datepart: Any) -> int:
    """Periods of ``datepart`` from start to end, when both are literal dates (``'2024-01-01'``,
    ``cast('2024-01-01' as date)``); else :data:`UNKNOWN_SPAN_PERIODS`. Computed here because
    dbt_utils asks the warehouse, which a plan never does."""
    start, end = _literal_date(start_date), _literal_date(end_date)
    if start is None or end is None:
        return UNKNOWN_SPAN_PERIODS
    part = str(datepart).strip("'\" ").lower()
    days = (end - start).days
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    count = {"day": days, "week": days // 7 + 1, "month": months, "quarter": months // 3 + 1,
             "year": end.year - start.year + 1, "hour": days * 24, "minute": days * 1440}.get(part)
    return max(count if count is not None else UNKNOWN_SPAN_PERIODS, 1)


def _literal_date(text: Any) -> datetime.date | None:
    match = _DATE.match(str(text))
    if match is None:
        return None
    try:
        return datetime.date(*map(int, match.groups()))
    except ValueError:
        return None


def load(compile_file: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """The fallback macros, compiled by ``compile_file(path, text)``."""
    macros: dict[str, Any] = {}
    for file in reversed(_FILES):  # the first file's macro wins a name both define
        macros.update(compile_file(f"<faborite>/{file.name}", file.read_text(encoding="utf-8")))
    return {**macros, **{f"default__{name}": macro for name, macro in macros.items()}}


def fallback_tests(vendored: set[str]) -> set[str]:
    """``dbt_utils.<test>`` generic tests faborite implements, when no ``dbt_utils`` is vendored."""
    if "dbt_utils" in vendored:
        return set()
    from faborite.dbt.tests import generic_test_names

    return {f"dbt_utils.{name}" for name in generic_test_names(f.read_text(encoding="utf-8") for f in _FILES)}


def answer_plan_time_queries(packages: dict[str, dict[str, Any]], target_type: str,
                             fallbacks: Callable[[], dict[str, Any]]) -> None:
    """Give vendored copies of dbt_utils' ``date_spine`` faborite's own, which needs no warehouse.

    dbt_utils' ``date_spine`` (and the copy in dbt_date and other packages) asks the warehouse for
    the number of periods with a ``statement``; a plan runs no query, so it would build one period.
    In each package holding that ``date_spine`` (it has ``default__get_intervals_between``), faborite's
    (the same rows: see ``dbt_utils.sql``) becomes ``<target type>__date_spine``, which dispatch
    tries first. A package's own macro for the target, or the project's ``default__date_spine``, still wins.
    """
    name = f"{target_type}__date_spine"
    loaded: list[dict[str, Any]] = []  # compiled on first use, once

    def date_spine(*args: Any, **kwargs: Any) -> Any:
        if not loaded:
            loaded.append(fallbacks())
        return loaded[0]["date_spine"](*args, **kwargs)

    for macros in packages.values():
        if "default__date_spine" in macros and "default__get_intervals_between" in macros and name not in macros:
            macros[name] = date_spine


#: ``{package: loader}`` for :func:`faborite.dbt.context.build_globals`.
FALLBACK_PACKAGES: dict[str, Callable[[Callable[[str, str], dict[str, Any]]], dict[str, Any]]] = {
    "dbt_utils": load,
}
