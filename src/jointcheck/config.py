"""Settings of a jointcheck deployment, read from the environment (prefix ``JOINTCHECK_``).

Only the edges (``cli``, ``api``, ``web``, ``bootstrap``) read settings; the pure core gets
what it needs as parameters. Secrets never have defaults in the code: they come from the
environment or from files under ``var/secrets`` with 0600 rights, which ``jointcheck demo up``
creates for a newcomer's demo district.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jointcheck.errors import ConfigError

_MIN_SECRET_LENGTH = 16
SECRET_NAMES = ("pii_key", "lookup_key", "session_secret")
_REFUSED_SECRETS = {"", "changeme", "secret", "password", "test", "default"}


class Settings(BaseSettings):
    """One deployment's settings. ``JOINTCHECK_DATABASE_URL`` selects PostgreSQL."""

    model_config = SettingsConfigDict(env_prefix="JOINTCHECK_", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="database, keys, bundles, exports")
    database_url: str = Field(default="", description="SQLAlchemy URL; SQLite in var/ if empty")
    timezone: str = "Asia/Shanghai"
    default_locale: str = "zh_CN"
    health_code_ttl_seconds: int = Field(default=180, ge=10, le=3600)
    paper_code_ttl_hours: int = Field(default=24, ge=1, le=168, description="printed health code")
    clock_skew_seconds: int = Field(default=30, ge=0, le=600)
    # R6: base64 of 32 random bytes each; from the environment or var/secrets/<name> (0600).
    pii_key: str = Field(default="", repr=False, description="AES-256-GCM key, personal fields")
    lookup_key: str = Field(default="", repr=False, description="HMAC-SHA256 key, ID look-up")
    session_secret: str = Field(default="", repr=False, description="signs login sessions")
    # The web edge: the server's trust material (var/trust by default), request size limits.
    trust_dir: Path | None = Field(default=None, description="trust list, root key, revocations")
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    max_upload_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    secure_cookies: bool = Field(default=False, description="Secure cookies (behind HTTPS)")
    holder_refresh_seconds: int = Field(default=60, ge=2, le=600, description="holder page QR")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _secrets_from_files(self) -> Settings:
        # A secret not set in the environment is read from var/secrets/<name>, written 0600
        # by `jointcheck demo up`; a file others can read is refused (R6).
        for name in SECRET_NAMES:
            if getattr(self, name):
                continue
            path = self.secrets_dir / name
            if path.is_file():
                if path.stat().st_mode & 0o077:
                    raise ConfigError(
                        f"{path} is readable by others; run `chmod 600 {path}`",
                        code="CONFIG_SECRET_FILE_OPEN",
                    )
                setattr(self, name, path.read_text(encoding="ascii").strip())
        return self

    @property
    def secrets_dir(self) -> Path:
        return self.var_dir / "secrets"

    @property
    def effective_trust_dir(self) -> Path:
        return self.trust_dir if self.trust_dir is not None else self.var_dir / "trust"

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
