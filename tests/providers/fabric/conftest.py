"""Fixtures for the fabric provider: Azurite posing as OneLake."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.azurite import Azurite, FakeEntraCredential


@dataclass
class Lake:
    """An empty workspace (container) in the emulated ``onelake`` account."""

    azurite: Azurite
    workspace: str
    credential: FakeEntraCredential

    def storage_options_override(self) -> dict[str, str]:
        """What differs from real OneLake: the endpoint and the emulator's self-signed TLS."""
        return self.azurite.endpoint_options("onelake")

    def blob_service(self, credential=None):
        return self.azurite.blob_service("onelake", credential=credential or self.credential, retry_total=0)


@pytest.fixture
def lake(azurite: Azurite) -> Iterator[Lake]:  # noqa: F811
    """A fresh workspace per test (Fabric workspaces are OneLake containers)."""
    workspace = f"ws-{uuid.uuid4().hex[:12]}"
    azurite.create_container(workspace, account="onelake")
    yield Lake(azurite, workspace, FakeEntraCredential())
