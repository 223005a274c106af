"""Webhooks told about every apply, rollback and sync (the ``notify:`` key).

``config`` reads which webhooks hear which operations, ``summary`` is the JSON
they get, ``webhook`` sends it. :func:`notifying` ties them around one
operation for :class:`faborite.api.Workspace`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faborite.config.loader import Project
    from faborite.notify.summary import Report


@contextmanager
def notifying(project: "Project", target: str, operation: str, serial_before: int | None,
              warn: Callable[[str], None], *, environment: str | None = None) -> Iterator["Report"]:
    """Run an operation, then POST its summary to the webhooks that want it, whether it succeeded or not.

    The caller fills in the yielded report; an exception is reported as a
    failure and re-raised unchanged. Webhook problems only ever ``warn``.
    """
    from faborite.notify.config import webhooks_for
    from faborite.notify.summary import Report

    hooks = webhooks_for(project, target, operation)  # a bad `notify:` entry fails before anything runs
    report = Report(operation=operation, project=project.config.name, target=target, serial_before=serial_before,
                    environment=environment)
    try:
        yield report
    except Exception as exc:
        report.failed(exc)
        _send(hooks, report, warn)
        raise
    _send(hooks, report, warn)


def _send(hooks, report: "Report", warn: Callable[[str], None]) -> None:
    if not hooks:
        return
    from faborite.notify.webhook import post_json

    body = report.summary().model_dump_json().encode("utf-8")
    for hook in hooks:
        post_json(hook, body, environ=os.environ, warn=warn, what=report.operation)
