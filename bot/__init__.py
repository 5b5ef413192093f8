"""Composition root and transports: settings, CLI, app wiring, console, Telegram, WeCom."""
