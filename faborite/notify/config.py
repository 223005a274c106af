"""The ``notify:`` key: which webhooks hear about which operations.

``notify:`` may sit at the top of ``faborite.yml`` (every target) and in a
``targets:`` block (that target only); both lists apply. A webhook names the
environment variable holding its URL, never the URL itself, because webhook
URLs usually carry a token: the file is committed, the variable is a secret.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from faborite.config.loader import Project

#: The operations a webhook can hear about.
Operation = Literal["apply", "rollback", "sync"]
OPERATIONS: tuple[str, ...] = ("apply", "rollback", "sync")
#: An environment variable's name (POSIX shells' rule).
_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


class WebhookSpec(BaseModel):
    """One ``notify:`` entry: POST a JSON summary to the URL in ``$url_env`` after ``on`` operations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url_env: str = Field(description="environment variable holding the webhook URL")
    on: tuple[Operation, ...] = Field(default=OPERATIONS, min_length=1,
                                      description="operations to report: apply, rollback, sync (default: all)")
    headers_env: dict[str, str] = Field(
        default_factory=dict,
        description="extra HTTP headers, each read from an environment variable: {Authorization: VAR}")
    timeout: float = Field(default=5.0, gt=0, le=60, description="seconds to wait for the server, per attempt")

    @model_validator(mode="before")
    @classmethod
    def _read_as_written(cls, data: Any) -> Any:
        # YAML 1.1 reads a bare `on:` key as the boolean true (GitHub Actions files show the same).
        if isinstance(data, dict) and True in data and "on" not in data:
            data = copy.copy(data)  # a copy keeps the loader's line records
            data["on"] = data.pop(True)
        url_env = data.get("url_env") if isinstance(data, dict) else None
        if isinstance(url_env, str) and not re.fullmatch(_ENV_NAME, url_env):
            # Checked here, on the whole entry, so the error does not quote the value: it may be the URL itself.
            raise ValueError("url_env must name an environment variable that holds the URL "
                             "(the URL itself, with its token, does not belong in a committed file)")
        return data

    @property
    def label(self) -> str:
        """How messages name this webhook: by its variable, never by its URL (it may hold a token)."""
        return f"webhook from ${self.url_env}"


class _TargetNotify(BaseModel):
    """The ``notify:`` key of a ``targets:`` block; the provider validates the block's other keys."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    notify: tuple[WebhookSpec, ...] = ()


def target_webhooks(project: "Project", target: str) -> tuple[WebhookSpec, ...]:
    """The webhooks of the ``targets:`` block ``target`` (validated, errors at ``faborite.yml:line``)."""
    from faborite.config.validation import validate

    raw: Any = (project.raw_config.get("targets") or {}).get(target) if project.raw_config else None
    if not isinstance(raw, dict) or "notify" not in raw:
        return ()
    return validate(_TargetNotify, raw, file="faborite.yml", what=f"target {target!r}",
                    loc_prefix=("targets", target)).notify


def webhooks_for(project: "Project", target: str, operation: str) -> tuple[WebhookSpec, ...]:
    """Every webhook (top-level, then the target's) that wants to hear about ``operation``."""
    hooks = (*project.config.notify, *target_webhooks(project, target))
    return tuple(hook for hook in hooks if operation in hook.on)
