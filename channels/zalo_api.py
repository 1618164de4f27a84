"""Zalo OA Open API transport: the access_token header, single-use refresh under a lock, the error table."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from channels.base import ChannelConfig
from channels.errors import AuthExpired, BadContent, ChannelError, NotCreated, OutcomeUnknown, RateLimited
from channels.http import redact, session

REFRESH_MARGIN = 600  # refresh when the access token has under 10 minutes left (it lasts 25 h, platform-apis §1.2)
TOKEN_ERRORS = (-216, -220)  # access token invalid / expired: Zalo refused the call, so one retry is safe
REAUTHORISE = "an OA administrator must authorise Loa again (docs/channels/zalo.md)."
REFUSED_REFRESH = f"Zalo refused the refresh token; {REAUTHORISE}"
MAYBE_CONSUMED = ("Zalo's sign-in server did not answer the token renewal, so nothing was published; the single-use "
                  "refresh token may have been consumed: if the next attempt says Zalo refused it, " + REAUTHORISE)
WINDOW = ("outside Zalo's 7-day window: the citizen has not written to the OA in the last 7 days; "
          "answer through the hotline")

# Zalo's OA error table (platform-apis §1.7, from developers.zalo.me "mã lỗi") → (verdict, officer sentence).
# AuthExpired is used for every refusal about the channel rather than the content (app removed, OA disabled,
# permission or package missing): no edit of the post helps, an administrator must fix the OA, and that
# verdict flags the channel. BadContent is for refusals of this message or this recipient.
ERRORS: dict[int, tuple[type[ChannelError], str]] = {
    -100: (BadContent, "an image uploaded to Zalo has expired (Zalo keeps uploads 7 days); attach it again"),
    -200: (OutcomeUnknown, "Zalo reported that sending failed, but it may still go out; check the OA Manager"),
    -201: (BadContent, "Zalo refused a field of the message as invalid"),
    -204: (AuthExpired, "the Zalo OA has been disabled or deleted"),
    -205: (AuthExpired, "the Zalo OA does not exist; check the channel's oa_id"),
    -209: (AuthExpired, "the Zalo app linked to Loa is not activated"),
    -210: (BadContent, "a field of the message is longer or larger than Zalo allows"),
    -211: (BadContent, "the OA's quota for this feature is used up"),
    -212: (AuthExpired, "the Zalo app has not registered this API; enable it in the Zalo developer console"),
    -213: (BadContent, "the citizen does not follow the OA"),
    -217: (BadContent, "the citizen has blocked messages from OAs"),
    -218: (BadContent, "the citizen has received as many messages as Zalo allows for now"),
    -219: (AuthExpired, "the Zalo app linked to Loa was removed or disabled"),
    -221: (AuthExpired, "the Zalo OA is not verified, so Zalo refuses this feature"),
    -223: (AuthExpired, "the OA has not granted Loa this permission (or its article quota for the period is "
                        f"used up); {REAUTHORISE}"),
    -224: (AuthExpired, "the OA's Zalo package does not include this feature"),
    -227: (BadContent, "the citizen's Zalo account is banned or has been offline for over 45 days"),
    -230: (BadContent, WINDOW),
    -232: (BadContent, WINDOW),
    -233: (BadContent, "Zalo does not support this type of message"),
    -235: (AuthExpired, "this feature is not available for this type of OA"),
    -240: (BadContent, "Zalo has retired this API version; Loa must be updated"),
    -242: (AuthExpired, "Zalo refused the app secret proof; check the channel's app_secret"),
    -244: (BadContent, "the citizen has refused this type of message from the OA"),
    -248: (BadContent, "Zalo refused the content as against its content standards; a person must review it"),
}
QUOTE_PLATFORM = {-201, -210}  # Zalo's own text names the offending field: worth showing the officer


# Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is Asia/Ho_Chi_Minh without tzdata.
VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
NIGHT_MESSAGE = "Zalo does not send broadcasts at night; moved to 06:00."


def seconds_until_morning(now: float) -> float:
    """0 between 06:00 and 21:59 Vietnam time, else the wait until 06:00 (promotion window, platform-apis §1.3)."""
    local = datetime.fromtimestamp(now, VIETNAM)
    if 6 <= local.hour < 22:
        return 0.0
    morning = local.replace(hour=6, minute=0, second=0, microsecond=0)
    if local.hour >= 22:
        morning += timedelta(days=1)
    return (morning - local).total_seconds()


class StillProcessing(OutcomeUnknown):
    """-214: the article is still being processed; poll verify again (uncertain if it escapes)."""


def seconds_to_next_minute(now: float) -> float:
    """Zalo's per-minute counters reset at the next minute (platform-apis §1.7)."""
    return max(1.0, 60.0 - now % 60)


