"""Typed settings; every field is an environment variable prefixed DANGJIAN_ (or a .env file)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage import DEFAULT_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DANGJIAN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        DEFAULT_URL,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    timezone: str = Field("Asia/Shanghai", description="IANA zone for dates users type and see")
    locale: str = Field("zh-CN", description="default reply language: zh-CN or en")
    signin_opens_before_min: int = Field(30, ge=0, description="window opens this long before start")
    signin_grace_min: int = Field(5, ge=0, description="after start + grace a sign-in is late")
    signin_closes_after_min: int = Field(60, ge=1, description="window closes this long after start")
    push_grace_min: float = Field(
        30, gt=0, description="a push due longer ago than this (the bot was down) is not sent late, but reported"
    )
    reminders_min: str = Field("1440,60", description="reminders this many minutes before an event, comma-separated")
    nudge_after_min: int = Field(10, ge=0, description="nudge members not signed in this long after the start; 0: off")
    dormancy_weeks: int = Field(8, ge=1, description="warn about branches with no activity for this many weeks")
    points: dict[str, int] = Field(
        default_factory=dict,
        description='points rules as JSON, e.g. {"signin_on_time": 2, "idea_adopted": 5}; unnamed rules keep defaults',
    )
    point_caps: dict[str, int] = Field(
        default_factory=dict,
        description='yearly caps on sign-in points per event kind as JSON, e.g. {"party_lesson": 12}',
    )
    idea_points_per_month: int = Field(
        3, ge=0, description="golden ideas a month per member that earn the idea_submitted points"
    )
    dispatch_interval_s: float = Field(5.0, gt=0, description="how often due pushes are checked")
    cache_ttl_s: float = Field(2.0, ge=0, description="how often cached chat/member/event lookups are revalidated")
    log_level: str = Field("INFO", description="logging level")
    media_dir: str = Field("data/media", description="folder of meeting-record photos (back it up with the database)")

    telegram_token: SecretStr | None = Field(None, description="Bot API token from @BotFather")
    telegram_base_url: str = Field(
        "https://api.telegram.org/bot", description="Bot API base URL, token appended (local Bot API server, tests)"
    )
    telegram_webhook_url: str | None = Field(None, description="public HTTPS URL of the webhook; unset: long polling")
    telegram_webhook_listen: str = Field("0.0.0.0", description="address the webhook server listens on")
    telegram_webhook_port: int = Field(8443, description="port the webhook server listens on")
    telegram_webhook_path: str = Field("telegram", description="URL path the webhook server answers on")
    telegram_webhook_secret: SecretStr | None = Field(
        None, description="secret_token Telegram must send; a random one is made at each start if unset"
    )
    inbox_stale_s: float = Field(
        30.0, gt=0, description="a webhook update held this long by a process that stopped is taken over"
    )
    workers: int = Field(
        1,
        ge=1,
        le=32,
        description="processes `dangjian run` serves the bot with (PostgreSQL; one leads, the others receive)",
    )
    telegram_group_per_minute: float = Field(19.0, gt=0, description="messages per minute the bot sends to a group")

    wecom_bot_id: str | None = Field(None, description="WeCom AI bot (智能机器人) BotID")
    wecom_bot_secret: SecretStr | None = Field(None, description="WeCom AI bot Secret")
    wecom_bot_name: str = Field("党建助手", description="the bot's name as members @-mention it in groups")
    wecom_ws_url: str = Field("wss://openws.work.weixin.qq.com", description="AI bot long-connection endpoint")
    wecom_webhook_url: str = Field(
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", description="group robot webhook endpoint (key appended)"
    )
    wecom_heartbeat_s: float = Field(30.0, gt=0, description="seconds between heartbeats on the long connection")

    web_listen: str | None = Field(
        None, description="host:port the web console listens on (dangjian web; dangjian run serves it only if set)"
    )
    web_workers: int = Field(
        1, ge=1, le=32, description="processes `dangjian web` serves the console with (about one per core)"
    )
    web_base_url: str = Field(
        "http://127.0.0.1:8080",
        description="the web console's address as people open it (behind a proxy: its HTTPS URL)",
    )
    web_secret: SecretStr | None = Field(
        None, description="signs one-time login links; unset: a random secret kept in the database"
    )
    web_secure_cookie: bool = Field(
        False, description="mark the session cookie Secure (set when the console is served over HTTPS)"
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
