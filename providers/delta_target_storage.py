"""Where a ``delta`` target's relations live: one folder per relation, ``<path>/<schema>/<name>/``.

A folder holding a Delta log (``_delta_log/``) is a table; a folder holding
``_faborite_view.sql`` is a view faborite made (its SELECT, run by the
embedded DuckDB: readers other than faborite do not see it). Anything else is
not a relation. A table exists once its first commit does, so a write that
fails part way leaves at most orphaned Parquet files, never half a table.

Two places hold folders: a local directory (:class:`LocalFolders`, plain
``pathlib``) and any URL deltalake opens (:class:`ObjectStoreFolders`: the
same object store and storage options deltalake uses, through its
``DeltaStorageHandler``, so OneLake/ADLS need nothing beyond deltalake).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any, Literal, Protocol

from faborite.errors import ProviderError
from faborite.relation import Relation

VIEW_FILE = "_faborite_view.sql"
#: What DuckDB's file readers expand as a glob pattern.
GLOB_CHARACTERS = re.compile(r"[*?\[\]{}]")
Kind = Literal["table", "view"]


def check_name(part: str, what: str) -> str:
    """``part`` as a folder name; a ProviderError when it cannot be one."""
    if not part or part in (".", "..") or "/" in part or "\\" in part or part == "_delta_log" or "\x00" in part:
        raise ProviderError(f"{what} name {part!r} cannot be a folder of a Delta lakehouse",
                            hint="schema and table names may not be empty, '.', '..', or hold '/' or '\\'")
    return part


class Folders(Protocol):
    """The few storage operations the target needs, relative to the lakehouse root."""

    root: str

    def uri(self, *parts: str) -> str: ...
    def exists(self) -> bool: ...
    def list_dirs(self, *parts: str) -> list[str]: ...
    def is_table(self, *parts: str) -> bool: ...
    def read_text(self, *parts: str) -> str | None: ...
    def write_text(self, text: str, *parts: str) -> None: ...
    def delete_file(self, *parts: str) -> None: ...
    def delete_dir(self, *parts: str) -> None: ...
    def make_dir(self, *parts: str) -> None: ...
    def copy_file(self, source: tuple[str, ...], dest: tuple[str, ...]) -> None: ...
    def local_paths(self, parts: tuple[str, ...], files: list[str]) -> list[str] | None: ...


class LocalFolders:
    """A lakehouse in a local directory."""

    def __init__(self, root: Path) -> None:
        self.path = root
        self.root = str(root)
        self.storage_options: dict[str, str] | None = None

    def uri(self, *parts: str) -> str:
        return str(self.path.joinpath(*parts))

    def exists(self) -> bool:
        return self.path.is_dir()

    def list_dirs(self, *parts: str) -> list[str]:
        folder = self.path.joinpath(*parts)
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def is_table(self, *parts: str) -> bool:
        log = self.path.joinpath(*parts, "_delta_log")
        return log.is_dir() and any(n.endswith((".json", ".parquet")) for n in os.listdir(log))

    def read_text(self, *parts: str) -> str | None:
        file = self.path.joinpath(*parts)
        return file.read_text(encoding="utf-8") if file.is_file() else None

    def write_text(self, text: str, *parts: str) -> None:
        """Atomically: a temporary file renamed into place."""
        file = self.path.joinpath(*parts)
        file.parent.mkdir(parents=True, exist_ok=True)
        temp = file.with_name(f".{file.name}.tmp-{os.getpid()}")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, file)

    def delete_file(self, *parts: str) -> None:
        self.path.joinpath(*parts).unlink(missing_ok=True)

    def delete_dir(self, *parts: str) -> None:
        shutil.rmtree(self.path.joinpath(*parts), ignore_errors=True)

    def make_dir(self, *parts: str) -> None:
        self.path.joinpath(*parts).mkdir(parents=True, exist_ok=True)

    def local_paths(self, parts: tuple[str, ...], files: list[str]) -> list[str] | None:
        """Paths DuckDB's Parquet reader opens as they are for ``files`` (relative to the folder
        ``parts``); None when one is missing or holds a glob character (DuckDB would expand it)."""
        folder = self.path.joinpath(*parts)
        paths = [str(folder.joinpath(*name.split("/"))) for name in files]
        if any(GLOB_CHARACTERS.search(path) for path in paths) or not all(os.path.isfile(path) for path in paths):
            return None
        return paths

    def copy_file(self, source: tuple[str, ...], dest: tuple[str, ...]) -> None:
        """A hard link (no bytes copied) where the file system allows, else a copy."""
        src, dst = self.path.joinpath(*source), self.path.joinpath(*dest)
        if dst.exists():
            return  # the same immutable file, linked by an earlier publish
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)


class ObjectStoreFolders:
    """A lakehouse at a URL (``abfss://``, ``az://``, ``s3://`` ...), through deltalake's object store."""

    def __init__(self, root: str, storage_options: dict[str, str]) -> None:
        from deltalake.fs import DeltaStorageHandler

        self.root = root.rstrip("/")
        self.storage_options = storage_options
        self._handler = DeltaStorageHandler(self.root, storage_options)

    def uri(self, *parts: str) -> str:
        return "/".join((self.root, *parts))

    def exists(self) -> bool:
        return True  # an object store has no folders to be missing; an empty one holds nothing

    def list_dirs(self, *parts: str) -> list[str]:
        from pyarrow.fs import FileSelector, FileType

        prefix = "/".join(parts)
        infos = self._handler.get_file_info_selector(FileSelector(prefix, allow_not_found=True))
        return sorted(i.base_name for i in infos if i.type == FileType.Directory)

    def is_table(self, *parts: str) -> bool:
        from deltalake import DeltaTable

        return DeltaTable.is_deltatable(self.uri(*parts), self.storage_options)

    def read_text(self, *parts: str) -> str | None:
        from pyarrow.fs import FileType

        path = "/".join(parts)
        if self._handler.get_file_info([path])[0].type != FileType.File:
            return None
        stream = self._handler._handler.open_input_file(path)
        try:
            return bytes(stream.read()).decode("utf-8")
        finally:
            stream.close()

    def write_text(self, text: str, *parts: str) -> None:
        """One PUT: atomic on an object store."""
        stream = self._handler._handler.open_output_stream("/".join(parts), None)
        stream.write(text.encode("utf-8"))
        stream.close()

    def delete_file(self, *parts: str) -> None:
        try:
            self._handler.delete_file("/".join(parts))
        except (FileNotFoundError, OSError):
            pass

    def delete_dir(self, *parts: str) -> None:
        try:
            self._handler.delete_dir("/".join(parts))
        except (FileNotFoundError, OSError):
            pass

    def make_dir(self, *parts: str) -> None:
        pass  # folders exist as soon as a file is put under them

    def local_paths(self, parts: tuple[str, ...], files: list[str]) -> list[str] | None:
        """None: DuckDB would need an extension and these storage options to read the store."""
        return None

    def copy_file(self, source: tuple[str, ...], dest: tuple[str, ...]) -> None:
        """A server-side copy: the bytes do not pass through this machine."""
        self._handler._handler.copy_file("/".join(source), "/".join(dest))


def relation_kind(folders: Any, relation: Relation) -> Kind | None:
    """``table``, ``view`` or None (no such relation) for ``relation``'s folder."""
    parts = (relation.schema_name, relation.name)
    if folders.is_table(*parts):
        return "table"
    if folders.read_text(*parts, VIEW_FILE) is not None:
        return "view"
    return None
