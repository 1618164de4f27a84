"""Facebook Graph API answers turned into Loa's verdicts: the error-code table and the usage headers.

Error body: {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}} (FB-ERR in
platform-apis.md §2.6); python-facebook-api raises it as FacebookError with those attributes.
Usage headers: X-App-Usage and X-Business-Use-Case-Usage, percentages and minutes (§2.6).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import requests
import urllib3
from pyfacebook import FacebookError, LibraryError

from channels.errors import AuthExpired, BadContent, ChannelError, NotCreated, OutcomeUnknown, RateLimited
from channels.http import redact

# Throttling: 4 app, 17 user, 32 Page (BUC), 341 app limit, 613 custom, 80000-80014 BUC per
# use case (FB-ERR, Mixpost's list), and subcode 1390008 of 368, "posting too fast" (Postiz).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, 1390008, *range(80000, 80015)})
APP_LEVEL_WAIT = 3600.0  # code 4 is the app-wide limit: Mixpost pauses an hour
OTHER_WAIT = 300.0
# Facebook's anti-spam block for posting too fast lasts hours; retrying in 5 minutes only extends it.
TOO_FAST_WAIT = 3600.0

# Usage thresholds. Mixpost treats > 90 % in any dimension as "about to be limited"; a ward Page
# posts a few times a week, so Loa slows down earlier (80 %) and stops for an hour near the top.
SLOW_DOWN_PERCENT = 80
STOP_PERCENT = 95
SLOW_DOWN_SECONDS = 300.0
STOP_SECONDS = 3600.0
USAGE_KEYS = ("call_count", "total_time", "total_cputime", "call_volume", "cpu_time", "acc_id_util_pct")

TOKEN_SENTENCES = {  # code 190 by subcode (FB-ERR)
    463: "The Facebook Page access token has expired; connect the Page again.",
    467: "The Facebook Page access token is no longer valid (the session was ended); connect the Page again.",
    460: "The Facebook password of the person who connected the Page was changed, which cancelled the token; "
         "connect the Page again.",
    458: "The Loa app was removed from the Facebook account that connected the Page; connect the Page again.",
}
TOKEN_OTHER = "Facebook refused the Page access token; connect the Page again."

CONTENT_SENTENCES = {  # codes and subcodes that refuse the content itself
    368: "Facebook has temporarily blocked this Page from posting for a policy violation.",
    506: "Facebook refused the post as a duplicate of the Page's previous post; change the text before publishing again.",
    1366046: "Facebook refused the photo: it must be a JPEG or PNG file smaller than 4 MB.",
    1609005: "Facebook could not read the link attached to the post; check that the address opens.",
    1346003: "Facebook flagged the post as abusive and refused it.",
    324: "Facebook received no readable photo file with the post.",
}
UNCERTAIN_CODES = frozenset({1, 2})  # unknown error / temporary service error (FB-ERR)


class UnknownObject(AuthExpired):
    """Code 100, subcode 33: the id names nothing the token can reach. For the Page id the channel
    needs fixing (hence AuthExpired); a post or comment was deleted, which callers handle themselves."""


@dataclass(frozen=True)
class Answer:
    """What one HTTP exchange returned, captured by a response hook: pyfacebook ignores the status."""

    status: int
    headers: Mapping[str, str]


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _numbers(item: Mapping, keys: Iterable[str]) -> list[float]:
    return [float(item[k]) for k in keys if isinstance(item.get(k), (int, float))]


def usage(headers: Mapping[str, str]) -> tuple[float, float]:
    """(highest usage percentage, minutes until access returns) from both usage headers.

    Read here rather than from pyfacebook's RateLimit, which only weighs the app header."""
    percents, minutes = [], [0.0]
    app = _json(headers.get("x-app-usage"))
    if isinstance(app, dict):
        percents += _numbers(app, USAGE_KEYS)
    buc = _json(headers.get("x-business-use-case-usage"))
    for items in buc.values() if isinstance(buc, dict) else ():
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict):
                percents += _numbers(item, USAGE_KEYS)
                minutes += _numbers(item, ("estimated_time_to_regain_access",))
    return max(percents, default=0.0), max(minutes)


