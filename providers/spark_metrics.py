"""The rows a Spark ``CREATE TABLE ... AS`` wrote, read from the session's SQL metrics: no second job.

Spark's CTAS commands do not say how many rows they wrote: the DataFrame
``spark.sql`` returns is empty, and the command runs the write as a *nested*
SQL execution whose metrics the outer plan does not hold. The session's SQL
status store (what the Spark UI shows, kept with or without the UI) does hold
them: the write node's ``number of output rows`` (counted by Spark's write
stats tracker from the committed tasks' own counts, so exact).

How one statement's executions are found among the session's others (threads
share the session): the statement runs with a unique job description (a
thread-local property in pyspark's pinned-thread mode); Spark gives it to the
outer execution and to the nested write. Status events reach the store through
an asynchronous listener bus, which is drained first (bounded wait).

This reaches JVM-internal API through py4j (``_jsparkSession``, the status
store): anything missing or unexpected (Spark Connect, another Spark version,
an event dropped from a full queue, no write node or more than one) gives
None, never a guess, and the row count is then unknown.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_DESCRIPTION = "spark.job.description"
#: Metrics of Spark's file-write stats tracker: a node with both is a write of table files.
_ROWS, _FILES = "number of output rows", "number of written files"
#: The newest executions searched for a statement's (threads running at once each add two).
_SEARCHED = 64
#: How long to wait for the listener bus to deliver the statement's events.
_WAIT_MILLIS = 10_000


@contextmanager
def labelled(session: Any, what: str) -> Iterator[str]:
    """Run the block's Spark jobs under a unique description (``what`` plus a token); yields it.

    The previous description of this thread is restored afterwards.
    """
    label = f"faborite: {what[:80]} [{uuid.uuid4().hex}]"
    try:
        context = session.sparkContext
        previous = context.getLocalProperty(_DESCRIPTION)
    except Exception:  # noqa: BLE001 - Spark Connect has no SparkContext: nothing to label
        yield label
        return
    context.setLocalProperty(_DESCRIPTION, label)
    try:
        yield label
    finally:
        context.setLocalProperty(_DESCRIPTION, previous)


def rows_written(session: Any, label: str) -> int | None:
    """The rows the one table write run under ``label`` reported; None when it cannot be read exactly."""
    try:
        return _rows_written(session, label)
    except Exception:  # noqa: BLE001 - internal API: any surprise means "unknown", not a failure
        return None


def _rows_written(session: Any, label: str) -> int | None:
    jsession = getattr(session, "_jsparkSession", None)
    if jsession is None:
        return None
    session.sparkContext._jsc.sc().listenerBus().waitUntilEmpty(_WAIT_MILLIS)
    store = jsession.sharedState().statusStore()
    total = int(store.executionsCount())
    start = max(0, total - _SEARCHED)
    executions = store.executionsList(start, total - start)
    counts: list[int | None] = []
    iterator = executions.iterator()
    while iterator.hasNext():
        execution = iterator.next()
        if execution.description() != label:
            continue
        values = None
        nodes = store.planGraph(execution.executionId()).allNodes().iterator()
        while nodes.hasNext():
            metrics = _metric_ids(nodes.next())
            if _ROWS in metrics and _FILES in metrics:
                values = values if values is not None else store.executionMetrics(execution.executionId())
                counts.append(_number(values.get(metrics[_ROWS])))
    # Exactly one write, with a value: anything else is not a count to trust.
    return counts[0] if len(counts) == 1 else None


def _metric_ids(node: Any) -> dict[str, int]:
    found = {}
    iterator = node.metrics().iterator()
    while iterator.hasNext():
        metric = iterator.next()
        found[metric.name()] = metric.accumulatorId()
    return found


def _number(value: Any) -> int | None:
    """A sum metric as Spark prints it (``12,345``, always US-formatted) as an int."""
    if value is None or not value.isDefined():
        return None
    text = str(value.get()).replace(",", "")
    return int(text) if text.isdigit() else None
