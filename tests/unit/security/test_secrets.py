"""Where the keys come from (R6): the environment, or 0600 files under var/secrets."""

from __future__ import annotations

import stat

import pytest

from jointcheck.cli.demo import ensure_secrets
from jointcheck.config import SECRET_NAMES, Settings
from jointcheck.errors import ConfigError
from jointcheck.security.pii import FieldCipher, new_key_text


@pytest.fixture(autouse=True)
def no_secrets_in_env(monkeypatch):
    for name in SECRET_NAMES:
        monkeypatch.delenv(f"JOINTCHECK_{name.upper()}", raising=False)


def test_demo_key_files_are_created_once_with_owner_only_rights(tmp_path):
    var = tmp_path / "var"
    assert ensure_secrets(var) == list(SECRET_NAMES)
    for name in SECRET_NAMES:
        mode = stat.S_IMODE((var / "secrets" / name).stat().st_mode)
        assert mode == 0o600
    before = (var / "secrets" / "pii_key").read_text()
    assert ensure_secrets(var) == []
    assert (var / "secrets" / "pii_key").read_text() == before


def test_settings_read_the_key_files_and_the_keys_work(tmp_path):
    var = tmp_path / "var"
    ensure_secrets(var)
    settings = Settings(var_dir=var)
    assert settings.pii_key == (var / "secrets" / "pii_key").read_text().strip()
    cipher = FieldCipher.from_settings(settings)
    sealed = cipher.seal("王五", table="persons", column="name", row_id="1")
    assert cipher.open(sealed, table="persons", column="name", row_id="1") == "王五"
    assert settings.pii_key not in repr(settings)


def test_the_environment_wins_over_the_file(tmp_path, monkeypatch):
    var = tmp_path / "var"
    ensure_secrets(var)
    key = new_key_text()
    monkeypatch.setenv("JOINTCHECK_LOOKUP_KEY", key)
    assert Settings(var_dir=var).lookup_key == key


def test_a_key_file_others_can_read_is_refused(tmp_path):
    var = tmp_path / "var"
    ensure_secrets(var)
    (var / "secrets" / "session_secret").chmod(0o644)
    with pytest.raises(ConfigError) as caught:
        Settings(var_dir=var)
    assert caught.value.code == "CONFIG_SECRET_FILE_OPEN"


def test_without_keys_the_registry_refuses_to_start(tmp_path):
    settings = Settings(var_dir=tmp_path / "var")
    with pytest.raises(ConfigError):
        FieldCipher.from_settings(settings)
