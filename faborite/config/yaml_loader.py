"""YAML loading that remembers where every value came from.

Mappings load as :class:`LineDict` and sequences as :class:`LineList`; both
record the line of each key or item, so a pydantic error path like
``("models", 2, "columns", 0, "tests")`` can be turned back into ``file:line``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faborite.errors import ConfigError, shorten_excerpt

if TYPE_CHECKING:
    import yaml


class LineDict(dict):
    """A dict that knows the line (1-based) of itself and of each key."""

    line: int = 0
    key_lines: dict

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}


class LineList(list):
    """A list that knows the line (1-based) of itself and of each item."""

    line: int = 0
    item_lines: list

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item_lines = []


#: Mappings and lists nested deeper than this are refused (deeper ones overflow Python's stack).
MAX_DEPTH = 100
_NESTED_HINT = f"project files nest mappings and lists at most {MAX_DEPTH} levels deep"


class _Nesting:
    """Counts how deep the constructors are; refuses past MAX_DEPTH at the node's line."""

    def __init__(self, loader: Any, node: yaml.Node) -> None:
        self.loader, self.node = loader, node

    def __enter__(self) -> None:
        import yaml

        depth = getattr(self.loader, "_faborite_depth", 0) + 1
        if depth > MAX_DEPTH:
            raise yaml.constructor.ConstructorError(
                None, None, f"mappings and lists nested more than {MAX_DEPTH} levels deep", self.node.start_mark)
        self.loader._faborite_depth = depth

    def __exit__(self, *exc: object) -> None:
        self.loader._faborite_depth -= 1


#: Values that aliases (``*name``) may repeat in one file: ``&a [*b, *b]`` nested 40 times is a
#: trillion values (a "billion laughs"), which every later step would walk.
MAX_ALIAS_VALUES = 100_000


def _child(loader: Any, node: yaml.Node) -> Any:
    """Construct ``node``; an alias to an already built node counts the values it repeats."""
    import yaml

    sizes = loader.__dict__.setdefault("_faborite_sizes", {})
    if node in loader.constructed_objects:
        repeated = getattr(loader, "_faborite_repeated", 0) + sizes.get(node, 1)
        if repeated > MAX_ALIAS_VALUES:
            raise yaml.constructor.ConstructorError(
                None, None, f"aliases repeat more than {MAX_ALIAS_VALUES:,} values", node.start_mark)
        loader._faborite_repeated = repeated
    return loader.construct_object(node, deep=True)


def _record_size(loader: Any, node: yaml.Node, children: list) -> None:
    sizes = loader.__dict__.setdefault("_faborite_sizes", {})
    sizes[node] = 1 + sum(sizes.get(child, 1) for child in children)


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> LineDict:
    with _Nesting(loader, node):
        result = _build_mapping(loader, node)
    _record_size(loader, node, [child for pair in node.value for child in pair])
    return result


