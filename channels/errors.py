"""The small error hierarchy every adapter raises; each class carries its delivery verdict.

The queue never reads platform JSON: an adapter translates what the platform said into one of
these. Anything else that escapes an adapter is treated as OutcomeUnknown by the publisher,
because an unexpected failure after the request left proves nothing about what was created.
"""


class ChannelError(Exception):
    """Base class. `message` is a sentence an officer can read; never platform JSON or a token."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RateLimited(ChannelError):
    """The platform refused for now; nothing was created. Try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = max(0.0, float(retry_after))


class AuthExpired(ChannelError):
    """The token is invalid, expired or lacks rights: the channel needs re-authorisation."""


class BadContent(ChannelError):
    """The platform (or our own limits) refused the content itself; retrying cannot help."""


class NotCreated(ChannelError):
    """Proven that nothing was created (connection refused, 4xx before the write): safe to retry."""


class OutcomeUnknown(ChannelError):
    """The request may or may not have created the post (timeout, 5xx after sending).

    Never retried automatically: the delivery becomes `unconfirmed` and is reconciled.
    """
