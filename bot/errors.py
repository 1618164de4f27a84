"""Errors the domain raises for people: each message is one sentence an officer or operator can act on."""


class Invalid(Exception):
    """Bad input or a refused action. Nothing was changed."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


class Forbidden(Invalid):
    """The user's role or unit does not allow this action."""


class NotFound(Invalid):
    """A named unit, user, channel or post does not exist."""
