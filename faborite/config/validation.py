"""Turn pydantic validation errors into one located, hinted ConfigError."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from faborite.config.yaml_loader import line_of
from faborite.errors import ConfigError, did_you_mean, shorten_excerpt

M = TypeVar("M", bound=BaseModel)


def _field_names(model: type[BaseModel]) -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        names.append(field.alias or name)
    return names


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of ``loc`` (for key hints)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(part)
        if field is None:
            field = next((f for f in current.model_fields.values() if f.alias == part), None)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside list[X], dict[str, X], X | None, ... if there is one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _describe_loc(loc: tuple) -> str:
    parts = []
    for part in loc:
        parts.append(f"[{part}]" if isinstance(part, int) else (("." if parts else "") + str(part)))
    return "".join(parts)


def validate(model: type[M], data: Any, *, file: str, what: str, loc_prefix: tuple = (),
             context: dict[str, Any] | None = None) -> M:
    """Validate ``data`` (as loaded by the line-keeping YAML loader) into ``model``.

    On failure raise a ConfigError for the first problem, at its line, with
    a hint (close-match key names for unknown keys).
    """
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise config_error_from(exc, model, data, file=file, what=what, loc_prefix=loc_prefix) from None


def config_error_from(
    exc: ValidationError, model: type[BaseModel], data: Any, *, file: str, what: str, loc_prefix: tuple = (),
    key_prefix: str = "",
) -> ConfigError:
    """The ConfigError describing the first error in ``exc``.

    ``key_prefix`` is how keys are spelled in the file (``+`` for folder defaults).
    """
    err = exc.errors()[0]
    # Drop pydantic's union/tag markers (e.g. 'function-after[...]') from the path.
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
    line = line_of(data, loc)
    where = key_prefix + _describe_loc(loc_prefix + loc) if loc_prefix + loc else ""
    kind = err["type"]
    hint = None
    if kind == "extra_forbidden":
        key = f"{key_prefix}{loc[-1]}"
        owner = _model_at(model, loc)
        known = [key_prefix + name for name in _field_names(owner)] if owner else []
        hint = did_you_mean(key, known) if known else None
        if hint is None and known:
            hint = "allowed keys here: " + ", ".join(sorted(known))
        message = f"unknown key {shorten_excerpt(repr(key))} in {what}" + (f" (at {_describe_loc(loc_prefix + loc[:-1])})" if loc[:-1] else "")
    elif kind == "missing":
        message = f"{what} is missing required key {where!r}"
        hint = f"add '{loc[-1]}:'"
    elif kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        message = f"invalid value for {where!r} in {what}: got {shorten_excerpt(repr(err.get('input')))}, expected {expected}"
        if isinstance(err.get("input"), str):
            options = [o.strip().strip("'") for o in expected.replace(" or ", ",").split(",")]
            hint = did_you_mean(err["input"], options)
    else:
        # A validator's ValueError reads "Value error, <our text>": keep only our text.
        detail = err["msg"].removeprefix("Value error, ")
        message = f"invalid value for {where!r} in {what}: {detail}" if where else f"invalid {what}: {detail}"
        if err.get("input") is not None and not isinstance(err.get("input"), (dict, list)):
            message += f" (got {shorten_excerpt(repr(err['input']))})"
    return ConfigError(message, file=file, line=line, hint=hint)