def _build_mapping(loader: Any, node: yaml.MappingNode) -> LineDict:
    import yaml

    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = _child(loader, key_node)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain values", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {shorten_excerpt(repr(key))}", key_node.start_mark
            )
        result[key] = _child(loader, value_node)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: Any, node: yaml.SequenceNode) -> LineList:
    with _Nesting(loader, node):
        result = LineList(_child(loader, child) for child in node.value)
    _record_size(loader, node, node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


@functools.cache
def _loaders() -> tuple[type, type]:
    """The safe loaders that build LineDict/LineList and reject duplicate keys: libyaml's and
    Python's. Made on first use: importing PyYAML (~15 ms) is not needed by a cached compile."""
    import yaml

    class _LineLoader(yaml.SafeLoader):
        """Safe loader that builds LineDict/LineList and rejects duplicate keys."""

    # libyaml's parser (when PyYAML was built with it) is several times faster and
    # still reports marks, which is all the line-keeping constructors need. Its
    # error wording is terser, so a file it rejects is re-read by the Python parser
    # for the message.
    class _FastLineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        """The same constructors on libyaml's parser."""

    for loader in (_LineLoader, _FastLineLoader):
        loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
        loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
    return _FastLineLoader, _LineLoader


def load_yaml_text(text: str, source: str | Path) -> Any:
    """Parse YAML text; a syntax error becomes a ConfigError at the right line."""
    import yaml

    fast_loader, python_loader = _loaders()
    if _may_nest_deep(text):
        # libyaml composes recursively in C: a few thousand levels overflow the C stack (a segfault,
        # not an exception). Its event parser does not recurse, so measure the depth with it first.
        line = _too_deep_line(text)
        if line is not None:
            raise ConfigError(f"invalid YAML: mappings and lists nested more than {MAX_DEPTH} levels deep",
                              file=source, line=line, hint=_NESTED_HINT)
    try:
        try:
            return yaml.load(text, Loader=fast_loader)  # noqa: S506 - safe loader subclass
        except yaml.YAMLError as fast_error:
            try:
                return yaml.load(text, Loader=python_loader)  # noqa: S506 - for Python's clearer message
            except RecursionError:  # Python's parser recurses per level: keep libyaml's message
                raise fast_error from None
    except RecursionError:
        raise ConfigError(f"YAML nested more than {MAX_DEPTH} levels deep", file=source,
                          line=_too_deep_line(text), hint=_NESTED_HINT) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        hint = (
            "each key may appear once in a mapping"
            if problem.startswith("duplicate key")
            else _NESTED_HINT if problem.startswith("mappings and lists nested")
            else f"aliases (*name) may repeat at most {MAX_ALIAS_VALUES:,} values in one file"
            if problem.startswith("aliases repeat")
            else "check indentation and that every 'key: value' has a space after the colon"
        )
        raise ConfigError(
            f"invalid YAML: {shorten_excerpt(problem)}",
            file=source,
            line=mark.line + 1 if mark else None,
            hint=hint,
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: no mark, but a position
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise ConfigError(f"invalid YAML: {shorten_excerpt(exc.reason)} (character U+{code:04X})",
                          file=source, line=text.count("\n", 0, exc.position) + 1,
                          hint="remove control characters; YAML allows tabs and line breaks only") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {shorten_excerpt(str(exc))}", file=source, line=1) from None


def _may_nest_deep(text: str, bound: int = 1000) -> bool:
    """Whether ``text`` could nest more than ``bound`` levels: flow brackets plus the deepest block indent.

    An over-estimate (brackets in strings count too), cheap enough to run on every file.
    """
    openers = text.count("[") + text.count("{")
    if openers > bound:
        return True
    indent = max((len(line) - len(line.lstrip(" -?\t")) for line in text.splitlines()), default=0)
    return openers + indent > bound


def _too_deep_line(text: str) -> int | None:
    """The line where nesting first passes MAX_DEPTH (the event parser does not recurse)."""
    import yaml

    depth = 0
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line + 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except (yaml.YAMLError, RecursionError):
        return None
    return None


def not_utf8_error(path: Path, display: str) -> ConfigError:
    """The error for a project file that is not UTF-8, at the line of its first bad byte."""
    try:
        data = path.read_bytes()
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return ConfigError(f"file is not UTF-8 text: byte 0x{data[exc.start]:02x} at column {column}",
                           file=display, line=line, hint="save the file as UTF-8")
    except OSError:
        pass
    return ConfigError("file is not UTF-8 text", file=display, line=1, hint="save the file as UTF-8")


def load_yaml_file(path: Path, display: str | None = None) -> Any:
    """Read and parse a YAML file; errors name ``display`` (the project-relative path)."""
    source = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise not_utf8_error(path, source) from None
    return load_yaml_text(text, source)


def line_of(data: Any, loc: tuple) -> int | None:
    """The line of the deepest key or item along ``loc`` that has a recorded line.

    A key's line wins over its value's (a list value starts on the next line,
    but an unknown or invalid key is reported where the key is written).
    """
    line = getattr(data, "line", None) or None
    current = data
    for part in loc:
        if isinstance(current, LineDict) and part in current:
            line = current.key_lines.get(part, line)
            current = current[part]
        elif isinstance(current, LineList) and isinstance(part, int) and 0 <= part < len(current):
            line = current.item_lines[part]
            current = current[part]
        else:
            break
    return line
