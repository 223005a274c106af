"""POST a summary to one webhook: stdlib urllib, a short timeout, one retry, never an exception.

A webhook is a courtesy: the operation it reports has already happened, so a
webhook that cannot be reached is a warning, never a failure. Its URL usually
carries a token, so no message ever quotes it: webhooks are named by the
variable that holds the URL ("webhook from $VAR"), and a transport error's
text is scrubbed of every part of the URL before it is shown.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from faborite.notify.config import WebhookSpec

#: Seconds to wait before the one retry.
RETRY_PAUSE = 0.5


def post_json(spec: WebhookSpec, body: bytes, *, environ: Mapping[str, str], warn: Callable[[str], None],
              what: str) -> bool:
    """POST ``body`` (JSON) to ``$spec.url_env``; True when the server answered 2xx.

    Args:
        spec: the webhook.
        body: the JSON document to send.
        environ: where the URL and header variables are read.
        warn: called with one line per problem (the URL never appears in it).
        what: the operation reported, for the warning ("apply").
    """
    url = environ.get(spec.url_env, "")
    if not url:
        warn(f"{spec.label} not sent: {spec.url_env} is not set")
        return False
    if urlsplit(url).scheme not in ("http", "https"):
        warn(f"{spec.label} not sent: ${spec.url_env} does not hold an http(s) URL")
        return False
    headers = {"Content-Type": "application/json", "User-Agent": "faborite"}
    for header, variable in spec.headers_env.items():
        if variable not in environ:
            warn(f"{spec.label}: header {header} not sent: {variable} is not set")
            continue
        headers[header] = environ[variable]
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    problem = ""
    for attempt in range(2):
        if attempt:
            time.sleep(RETRY_PAUSE)
        try:
            with urllib.request.urlopen(request, timeout=spec.timeout) as response:
                response.read()
            return True
        except urllib.error.HTTPError as exc:
            problem = f"the server answered HTTP {exc.code}"
            if exc.code < 500 and exc.code != 429:
                break  # a client error will not go away on retry
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            problem = scrub(_reason(exc), url)
    warn(f"{spec.label} was not delivered ({problem}); the {what} itself is not affected")
    return False


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        exc = reason
    return (getattr(exc, "strerror", None) or str(reason or exc) or type(exc).__name__).strip()


def scrub(text: str, url: str) -> str:
    """``text`` with the URL and each of its parts that could carry a secret replaced by ``<url>``."""
    parts = urlsplit(url)
    for secret in sorted({url, parts.netloc, parts.path, parts.query, parts.fragment}, key=len, reverse=True):
        if len(secret) > 1:  # "/" alone is no secret, and replacing it would garble the text
            text = text.replace(secret, "<url>")
    return text
