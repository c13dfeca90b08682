"""Text messages, behind one small interface so a center can plug in its provider.

``SMS_BACKEND`` chooses the sender: ``console`` (the default, and the demo's) writes each message to
the log instead of sending it; ``module:Class`` names any class with a ``send(to, text)`` method
that takes the app's config in its constructor. A message's text never names a discreet activity
(the reminders build it), and phone numbers are shortened in the log."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from typing import Any, Protocol

log = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider refused or could not be reached; the caller records it and moves on."""


class SmsSender(Protocol):
    def send(self, to: str, text: str) -> None: ...


def masked(phone: str) -> str:
    """Enough to tell two numbers apart in a log, not enough to call anyone."""
    return "…" + phone[-3:] if len(phone) > 3 else "…"


class ConsoleSms:
    """Keeps nothing and sends nothing: each message goes to the log, where an operator can read it."""

    def __init__(self, _config: Mapping[str, Any] | None = None) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        self.sent.append((to, text))
        log.info("Text message to %s (console backend, not sent): %s", masked(to), text)


def sender(config: Mapping[str, Any]) -> SmsSender:
    name = str(config.get("SMS_BACKEND") or "console")
    if name == "console":
        return ConsoleSms(config)
    module_name, _sep, class_name = name.partition(":")
    try:
        backend = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as error:
        raise SmsError(f"SMS_BACKEND: cannot load {name!r} ({error}); use 'console' or 'module:Class'") from error
    return backend(config)  # type: ignore[no-any-return]


def valid_phone(raw: str) -> str | None:
    """The number in international form (+ and 8 to 15 digits, spaces and dashes dropped), or None."""
    compact = raw.replace(" ", "").replace("-", "").replace("(", "").replace(")", "").replace(".", "")
    digits = compact[1:] if compact.startswith("+") else ""
    return compact if digits.isdigit() and 8 <= len(digits) <= 15 else None