def pause_seconds(headers: Mapping[str, str]) -> float:
    """How long the channel should rest after a successful call, 0 when usage is comfortable."""
    percent, minutes = usage(headers)
    if percent < SLOW_DOWN_PERCENT:
        return 0.0
    if minutes > 0:
        return minutes * 60
    return STOP_SECONDS if percent >= STOP_PERCENT else SLOW_DOWN_SECONDS


def remote_id(answer: Any, key: str) -> str:
    """The id Facebook gave what a write created; without one the outcome is unknown."""
    value = answer.get(key) if isinstance(answer, dict) else None
    if not value:
        raise OutcomeUnknown("Facebook accepted the request but did not say the post's id; "
                             "check the Page before publishing again.")
    return str(value)


def _rate_limited(code: int, subcode: int, answer: Answer | None) -> RateLimited:
    minutes = usage(answer.headers)[1] if answer else 0.0
    if minutes > 0:
        wait = minutes * 60
    elif code == 4:
        wait = APP_LEVEL_WAIT
    elif 1390008 in (code, subcode):
        wait = TOO_FAST_WAIT
    else:
        wait = OTHER_WAIT
    return RateLimited(f"Facebook asks Loa to slow down on this Page; it will try again in {wait / 60:.0f} minutes.", wait)


def _uncertain(write: bool, what: str) -> ChannelError:
    """A failure after the request may have arrived: unknown for a write, harmless for a read."""
    if write:
        return OutcomeUnknown(f"{what}; the post may or may not exist on the Page: check it before publishing again.")
    return NotCreated(f"{what}; nothing was changed on the Page.")


def _graph_error(exc: FacebookError, answer: Answer | None, write: bool, permission: str,
                 secrets: Iterable[str]) -> ChannelError:
    code, subcode = int(getattr(exc, "code", 0) or 0), int(getattr(exc, "error_subcode", 0) or 0)
    text = redact(str(getattr(exc, "message", "")), secrets)
    if code in RATE_LIMIT_CODES or subcode in RATE_LIMIT_CODES:
        return _rate_limited(code, subcode, answer)
    if code == 190:
        return AuthExpired(TOKEN_SENTENCES.get(subcode, TOKEN_OTHER))
    if code == 10 or 200 <= code <= 299:
        return AuthExpired(f"The Facebook token lacks the {permission} permission for this Page (or its owner is no "
                           "longer a Page admin); connect the Page again with that permission.")
    if code == 100 and "appsecret_proof" in text:
        return AuthExpired("The app secret set for this channel does not match the Facebook app; correct it.")
    if code == 100 and subcode == 33:
        return UnknownObject("Facebook knows no Page with this id that the token can reach; check the Page id.")
    for key in (subcode, code):
        if key in CONTENT_SENTENCES:
            return BadContent(CONTENT_SENTENCES[key])
    if code == 100:
        return BadContent(f"Facebook refused the request as invalid: {text}")
    status = answer.status if answer else 0
    if code in UNCERTAIN_CODES or status >= 500 or status == 0:
        return _uncertain(write, "Facebook answered with a temporary server error")
    # Any other error Facebook answers with a 4xx refuses the request before anything is written.
    return NotCreated(f"Facebook refused the request (error {code}): {text}")


def _connect_failed(exc: requests.ConnectionError) -> bool:
    """True when no connection was made, so the request never left (refused, DNS, TLS handshake)."""
    if isinstance(exc, (requests.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def translate(exc: Exception, answer: Answer | None, *, write: bool, permission: str,
              secrets: Iterable[str], timeout: float) -> ChannelError:
    """One verdict for whatever a Graph call raised. Sentences only: exception texts carry the
    request URL, and with it the token, so none is quoted."""
    if isinstance(exc, ChannelError):
        return exc
    if isinstance(exc, FacebookError):
        return _graph_error(exc, answer, write, permission, secrets)
    if isinstance(exc, requests.ConnectionError) and _connect_failed(exc):
        return NotCreated("Facebook could not be reached (no connection was made); nothing was sent.")
    if isinstance(exc, requests.ReadTimeout):
        return _uncertain(write, f"Facebook did not answer within {timeout:g} seconds")
    if isinstance(exc, (LibraryError, ValueError, KeyError)) or (answer and answer.status >= 500):
        return _uncertain(write, "Facebook gave an answer Loa could not read")
    # A dropped connection or anything unexpected after sending: the safe verdict.
    return _uncertain(write, "The exchange with Facebook broke off")
