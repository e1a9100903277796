"""Settings: unknown UGC_* variables are named, secrets are masked."""

import logging

import pytest
from pydantic import SecretStr

from ugc.settings import StackSettings, UgcSettings, warn_unknown_environment


class _WithSecret(UgcSettings):
    token_secret: SecretStr = SecretStr("")


def test_unknown_ugc_variable_is_warned_about_and_known_ones_are_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = {"UGC_KAFKA_PORT": "9092", "UGC_KAFAK_PORT": "1", "UGC_TEST_X": "1", "HOME": "/"}
    with caplog.at_level(logging.WARNING):
        assert warn_unknown_environment(env) == ["UGC_KAFAK_PORT"]
    assert "UGC_KAFAK_PORT" in caplog.text


def test_settings_read_their_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGC_KAFKA_PORT", "19092")
    assert StackSettings().kafka_port == 19092


def test_secrets_are_masked_when_settings_are_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGC_TOKEN_SECRET", "s3cret")
    shown = _WithSecret().masked()
    assert shown["token_secret"] == "**********"
    assert "s3cret" not in repr(shown)


def test_overridden_takes_the_given_options_and_keeps_the_rest() -> None:
    settings = StackSettings(api_port=8000, registry_port=8081)
    changed = settings.overridden(api_port=9000, registry_port=None)
    assert (changed.api_port, changed.registry_port) == (9000, 8081)
    assert settings.api_port == 8000
