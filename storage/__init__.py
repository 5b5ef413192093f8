"""Persistence: SQLAlchemy 2 models, the unit of work, repositories and Alembic migrations."""

DEFAULT_URL = "sqlite+aiosqlite:///./data/dangjian.db"  # the embedded default: a SQLite file beside the bot
