"""Settings that decide where personal data go and who may talk to the front door."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError


def test_conversations_are_stored_beside_a_sqlite_register_or_in_the_same_postgresql_database() -> None:
    assert Settings(database_url="sqlite:////srv/fd/cases.db").conversations_url == "sqlite:////srv/fd/cases-conversations.db"
    postgres = "postgresql://fd@db/frontdoor"
    assert Settings(database_url=postgres).conversations_url == postgres
    env = {"FRONTDOOR_DATABASE_URL": postgres, "FRONTDOOR_TRACKER_DATABASE_URL": "postgresql://fd@db2/talk"}
    assert Settings.from_env(env).conversations_url == "postgresql://fd@db2/talk"


def test_the_widgets_origins_default_to_the_demo_page_and_are_checked() -> None:
    assert Settings(web_port=8080).allowed_origins == ("http://localhost:8080", "http://127.0.0.1:8080")
    public = Settings(public_url="https://etuovi.example.fi/front", web_port=8080)
    assert public.allowed_origins[0] == "https://etuovi.example.fi"
    env = {"FRONTDOOR_WIDGET_ORIGINS": " https://www.kouvola.fi/ , https://yritys.example.fi"}
    settings = Settings.from_env(env)
    assert settings.allowed_origins == ("https://www.kouvola.fi", "https://yritys.example.fi")
    settings.check()
    with pytest.raises(SettingsError, match=r"'www\.kouvola\.fi' is not a web origin"):
        Settings.from_env({"FRONTDOOR_WIDGET_ORIGINS": "www.kouvola.fi"}).check()
    with pytest.raises(SettingsError, match="scheme and host only"):
        Settings.from_env({"FRONTDOOR_WIDGET_ORIGINS": "https://www.kouvola.fi/etuovi"}).check()


def test_secrets_stay_out_of_the_settings_repr() -> None:
    settings = Settings(action_token="act-secret", tracker_database_url="postgresql://fd:pw@db/x", rasa_token="api-secret")
    shown = repr(settings)
    assert "act-secret" not in shown and "pw@" not in shown and "api-secret" not in shown


def test_the_sentence_encoders_threads_default_to_one() -> None:
    assert Settings.from_env({}).encoder_threads == 1
    assert Settings.from_env({"FRONTDOOR_ENCODER_THREADS": "4"}).encoder_threads == 4
    assert Settings.from_env({"FRONTDOOR_ENCODER_THREADS": "0"}).encoder_threads == 1
    with pytest.raises(SettingsError, match="FRONTDOOR_ENCODER_THREADS"):
        Settings.from_env({"FRONTDOOR_ENCODER_THREADS": "many"})
