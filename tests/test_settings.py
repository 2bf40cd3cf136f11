"""Settings and credentials (shared/settings.py, shared/credentials.py)."""

from __future__ import annotations

import pytest

from conftest import AK, SK, make_context
from shared import credentials
from shared.errors import ConfigurationError
from shared.settings import Settings, SettingsSource


def load(**user_data):
    return Settings.load(SettingsSource(make_context(**user_data)))


def test_defaults_are_safe():
    settings = load(DRY_RUN=None)
    assert settings.dry_run is True and settings.max_attempts == 4 and settings.max_concurrency == 4


@pytest.mark.parametrize("name, value", [
    ("REGION", None), ("REGION", "north"), ("PROJECT_ID", "has/slash"), ("DRY_RUN", "maybe"),
    ("MAX_CONCURRENCY", "0"), ("MAX_ATTEMPTS", "eleven"), ("LOG_LEVEL", "LOUD"), ("HTTP_READ_TIMEOUT", "-1"),
])
def test_each_bad_setting_is_named(monkeypatch, name, value):
    monkeypatch.delenv("REGION", raising=False)
    with pytest.raises(ConfigurationError) as raised:
        load(**{name: value})
    assert raised.value.field == name and name in raised.value.message


def test_environment_is_the_fallback_for_user_data(monkeypatch):
    monkeypatch.setenv("MAX_CONCURRENCY", "7")
    assert load().max_concurrency == 7
    assert load(MAX_CONCURRENCY="3").max_concurrency == 3


def test_agency_keys_win_and_never_show_in_repr(monkeypatch):
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "OTHER-AK")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "OTHER-SK")
    context = make_context()
    resolved = credentials.resolve(context, SettingsSource(context))
    assert (resolved.access_key, resolved.source) == (AK, "agency")
    assert AK not in repr(resolved) and SK not in repr(resolved)


def test_half_configured_keys_are_an_error(monkeypatch):
    monkeypatch.delenv("HUAWEICLOUD_SDK_SK", raising=False)
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "ONLY-AK")
    context = make_context(agency=False)
    with pytest.raises(ConfigurationError) as raised:
        credentials.resolve(context, SettingsSource(context))
    assert raised.value.field == "HUAWEICLOUD_SDK_SK"
