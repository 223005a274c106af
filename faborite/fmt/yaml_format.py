"""One YAML file's canonical text: two-space indents, keys of properties entries in a stable
order, every comment kept; or why it is left as it is.

ruamel.yaml reads and writes the file as a round trip (comments, quotes and
flow style survive). A file is rewritten only when (1) it loads to the same
data as before (key order aside), (2) every comment is still there, and
(3) formatting the result again changes nothing. Otherwise it is reported
as skipped with the reason, and its text is kept.

Key order, in every entry of a properties file (models, seeds, sources,
their columns and tables): ``name`` first, then the entry's own settings in
the order written, then the lists it holds (``columns``, ``tables``,
``checks``/``tests``) in the order written.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any

from faborite.fmt.sql_format import FormatOutcome

#: Keys holding lists of nested entries: they come after the entry's own settings.
NESTED = ("columns", "tables", "checks", "tests", "data_tests")
#: Sections of a properties file whose entries are ordered.
SECTIONS = ("models", "seeds", "sources", "snapshots", "analyses")
_COMMENT = re.compile(r"#.*$")


def key_rank(key: object) -> int:
    """Where a key goes in an entry: 0 ``name``, 1 the entry's settings, 2 its nested lists."""
    return 0 if key == "name" else 2 if key in NESTED else 1


def format_yaml_text(text: str, path: str, *, properties: bool) -> FormatOutcome:
    """The canonical text of the YAML file ``path`` (a properties file when ``properties``)."""
    import yaml as pyyaml

    try:
        before = pyyaml.safe_load(text)
        first = _rewrite(text, properties)
        again = _rewrite(first, properties)
        after = pyyaml.safe_load(first)
    except Exception as exc:  # noqa: BLE001 - any reader or writer failure: keep the file as it is
        return FormatOutcome(path=path, status="skipped", text=text, reason=f"not formatted: {type(exc).__name__}")
    if before != after:
        return FormatOutcome(path=path, status="skipped", text=text, reason="formatting would change its data")
    if _comments(text) != _comments(first):
        return FormatOutcome(path=path, status="skipped", text=text, reason="formatting would lose a comment")
    if again != first:
        return FormatOutcome(path=path, status="skipped", text=text, reason="formatting is not stable")
    return FormatOutcome(path=path, status="unchanged" if first == text else "formatted", text=first)


def _rewrite(text: str, properties: bool) -> str:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # keep `[a, {b: c}]` as written
    yaml.width = 4096  # never fold a long line (a SQL check, a description)
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(text)
    if properties and isinstance(data, dict):
        for section in SECTIONS:
            if isinstance(data.get(section), list):
                _order_entries(data[section])
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _order_entries(entries: list[Any]) -> None:
    for entry in entries:
        if not hasattr(entry, "move_to_end"):
            continue
        for key in sorted(list(entry), key=key_rank):  # stable: written order within a rank
            entry.move_to_end(key)
        for child in ("columns", "tables"):
            if isinstance(entry.get(child), list):
                _order_entries(entry[child])


def _comments(text: str) -> Counter[str]:
    """The comment texts of a YAML file (a ``#`` outside quotes, at a line start or after a space)."""
    found: Counter[str] = Counter()
    for line in text.splitlines():
        quote = None
        for index, char in enumerate(line):
            if quote:
                if char == quote:
                    quote = None
            elif char in "'\"":
                quote = char
            elif char == "#" and (index == 0 or line[index - 1] in " \t"):
                found[_COMMENT.search(line[index:]).group(0).rstrip()] += 1
                break
    return found


def properties_files(project: Any) -> dict[str, Any]:
    """The properties files (``.yml``/``.yaml`` under models, seeds and sources) by project-relative path."""
    paths = project.config.paths
    found = [path for folder in (paths.models, paths.seeds, paths.sources) for pattern in ("*.yml", "*.yaml")
             for path in sorted((project.root / folder).rglob(pattern))]
    return {path.relative_to(project.root).as_posix(): path for path in found}


def format_project_yaml(project: Any) -> list[FormatOutcome]:
    """``faborite.yml`` and every properties file, formatted (nothing is written here)."""
    files = {"faborite.yml": (project.root / "faborite.yml", False)}
    files.update({name: (path, True) for name, path in properties_files(project).items()})
    outcomes = []
    for name, (path, properties) in files.items():
        if path.is_file():
            outcomes.append(format_yaml_text(path.read_text(encoding="utf-8"), name, properties=properties))
    return outcomes
