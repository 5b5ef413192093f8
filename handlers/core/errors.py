"""Domain errors. Each becomes a clear Chinese (or English) answer, never a stack trace."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """An expected failure with a message template to show the user."""

    template: str = "common.error"

    def __init__(self, template: str | None = None, **params: Any) -> None:
        super().__init__(template or self.template)
        if template:
            self.template = template
        self.params = params


class UsageError(AppError):
    """The message was addressed to us but its arguments are wrong; answer with the usage line."""

    def __init__(self, command: str, problem: str = "common.bad_args", **params: Any) -> None:
        super().__init__(problem, **params)
        self.command = command


class NotRegistered(AppError):
    template = "access.not_registered"


class NotBound(AppError):
    template = "common.not_bound"
