"""State in Azure Blob Storage (also ADLS Gen2): ``state: {type: azure_blob, url: ..., auth: ...}``.

Layout, under ``<container>/<prefix>/<target>/`` (the same names as local state)::

    serial-000001.json   one immutable object per serial: the history (listing finds it)
    latest.json          {"serial": N}: where readers start, so a read is not a listing
    intent.json          the state being published, until it is recorded
    lock                 an empty blob whose lease is the lock; holder info in its metadata

The promises, and what keeps each:

- **Compare-and-swap on the serial.** Serial N+1 is created with
  ``If-None-Match: *``: of two writers that both read N, exactly one creates
  it and the other is refused as stale. ``latest.json`` is then moved forward
  with ``If-Match: <etag>`` (never backwards). A writer killed between the two
  leaves the pointer one behind; every reader checks for N+1 and rolls it on,
  so the serial objects, not the pointer, are the truth.
- **Lock = a blob lease** (15-60 s, ``lease_seconds``) whose lease ID is the
  lock ID, renewed by a background thread while held. Holder info
  (:class:`~faborite.state.lock.LockInfo`) is written to the lock blob's
  metadata under the lease, and cleared before release. A process that dies
  stops renewing, and its lease expires: the next ``lock`` takes it over. A
  holder on this host whose pid is gone is taken over at once (the lease is
  broken, conditional on the metadata not having changed). ``force-unlock ID``
  releases the lease with that ID.
- Settings, URL forms, auth and error messages: :mod:`.azure_blob_access`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from faborite.errors import LockError, ProviderError, StateError
from faborite.providers.azure_blob_access import (
    AzureBlobStateSettings, access_error, auth_hint, blob_service, first_line, parse_url,
)
from faborite.state import file_format
from faborite.state.backend import check_successor, stale_error
from faborite.state.lock import LockInfo, lock_held_error, lock_mismatch_error
from faborite.state.model import HistoryEntry, State

log = logging.getLogger(__name__)

_SNAPSHOT = re.compile(r"serial-(\d+)\.json$")
_LOCK_META = "faborite_lock"
#: How long a lock request waits for a new holder to write its info (one request's time, normally).
_HOLDER_INFO_WAIT_SECONDS = 10.0

class AzureBlobStateBackend:
    """A :class:`~faborite.state.backend.StateBackend` in one Azure Blob container folder."""

    def __init__(self, container: Any, *, prefix: str, name: str, lease_seconds: int = 60,
                 where: str = "", auth: str = "default", auth_hint: str = "") -> None:
        self._container = container
        self.name = name
        self.folder = "/".join(p for p in (prefix.strip("/"), name) if p)
        self.lease_seconds = lease_seconds
        self.where = where or f"{getattr(container, 'container_name', '?')}/{self.folder}"
        self.auth = auth
        self.auth_hint = auth_hint
        #: The lock of a dead holder that the last ``lock()`` took over, if any.
        self.taken_over: LockInfo | None = None
        self._renewers: dict[str, _LeaseRenewer] = {}
        self._container_checked = False

    def __repr__(self) -> str:
        return f"AzureBlobStateBackend({self.where!r})"

    def _blob(self, name: str) -> Any:
        return self._container.get_blob_client(f"{self.folder}/{name}")

    # -- reading -----------------------------------------------------------

    def read(self) -> State | None:
        """The highest serial: from ``latest.json``, rolled on past serials written after it."""
        with self._errors():
            serial, _ = self._pointer()
            start = serial
            while self._exists(f"serial-{serial + 1:06d}.json"):
                serial += 1  # a writer stopped between its serial and the pointer
            if serial == 0:
                return None
            if serial != start:
                self._advance_pointer(serial)
            return self.read_serial(serial)

    def read_serial(self, serial: int) -> State:
        """The snapshot with ``serial``; :class:`StateError` if there is none."""
        name = f"serial-{serial:06d}.json"
        with self._errors():
            data = self._download(name)
        if data is None:
            raise StateError(f"no state with serial {serial} in {self.where}",
                             hint="run `faborite state history` to list the serials that exist")
        state = file_format.loads(data, f"{self.where}/{name}")
        if state.serial != serial:
            raise StateError(f"state object {self.where}/{name} holds serial {state.serial}, not {serial}")
        return state

    def history(self) -> list[HistoryEntry]:
        """One entry per serial object, oldest first (a listing, then one read each)."""
        with self._errors():
            names = self._container.list_blobs(name_starts_with=f"{self.folder}/serial-")
            serials = sorted(int(m.group(1)) for m in (_SNAPSHOT.search(b.name) for b in names) if m)
        states = [self.read_serial(s) for s in serials]
        return [HistoryEntry(serial=s.serial, event=s.event, node_count=len(s.nodes)) for s in states]

    def state_names(self) -> list[str]:
        """The folders beside this one (same prefix) holding at least one serial object."""
        prefix = self.folder[: -len(self.name)]
        with self._errors():
            blobs = self._container.list_blobs(name_starts_with=prefix)
            found = {b.name[len(prefix):].split("/", 1)[0] for b in blobs if _SNAPSHOT.search(b.name)}
        return sorted(name for name in found if name)

    def _download(self, name: str) -> bytes | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return self._blob(name).download_blob().readall()
        except ResourceNotFoundError:
            return None

    def _exists(self, name: str) -> bool:
        return bool(self._blob(name).exists())

    def _pointer(self) -> tuple[int, str | None]:
        """The serial ``latest.json`` names (0: none) and its ETag."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            download = self._blob("latest.json").download_blob()
            return int(json.loads(download.readall())["serial"]), download.properties.etag
        except ResourceNotFoundError:
            return 0, None

    # -- writing -----------------------------------------------------------

    def write(self, state: State, *, expected_serial: int | None) -> None:
        """Create serial N+1 if absent (``If-None-Match: *``), then move the pointer on."""
        from azure.core.exceptions import ResourceExistsError

        check_successor(self.read(), state, expected_serial)
        with self._errors():
            self._ensure_container()
            try:
                self._blob(f"serial-{state.serial:06d}.json").upload_blob(file_format.dumps(state), overwrite=False)
            except ResourceExistsError:
                latest = self.read()
                raise stale_error(expected_serial, latest.serial if latest else None) from None
            self._advance_pointer(state.serial)

    def _advance_pointer(self, serial: int) -> None:
        """Set ``latest.json`` to ``serial`` unless it is already there or past it (If-Match, retried)."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError

        body = json.dumps({"serial": serial}).encode()
        for _ in range(20):
            current, etag = self._pointer()
            if current >= serial:
                return
            try:
                if etag is None:
                    self._blob("latest.json").upload_blob(body, overwrite=False)
                else:
                    self._blob("latest.json").upload_blob(body, overwrite=True, etag=etag,
                                                          match_condition=MatchConditions.IfNotModified)
                return
            except (ResourceExistsError, ResourceModifiedError):
                continue  # another writer moved it first: look again
        log.warning("could not move %s/latest.json to serial %d; readers roll it on", self.where, serial)

    def _ensure_container(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        if self._container_checked:
            return
        if not self._container.exists():
            with contextlib.suppress(ResourceExistsError):
                self._container.create_container()
        self._container_checked = True

    # -- journal -----------------------------------------------------------

    def write_intent(self, state: State) -> None:
        """Store ``state`` as the pending intent (one PUT: atomic)."""
        with self._errors():
            self._ensure_container()
            self._blob("intent.json").upload_blob(file_format.dumps(state), overwrite=True)

    def read_intent(self) -> State | None:
        """The pending intent, or None."""
        with self._errors():
            data = self._download("intent.json")
        return file_format.loads(data, f"{self.where}/intent.json") if data is not None else None

    def clear_intent(self) -> None:
        """Delete the pending intent (no error when there is none)."""
        from azure.core.exceptions import ResourceNotFoundError

        with self._errors(), contextlib.suppress(ResourceNotFoundError):
            self._blob("intent.json").delete_blob()

    # -- locking -----------------------------------------------------------

    def lock(self, operation: str) -> LockInfo:
        """Take the lease at once, or raise :class:`LockError` naming the holder."""
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
        from azure.storage.blob import BlobLeaseClient

        info = LockInfo.new(operation)
        blob = self._blob("lock")
        with self._errors():
            for _ in range(40):
                lease = BlobLeaseClient(blob, lease_id=str(uuid.UUID(info.id)))
                try:
                    lease.acquire(lease_duration=self.lease_seconds)
                except ResourceNotFoundError:
                    self._create_lock_blob()
                    continue
                except HttpResponseError as exc:
                    if exc.status_code != 409:
                        raise
                    if self._refuse_or_take_over():
                        continue
                if self._record_holder(lease, info):
                    self._renewers[info.id] = _LeaseRenewer(lease, self.lease_seconds, self.where)
                    return info
        raise LockError(f"could not take the state lock {self.where}/lock: it keeps changing hands")

    def _create_lock_blob(self) -> None:
        from azure.core.exceptions import HttpResponseError, ResourceExistsError

        self._ensure_container()
        # Exists already (a rival made it) or leased (a rival holds it): either way it is there.
        with contextlib.suppress(ResourceExistsError, HttpResponseError):
            self._blob("lock").upload_blob(b"", overwrite=False)

    def _record_holder(self, lease: Any, info: LockInfo) -> bool:
        """Write ``info`` under the just-acquired lease; False when the lease was broken first."""
        from azure.core.exceptions import HttpResponseError

        try:
            left = _decode_holder(self._blob("lock").get_blob_properties(lease=lease).metadata)
            self._blob("lock").set_blob_metadata({_LOCK_META: _encode_holder(info)}, lease=lease)
        except HttpResponseError as exc:
            if exc.status_code in (409, 412):  # a rival broke our lease as a dead holder's: try again
                return False
            raise
        if left is not None:
            # Its lease expired without an unlock: the holder died (or lost its network for a minute).
            log.warning("taking over the state lock %s left by %s", left.id, left.describe())
            self.taken_over = left
        return True

    def _refuse_or_take_over(self) -> bool:
        """The lock is leased: raise naming the holder, or break a provably dead holder's lease (True)."""
        from azure.core import MatchConditions
        from azure.core.exceptions import HttpResponseError
        from azure.storage.blob import BlobLeaseClient

        found = self._leased_holder()
        if found is None:
            return True  # released meanwhile: try again
        holder, etag = found
        if holder.holder_alive() is not False:
            raise lock_held_error(holder)
        log.warning("taking over the state lock %s left by %s", holder.id, holder.describe())
        try:
            # Only if the metadata still names that holder: a new holder may have just written its own.
            BlobLeaseClient(self._blob("lock")).break_lease(lease_break_period=0, etag=etag,
                                                            match_condition=MatchConditions.IfNotModified)
        except HttpResponseError as exc:
            if exc.status_code not in (409, 412):
                raise
        self.taken_over = holder
        return True

    def _leased_holder(self) -> tuple[LockInfo, str] | None:
        """The leaseholder's info and the lock blob's ETag; None when not leased.

        A new holder writes its info one request after taking the lease: wait for it.
        """
        from azure.core.exceptions import ResourceNotFoundError

        deadline = time.monotonic() + _HOLDER_INFO_WAIT_SECONDS
        while True:
            try:
                props = self._blob("lock").get_blob_properties()
            except ResourceNotFoundError:
                return None
            if props.lease.state != "leased":
                return None
            holder = _decode_holder(props.metadata)
            if holder is not None:
                return holder, props.etag
            if time.monotonic() > deadline:
                raise LockError(f"state is locked ({self.where}/lock is leased) by a holder that recorded no info",
                                hint="if no faborite operation is running, break the lease of that blob "
                                     "(Azure portal or `az storage blob lease break`)")
            time.sleep(0.05)

    def unlock(self, lock_id: str) -> None:
        """Release the lease whose ID is ``lock_id`` (from another client: force-unlock)."""
        from azure.core.exceptions import HttpResponseError
        from azure.storage.blob import BlobLeaseClient

        with self._errors():
            found = self._leased_holder()
            if found is None:
                raise LockError(f"state is not locked ({self.where}/lock is not leased)", hint="nothing to unlock")
            holder, _ = found
            if holder.id != lock_id:
                raise lock_mismatch_error(lock_id, holder)
            renewer = self._renewers.pop(lock_id, None)
            if renewer is not None:
                renewer.stop()
            lease = BlobLeaseClient(self._blob("lock"), lease_id=str(uuid.UUID(lock_id)))
            try:
                self._blob("lock").set_blob_metadata({}, lease=lease)
                lease.release()
            except HttpResponseError as exc:
                if exc.status_code not in (409, 412):
                    raise
                raise LockError(f"the state lock {lock_id} was taken over before it could be released",
                                hint="run `faborite force-unlock` with the current holder's ID if needed") from None

    def lock_info(self) -> LockInfo | None:
        """The current leaseholder, or None when the lock blob is not leased."""
        with self._errors():
            found = self._leased_holder()
        return found[0] if found else None

    def close(self) -> None:
        """Stop renewing (the leases then expire) and close the HTTP session."""
        for renewer in self._renewers.values():
            renewer.stop()
        self._renewers.clear()
        with contextlib.suppress(Exception):
            self._container.close()

    # -- errors ------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Storage failures as one ProviderError naming the place and the auth (never a secret)."""
        from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

        try:
            yield
        except ClientAuthenticationError as exc:
            raise access_error(self.where, self.auth, self.auth_hint, exc) from None
        except HttpResponseError as exc:
            if exc.status_code in (401, 403):
                raise access_error(self.where, self.auth, self.auth_hint, exc) from None
            raise ProviderError(f"Azure Blob request for the state at {self.where} failed: {first_line(exc)}",
                                hint="check the URL and that the container exists") from None
        except ServiceRequestError as exc:
            raise ProviderError(f"could not reach the state storage at {self.where}: {first_line(exc)}",
                                hint="check the URL and the network") from None


