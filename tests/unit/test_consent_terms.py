"""The consent text tells the truth: what it claims follows the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from safety.consent_terms import ConsentTerms, ConsentTermsError, consent_document, render

PROJECT = Path(__file__).resolve().parents[2]
CONSENT = PROJECT / "dialogues" / "consent"
EXAMPLE = PROJECT / "samtal.example.yaml"

# What each language's text must say, whatever the configuration.
WHO_READS = {
    "sv": ("kontaktperson", "jourhavande", "handledare", "antecknat skäl", "loggas"),
    "en": ("contact person", "on call", "supervisor", "recorded reason", "logged"),
}
WAYS_OUT = {
    "sv": ("”paus”", "”människa”", "”avsluta”", "”radera”"),
    "en": ("“pause”", "“human”", "“withdraw”", "“delete”"),
}
QUOTES = {"sv": "ser det du skrev", "en": "sees what you wrote"}
NO_QUOTES = {"sv": "inte vad du skrev", "en": "not what you wrote"}
DAYS = {"sv": "{n} dagar", "en": "{n} days"}


def claims_hold(text: str, language: str, terms: ConsentTerms) -> None:
    for claim in (*WHO_READS[language], *WAYS_OUT[language]):
        assert claim in text, claim
    if terms.quote_message:
        assert QUOTES[language] in text and NO_QUOTES[language] not in text
    else:
        assert NO_QUOTES[language] in text and QUOTES[language] not in text
    if terms.retention_days > 1:
        assert DAYS[language].format(n=terms.retention_days) in text
    assert "{" not in text and "}" not in text


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("quote", [True, False])
@pytest.mark.parametrize("retention_seconds", [15.0, 86_400.0, 30 * 86_400.0, 90.5 * 86_400])
def test_the_text_says_what_the_configuration_does(
    language: str, quote: bool, retention_seconds: float
) -> None:
    terms = ConsentTerms.of(quote, retention_seconds)
    # Rounded up: "deleted at the latest N days after" stays true.
    assert terms.retention_days * 86_400 >= retention_seconds
    claims_hold(consent_document(CONSENT / "v2", language, terms), language, terms)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_text_in_force_matches_the_example_configuration(
    language: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SAMTAL_PICKLE_KEY", "SAMTAL_RASA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for name in ("rasa.token", "pickle.key"):
        (secrets / name).write_text("s" * 40)
        (secrets / name).chmod(0o600)
    config = load_config(EXAMPLE, tmp_path)
    version_dir = CONSENT / config.dialogue.consent_version
    text = consent_document(version_dir, language, config.consent_terms)
    claims_hold(text, language, config.consent_terms)
    assert f"{config.retention_seconds / 86_400:.0f}" in text


def test_an_unknown_promise_is_refused() -> None:
    with pytest.raises(ConsentTermsError):
        render("kept {forever}", {}, ConsentTerms(True, 30))
    with pytest.raises(ConsentTermsError):
        render("alerts: {page_contents}", {}, ConsentTerms(True, 30))


def test_terms_travel_through_the_dialogue_metadata_and_bad_ones_are_refused() -> None:
    terms = ConsentTerms(False, 30)
    assert ConsentTerms.from_metadata(terms.to_metadata()) == terms
    for bad in (
        None,
        {},
        {"quote_message": "no", "retention_days": 30},
        {"quote_message": True, "retention_days": 0},
        {"quote_message": True, "retention_days": True},
    ):
        assert ConsentTerms.from_metadata(bad) is None


# What a participant on Telegram must read before agreeing, in each language.
TELEGRAM_WARNING = {
    "sv": ("inte end-to-end-krypterade", "Telegrams servrar", "Matrix"),
    "en": ("not end-to-end encrypted", "Telegram's servers", "Matrix"),
}


@pytest.mark.parametrize("language", ["sv", "en"])
def test_on_telegram_the_text_says_it_is_not_end_to_end_encrypted_and_offers_matrix(
    language: str,
) -> None:
    terms = ConsentTerms(quote_message=True, retention_days=90)
    on_matrix = consent_document(CONSENT / "v2", language, terms)
    on_telegram = consent_document(CONSENT / "v2", language, terms.on("telegram"))
    for claim in TELEGRAM_WARNING[language]:
        assert claim in on_telegram, claim
        assert claim not in on_matrix, claim
    # The same promises, and the warning as a paragraph of its own at the end.
    assert on_telegram.startswith(on_matrix.rstrip("\n"))
    claims_hold(on_telegram, language, terms)
    last_paragraph = on_telegram.rstrip("\n").split("\n\n")[-1]
    assert all(claim in last_paragraph for claim in TELEGRAM_WARNING[language])


def test_the_transport_travels_to_the_dialogue_and_an_unknown_one_is_refused() -> None:
    terms = ConsentTerms(quote_message=False, retention_days=30)
    assert "transport" not in terms.to_metadata()  # Matrix, as before
    telegram = terms.on("telegram")
    assert ConsentTerms.from_metadata(telegram.to_metadata()) == telegram
    assert ConsentTerms.from_metadata({**terms.to_metadata(), "transport": "sms"}) is None
    with pytest.raises(ConsentTermsError):
        terms.on("sms")


def test_a_transport_the_text_says_nothing_of_cannot_be_shown(tmp_path: Path) -> None:
    (tmp_path / "en.md").write_text("Plain text.\n", encoding="utf-8")
    terms = ConsentTerms(quote_message=True, retention_days=1)
    assert consent_document(tmp_path, "en", terms) == "Plain text.\n"
    with pytest.raises(ConsentTermsError):
        consent_document(tmp_path, "en", terms.on("telegram"))
