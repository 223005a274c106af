"""The read-only half of :class:`faborite.api.Workspace`: ``query`` and ``debug`` (``diagnose``).

A base class of ``Workspace`` (the API is that one class), kept apart so api.py
stays one idea per module; use it through ``Workspace``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faborite.errors import StateError

if TYPE_CHECKING:
    import pyarrow as pa

    from faborite.config.loader import Project
    from faborite.diagnose import TargetDiagnosis
    from faborite.state.model import State
    from faborite.target import TargetConnection


class Inspection:
    """Reading what a :class:`faborite.api.Workspace`'s target publishes, and checking its targets."""

    if TYPE_CHECKING:
        project: Project
        target: str
        env: str | None

        def connect(self, *, read_only: bool = False) -> TargetConnection: ...
        def state(self) -> State | None: ...
        def _query_in_environment(self, sql: str, state: State, dialect) -> str: ...

    def query(self, sql: str) -> "pa.Table":
        """Run one read-only query against the published (virtual) relations.

        Args:
            sql: one SELECT in the target's dialect (no writes; no files beyond the project's
                files sources: see faborite/query_guard.py). In an environment (``--env``), a
                relation it publishes is read from its views by its default name (``main.orders``).

        Returns:
            The rows as an Arrow table.

        Raises:
            StateError: nothing is published on the target yet.
            QueryError: the SQL is not one read-only statement, or the engine refused it.
        """
        from faborite.query_guard import check_read_only_sql, source_directories

        state = self.state()
        if state is None:
            where, flag = (f"on target {self.target!r}", "") if self.env is None else (
                f"in environment {self.env!r} of target {self.target!r}", f" --env {self.env}")
            raise StateError(f"nothing is published {where} yet", hint=f"run `faborite apply{flag}` first")
        connection = self.connect(read_only=True)
        try:
            confined = getattr(connection, "fetch_read_only", None)
            check_read_only_sql(sql, connection.dialect.sqlglot_dialect, strict=confined is None)
            if self.env is not None:
                sql = self._query_in_environment(sql, state, connection.dialect)
            if confined is None:  # a provider that cannot confine file access relies on the check above
                return connection.fetch_arrow(sql)
            return confined(sql, source_directories(self.project))
        finally:
            connection.close()

    def diagnose(self, targets: "list[str] | None" = None) -> "list[TargetDiagnosis]":
        """Check targets read-only: provider installed, config valid, connection, state (``faborite debug``).

        Args:
            targets: target names (default: every target of the project).

        Returns:
            One diagnosis per target, each a list of named checks (credentials masked).
        """
        from faborite.diagnose import diagnose

        return diagnose(self, list(targets) if targets else list(self.project.config.targets))
