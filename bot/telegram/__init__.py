"""Telegram transport on python-telegram-bot."""

import os

# Opt in to PTB's coming behaviour (durations as timedelta); the transport reads both forms.
os.environ.setdefault("PTB_TIMEDELTA", "1")