class ZaloApi:
    """One OA's connection: sends calls with the current access token and refreshes it when needed."""

    def __init__(self, config: ChannelConfig, clock: Callable[[], float]):
        self.config = config
        self.clock = clock
        self.http = session()
        self.api_base = config.get("api_base", "https://openapi.zalo.me").rstrip("/")
        self.oauth_base = config.get("oauth_base", "https://oauth.zaloapp.com").rstrip("/")
        read = float(config.get("timeout") or 20)
        self.timeout = (min(5.0, read), read)  # connect, read
        self.access = config.get("access_token")
        self.expires_at = _number(config.get("access_expires_at"))
        self.issued: list[str] = []  # tokens adopted since, redacted like the configured ones
        self.rate_remaining: tuple[int, int] | None = None  # (remain, limit) from the last answer's headers

    # -- calls ---------------------------------------------------------------------------------------

    def call(self, method: str, path: str, *, body: Any = None, params: Mapping | None = None,
             files: Mapping | None = None) -> dict:
        """One OA call; returns `data` when it is an object, else {}."""
        data = self.call_raw(method, path, body=body, params=params, files=files)
        return data if isinstance(data, dict) else {}

    def call_raw(self, method: str, path: str, *, body: Any = None, params: Mapping | None = None,
                 files: Mapping | None = None) -> Any:
        """One OA call; returns `data` as Zalo sent it (listrecentchat answers a list, §1.5).
        A refused token is refreshed once and the call repeated once."""
        used = self.fresh_token()
        answer = self._send(method, path, used, body, params, files)
        if answer.get("error") in TOKEN_ERRORS:
            self.refresh(used)
            answer = self._send(method, path, self.access, body, params, files)
            if answer.get("error") in TOKEN_ERRORS:
                raise AuthExpired(f"Zalo refuses Loa's access token even after renewing it; {REAUTHORISE}")
        self._raise_for(answer)
        return answer.get("data")

    def _send(self, method: str, path: str, token: str, body: Any, params: Mapping | None,
              files: Mapping | None) -> dict:
        try:
            response = self.http.request(method, self.api_base + path, headers={"access_token": token},
                                         json=body, params=params, files=files, timeout=self.timeout)
        except requests.RequestException as exc:
            raise self._transport_error(method, exc) from None
        self._note_rate(response)
        return self._envelope(method, response)

    def _transport_error(self, method: str, exc: requests.RequestException) -> ChannelError:
        reason = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
        if not _maybe_sent(exc):
            return NotCreated(f"Loa could not connect to Zalo ({reason}); nothing was sent.")
        if method == "GET":  # a read creates nothing
            return NotCreated(f"Zalo did not answer a read ({reason}).")
        return OutcomeUnknown(f"Zalo did not answer ({reason}); the request may have been carried out.")

    def _envelope(self, method: str, response: requests.Response) -> dict:
        uncertain = OutcomeUnknown if method != "GET" else NotCreated
        if response.status_code >= 500:
            raise uncertain(f"Zalo answered with a server error (HTTP {response.status_code}); "
                            "the request may have been carried out.")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict) and isinstance(answer.get("error"), int):
            return answer
        if response.status_code == 429:
            raise RateLimited("Zalo asked Loa to slow down.", seconds_to_next_minute(self.clock()))
        if 400 <= response.status_code < 500:
            raise NotCreated(f"Zalo refused the request (HTTP {response.status_code}); check the api_base setting.")
        raise uncertain("Zalo's answer could not be read; the request may have been carried out.")

    def _note_rate(self, response: requests.Response) -> None:
        remain, limit = response.headers.get("X-RateLimit-Remain"), response.headers.get("X-RateLimit-Limit")
        if remain and limit and remain.isdigit() and limit.isdigit():
            self.rate_remaining = (int(remain), int(limit))

    def _raise_for(self, answer: dict) -> None:
        code = answer.get("error")
        if code == 0:
            return
        text = self.redact(str(answer.get("message") or ""))[:200]
        if code == -32:
            raise RateLimited("Zalo's per-minute API limit for this app is used up.",
                              seconds_to_next_minute(self.clock()))
        if code == -214:
            raise StillProcessing("Zalo is still processing the article.")
        if code == -234:
            raise RateLimited(NIGHT_MESSAGE, seconds_until_morning(self.clock()))
        cls, sentence = ERRORS.get(code, (OutcomeUnknown, f"Zalo answered with an unexpected error ({code})"))
        if code in QUOTE_PLATFORM and text:
            sentence = f"{sentence} (Zalo says: {text})"
        raise cls(sentence[0].upper() + sentence[1:].rstrip(".") + ".")

    def redact(self, text: str) -> str:
        keys = ("access_token", "refresh_token", "app_secret", "oa_secret_key")
        return redact(text, [*self.issued, *(self.config.get(k) for k in keys)])

    # -- tokens --------------------------------------------------------------------------------------

    def fresh_token(self) -> str:
        """The access token, refreshed first when it expires within REFRESH_MARGIN."""
        if self.expires_at is not None and self.expires_at - self.clock() < REFRESH_MARGIN:
            try:
                self.refresh(self.access)
            except NotCreated:
                if self.expires_at <= self.clock():
                    raise
                # the sign-in server failed but the token still has minutes left: use it, renew next call
        return self.access

    def refresh(self, used: str) -> None:
        """Renew the pair under the store's lock; adopt it instead when another process already did."""
        store = self.config.store
        if store is None:
            raise AuthExpired(f"Zalo's access token needs renewing but this channel has no credential store; "
                              f"{REAUTHORISE}")
        with store.locked() as (secrets, save):
            stored = secrets.get("access_token", "")
            if stored and stored != used:
                self._adopt(secrets)  # another process already spent the refresh token: use its result
                return
            refresh_token = secrets.get("refresh_token") or self.config.get("refresh_token")
            pair = self._exchange(refresh_token)
            save(pair)  # the old refresh token is dead: persist the new pair before anything uses it
            self._adopt(pair)

    def _adopt(self, secrets: Mapping[str, str]) -> None:
        self.access = secrets["access_token"]
        self.expires_at = _number(secrets.get("access_expires_at"))
        self.issued += [self.access, secrets.get("refresh_token", "")]

    def _exchange(self, refresh_token: str) -> dict[str, str]:
        """POST the refresh grant (platform-apis §1.2): form fields, app secret in the secret_key header."""
        form = {"refresh_token": refresh_token, "app_id": self.config.get("app_id"), "grant_type": "refresh_token"}
        try:
            response = self.http.post(f"{self.oauth_base}/v4/oa/access_token", data=form,
                                      headers={"secret_key": self.config.get("app_secret")}, timeout=self.timeout)
        except requests.RequestException as exc:
            if not _maybe_sent(exc):
                raise NotCreated("Loa could not connect to Zalo's sign-in server to renew the access token; "
                                 "nothing was sent.") from None
            raise NotCreated(MAYBE_CONSUMED) from None
        return self._new_pair(response)

    def _new_pair(self, response: requests.Response) -> dict[str, str]:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if answer is None and 400 <= response.status_code < 500:
            raise NotCreated(f"Zalo's sign-in server refused the request (HTTP {response.status_code}); "
                             "check the oauth_base setting.")
        if answer is None or response.status_code >= 500:
            raise NotCreated(MAYBE_CONSUMED)
        if not isinstance(answer, dict) or not answer.get("access_token"):
            raise AuthExpired(REFUSED_REFRESH)
        lifetime = _number(answer.get("expires_in")) or 3600  # a string of seconds, "90000" (25 h)
        pair = {"access_token": str(answer["access_token"]),
                "access_expires_at": str(int(self.clock() + lifetime))}
        if answer.get("refresh_token"):
            pair["refresh_token"] = str(answer["refresh_token"])
        return pair


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _maybe_sent(exc: requests.RequestException) -> bool:
    """False only when the request provably never left: refused connection, connect timeout, bad URL."""
    never_left = (requests.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError,
                  requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)
    if isinstance(exc, never_left):
        return False
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
        # anything else (connection aborted, reset mid-answer) may come after the request was sent
        return not isinstance(reason, (NewConnectionError, ConnectTimeoutError))
    return True
