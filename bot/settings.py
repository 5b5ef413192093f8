"""Typed settings; every field is an environment variable prefixed DANGJIAN_ (or a .env file)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DANGJIAN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        "sqlite+aiosqlite:///./data/dangjian.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    timezone: str = Field("Asia/Shanghai", description="IANA zone for dates users type and see")
    locale: str = Field("zh-CN", description="default reply language: zh-CN or en")
    signin_opens_before_min: int = Field(30, ge=0, description="window opens this long before start")
    signin_grace_min: int = Field(5, ge=0, description="after start + grace a sign-in is late")
    signin_closes_after_min: int = Field(60, ge=1, description="window closes this long after start")
    dispatch_interval_s: float = Field(5.0, gt=0, description="how often due pushes are checked")
    cache_ttl_s: float = Field(2.0, ge=0, description="how often cached chat/member/event lookups are revalidated")
    log_level: str = Field("INFO", description="logging level")

    telegram_token: SecretStr | None = Field(None, description="Bot API token from @BotFather")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
