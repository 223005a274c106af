"""Table sources other than Fabric, one module each; this module names them together.

- :class:`~faborite.sync.delta_source.DeltaFolderSource`: Delta tables through their log.
- :class:`~faborite.sync.files_source.FilesSource`: Parquet, CSV, JSON-lines files.
- :class:`~faborite.sync.sql_source.SqlSource`: SQLAlchemy databases, streamed in batches.
- :func:`~faborite.sync.streams.bounded_scan` and :class:`~faborite.sync.streams.ArrowStream`.
"""

from faborite.sync.delta_source import DeltaFolderSource
from faborite.sync.files_source import FilesSource
from faborite.sync.sql_source import SqlSource
from faborite.sync.streams import ArrowStream, bounded_scan

__all__ = ["ArrowStream", "DeltaFolderSource", "FilesSource", "SqlSource", "bounded_scan"]
