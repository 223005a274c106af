"""Source provider ``sql``: tables of a SQL database through SQLAlchemy (postgres, mysql, sqlite).

    sources:
      - name: crm
        type: sql
        url_env: CRM_DATABASE_URL    # the URL (with its password) lives in the environment

The connection URL is read from the environment variable named by
``url_env``; it is never written to config, state, plans or messages. A
password-free URL (e.g. ``sqlite:///data/app.db``) may be given as ``url``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from faborite.credentials import names_a_credential
from faborite.errors import ConfigError


class SqlSourceConfig(BaseModel):
    """A database to sync tables from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: Literal["sql"]
    url_env: str | None = None
    url: str | None = None
    schemas: tuple[str, ...] | None = None
    cursor_column: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _one_url(self) -> "SqlSourceConfig":
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of 'url_env:' (an environment variable) or 'url:'")
        if self.url is not None and ("@" in self.url.split("://", 1)[-1].split("/", 1)[0]
                                     or _credential_in_query(self.url)):
            raise ValueError("'url:' must not hold credentials; put the URL in an environment variable and use 'url_env:'")
        return self


#: A credential inside a parameter's value, e.g. pyodbc's ``odbc_connect=...;PWD=...``.
_CREDENTIAL_IN_VALUE = re.compile(r"(?i)\b(?:pwd|password)\s*=")


def _credential_in_query(url: str) -> bool:
    """Whether the URL's query string passes a credential."""
    from urllib.parse import parse_qsl

    query = url.partition("?")[2]
    # Parameters named like credentials (libpq's password/sslpassword, tokens, keys, ...).
    return any(names_a_credential(key) or _CREDENTIAL_IN_VALUE.search(value)
               for key, value in parse_qsl(query, keep_blank_values=True))


class SqlSourceProvider:
    """Registered as ``faborite.sources`` entry point ``sql``."""

    name = "sql"
    config_model = SqlSourceConfig

    def open(self, config: BaseModel, project_root: Path):
        from faborite.sync.local_sources import SqlSource

        assert isinstance(config, SqlSourceConfig)
        url = config.url
        if config.url_env is not None:
            url = os.environ.get(config.url_env)
            if not url:
                raise ConfigError(f"source {config.name!r}: environment variable {config.url_env} is not set",
                                  hint=f"export {config.url_env}='postgresql+psycopg://user:password@host/db'")
        assert url is not None
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            url = "sqlite:///" + str((Path(project_root) / url[len("sqlite:///"):]).resolve())
        return SqlSource(url, schemas=config.schemas, cursor_column=config.cursor_column)
