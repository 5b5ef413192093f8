"""No secret in any log line, at any level.

python-telegram-bot logs its API calls at DEBUG (setWebhook's secret_token among the parameters,
the token in the Bot API URL), an InvalidToken error repeats the token, and a WeCom subscribe
frame carries the bot's secret. Rather than hoping every library stays quiet, every record that
reaches a handler is rewritten with each known secret replaced by ***.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

MASK = "***"


class Redactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, *secrets: str | None) -> None:
        """Secrets to hide from now on; a Telegram token's secret part is hidden on its own too."""
        for secret in secrets:
            if not secret or len(secret) < 6:
                continue
            self.secrets.add(secret)
            _bot, _, key = secret.partition(":")
            if len(key) >= 6:
                self.secrets.add(key)

    def clean(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        cleaned = self.clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        return True


REDACTOR = Redactor()


def protect(handlers: Iterable[logging.Handler] | None = None) -> None:
    """Put the redactor on every handler of the root logger (or on those given)."""
    for handler in handlers if handlers is not None else logging.getLogger().handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)


def setup(settings: Settings, *, worker: bool = False) -> None:
    """A process's logging as configured, every secret it knows masked, the chatty libraries
    quiet: httpx logs every request URL (a Bot API URL carries the token), APScheduler every run.
    A `worker` (one of several processes) names its process id on every line."""
    who = "[%(process)d] " if worker else ""
    line = f"%(asctime)s {who}%(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=settings.log_level.upper(), format=line)
    secrets = (settings.telegram_token, settings.telegram_webhook_secret, settings.wecom_bot_secret)
    REDACTOR.add(*(s.get_secret_value() for s in secrets if s is not None))
    protect()
    for noisy in ("httpx", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
