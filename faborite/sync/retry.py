"""Retry with exponential backoff and jitter, for transient storage errors only.

Transient: timeouts, connection resets, HTTP 429/5xx, and what object stores
and deltalake call "transient" or "timed out". Never retried: authentication
and authorization failures (401/403, credential errors) and not-found errors,
which no amount of waiting fixes; they fail at once.
"""

from __future__ import annotations

import errno
import random
import re
import time
from collections.abc import Callable
from typing import TypeVar

from faborite.errors import FaboriteError, ProviderError

T = TypeVar("T")

_AUTH_CLASSES = {
    "ClientAuthenticationError", "CredentialUnavailableError", "AuthenticationRequiredError",
    "PermissionError", "PermissionDenied", "Unauthenticated", "NoCredentialsError",
}
_NOT_FOUND_CLASSES = {"FileNotFoundError", "TableNotFoundError", "ResourceNotFoundError", "NoSuchTableError", "NotFound"}
_AUTH = re.compile(
    r"(?i)\b(401|403)\b|unauthori[sz]ed|forbidden|authenticat|authori[sz]ation ?(failed|permission|mismatch)|"
    r"credential|access denied|permission denied|invalid.{0,20}token|token.{0,20}expired"
)
_NOT_FOUND = re.compile(r"(?i)\b404\b|not found|no such (file|table|container|bucket)|does not exist|notfound")
_TRANSIENT = re.compile(
    r"(?i)transient|timed? ?out|timeout|connection (reset|aborted|closed|refused)|broken pipe|"
    r"temporar(il)?y unavailable|service unavailable|internal server error|bad gateway|gateway timeout|"
    r"too many requests|throttl|server busy|serverbusy|operationtimedout|"
    r"(status|code|http)\D{0,12}\b(429|500|502|503|504)\b|\b(429|500|502|503|504) (too|internal|bad|service|gateway)"
)
# The engine refusing the query itself: retrying cannot help, whatever numbers the message holds.
_QUERY_ERROR = re.compile(r"(Parser|Binder|Catalog|Conversion|Syntax|Not implemented) Error")
_TRANSIENT_ERRNOS = {errno.ECONNRESET, errno.ECONNABORTED, errno.ETIMEDOUT, errno.EPIPE, errno.EAGAIN, errno.ECONNREFUSED}


def is_auth_error(exc: BaseException) -> bool:
    """An authentication or authorization failure anywhere in the exception's chain."""
    return any(type(e).__name__ in _AUTH_CLASSES or _AUTH.search(str(e)) for e in _chain(exc))


def is_not_found(exc: BaseException) -> bool:
    """A missing table, file or container anywhere in the exception's chain."""
    return any(type(e).__name__ in _NOT_FOUND_CLASSES or _NOT_FOUND.search(str(e)) for e in _chain(exc))


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: a timeout, reset or 5xx, and neither an auth nor a not-found error."""
    if is_auth_error(exc) or is_not_found(exc) or any(_QUERY_ERROR.search(str(e)) for e in _chain(exc)):
        return False
    for e in _chain(exc):
        if isinstance(e, (TimeoutError, ConnectionError)):
            return True
        if isinstance(e, OSError) and e.errno in _TRANSIENT_ERRNOS:
            return True
        if _TRANSIENT.search(f"{type(e).__name__}: {e}"):
            return True
    return False


def retry(
    call: Callable[[], T],
    *,
    attempts: int = 5,
    base_delay: float = 0.2,
    max_delay: float = 5.0,
    is_transient: Callable[[BaseException], bool] = is_transient,
    what: str = "the operation",
    on_retry: Callable[[int, BaseException, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, retried on transient errors with exponential backoff and full jitter.

    Attempt ``k`` (from 1) waits a random time up to ``min(max_delay,
    base_delay * 2**(k-1))`` before the next. A non-transient error is
    raised at once; errors that are not a :class:`FaboriteError` become a
    :class:`ProviderError` naming ``what`` (an auth failure says so). When
    every attempt failed, a ProviderError says how many were made.
    ``on_retry(attempt, error, delay)`` is told before each wait.
    """
    attempts = max(1, attempts)
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - classified below
            transient = is_transient(exc)
            if not transient or attempt == attempts:
                final = _final(exc, what, attempt=attempt, exhausted=transient)
                if final is exc:
                    raise
                raise final from exc
            delay = random.uniform(0, min(max_delay, base_delay * 2 ** (attempt - 1)))
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _final(exc: Exception, what: str, *, attempt: int, exhausted: bool) -> Exception:
    if exhausted:
        return ProviderError(
            f"{what} failed after {attempt} attempts: {describe_error(exc)}",
            hint="the storage kept failing with transient errors; try again later or check the service's health",
        )
    if is_auth_error(exc):
        return ProviderError(
            f"{what} was refused: {describe_error(_innermost(exc))}",
            hint="authentication or authorization failed (not retried): check the credentials and the identity's access",
        )
    if isinstance(exc, FaboriteError):
        return exc
    return ProviderError(f"{what} failed: {describe_error(exc)}")


def describe_error(exc: BaseException) -> str:
    """``Type: first line`` of an error (a FaboriteError: its message), for one-line messages."""
    if isinstance(exc, FaboriteError):
        return exc.message
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _innermost(exc: BaseException) -> BaseException:
    """The root cause: the storage client's own error, not a wrapper around its text."""
    return _chain(exc)[-1]


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