def _encode_holder(info: LockInfo) -> str:
    # Metadata values travel as HTTP headers: ASCII only, so the JSON (a user name may not be) as base64.
    return base64.b64encode(info.model_dump_json().encode()).decode("ascii")


def _decode_holder(metadata: dict[str, str] | None) -> LockInfo | None:
    value = (metadata or {}).get(_LOCK_META)
    if not value:
        return None
    try:
        return LockInfo.model_validate_json(base64.b64decode(value))
    except ValueError as exc:
        raise LockError("the state lock's holder info is unreadable",
                        hint=f"if no faborite operation is running, break the lock blob's lease: {exc}") from exc


class _LeaseRenewer:
    """Renews one lease every third of its length until stopped or the lease is lost."""

    def __init__(self, lease: Any, lease_seconds: int, where: str) -> None:
        self._lease = lease
        self._every = lease_seconds / 3
        self._where = where
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faborite-state-lease", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self._every):
            try:
                self._lease.renew()
            except Exception as exc:  # noqa: BLE001 - the lease was broken (force-unlock, takeover): stop
                if not self._stopped.is_set():
                    log.warning("lost the state lock lease on %s: %s", self._where, first_line(exc))
                return

    def stop(self) -> None:
        self._stopped.set()


class AzureBlobStateFactory:
    """``state: {type: azure_blob, url: ..., auth: ...}``."""

    name = "azure_blob"
    settings_model = AzureBlobStateSettings

    def open(self, settings: BaseModel, *, target_name: str, **_: Any) -> AzureBlobStateBackend:
        assert isinstance(settings, AzureBlobStateSettings)
        place = parse_url(settings.url)
        return AzureBlobStateBackend(blob_service(settings, place).get_container_client(place.container),
                                     prefix=place.prefix, name=target_name, lease_seconds=settings.lease_seconds,
                                     where=settings.url.rstrip("/") + f"/{target_name}", auth=settings.auth,
                                     auth_hint=auth_hint(settings))
