"""Settings: unknown UGC_* variables are named, secrets are masked."""

import logging

import pytest
from pydantic import SecretStr

from ugc.settings import (
    KafkaClientSettings,
    RegistryClientSettings,
    StackSettings,
    UgcSettings,
    warn_unknown_environment,
)


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


def test_kafka_config_is_just_the_bootstrap_for_a_plaintext_cluster() -> None:
    settings = KafkaClientSettings(kafka_bootstrap="k1:9092,k2:9092")
    assert settings.kafka_config({"log_level": 0}) == {
        "bootstrap.servers": "k1:9092,k2:9092",
        "security.protocol": "PLAINTEXT",
        "log_level": 0,
    }


def test_kafka_config_renders_sasl_and_ssl_with_the_secrets_masked_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UGC_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("UGC_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("UGC_KAFKA_SASL_USERNAME", "etl")
    monkeypatch.setenv("UGC_KAFKA_SASL_PASSWORD", "pw")
    monkeypatch.setenv("UGC_KAFKA_SSL_CA_LOCATION", "/etc/ca.pem")
    settings = KafkaClientSettings()

    config = settings.kafka_config()

    assert config == {
        "bootstrap.servers": "127.0.0.1:9092",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "etl",
        "sasl.password": "pw",
        "ssl.ca.location": "/etc/ca.pem",
    }
    assert settings.masked()["kafka_sasl_password"] == "**********"


def test_registry_client_settings_carry_the_credentials() -> None:
    settings = RegistryClientSettings(
        registry_url="http://registry:8081", registry_username="ci", registry_password="pw"
    )
    with settings.registry_client() as client:
        assert repr(client) == "RegistryClient('http://registry:8081' as 'ci')"
    assert settings.masked()["registry_password"] == "**********"


def test_the_api_and_the_registry_share_the_client_settings() -> None:
    from registry.server.settings import RegistrySettings
    from services.api.settings import ApiSettings

    assert issubclass(ApiSettings, KafkaClientSettings)
    assert issubclass(ApiSettings, RegistryClientSettings)
    assert issubclass(RegistrySettings, KafkaClientSettings)
