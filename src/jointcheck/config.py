"""Settings of a jointcheck deployment, read from the environment (prefix ``JOINTCHECK_``).

Only the edges (``cli``, ``api``, ``web``, ``bootstrap``) read settings; the pure core gets
what it needs as parameters. Secrets never have defaults in the code: they come from the
environment or from files under ``var/secrets`` with 0600 rights, which ``jointcheck demo up``
creates for a newcomer's demo district.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jointcheck.errors import ConfigError

_MIN_SECRET_LENGTH = 16
_REFUSED_SECRETS = {"", "changeme", "secret", "password", "test", "default"}


class Settings(BaseSettings):
    """One deployment's settings. ``JOINTCHECK_DATABASE_URL`` selects PostgreSQL."""

    model_config = SettingsConfigDict(env_prefix="JOINTCHECK_", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="database, keys, bundles, exports")
    database_url: str = Field(default="", description="SQLAlchemy URL; SQLite in var/ if empty")
    timezone: str = "Asia/Shanghai"
    default_locale: str = "zh_CN"
    health_code_ttl_seconds: int = Field(default=180, ge=10, le=3600)
    clock_skew_seconds: int = Field(default=30, ge=0, le=600)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def secrets_dir(self) -> Path:
        return self.var_dir / "secrets"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'jointcheck.db').as_posix()}"


def refuse_weak_secret(name: str, value: str) -> str:
    """Refuse placeholder secrets so that no deployment runs on a value from a README."""
    if value.strip().lower() in _REFUSED_SECRETS or len(value) < _MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{name} is missing or a placeholder; set a random value of 32 bytes "
            f"(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)",
            code="CONFIG_WEAK_SECRET",
        )
    return value


def load_settings() -> Settings:
    return Settings()
