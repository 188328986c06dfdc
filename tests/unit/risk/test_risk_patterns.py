"""Pattern behaviour: negation, idioms, obfuscation, every level, and the pattern loader."""

from __future__ import annotations

from typing import Any

import pytest

from safety.risk import RiskLevel
from safety.risk.normalise import normalise
from safety.risk.patterns import PatternError, load_lexicon
from safety.risk.patterns.compiler import build_lexicon
from safety.risk.patterns.matcher import match
from safety.risk.patterns.model import last_tokens

NONE, ELEVATED, HIGH, IMMINENT = (
    RiskLevel.NONE,
    RiskLevel.ELEVATED,
    RiskLevel.HIGH,
    RiskLevel.IMMINENT,
)


def level_of(text: str, lang: str = "sv") -> RiskLevel:
    """The pattern layer's level alone; the whole screen is measured on held-out data."""
    del lang  # every language's patterns run on every message
    signals = match(load_lexicon(), normalise(text)).signals
    return max((s.level for s in signals), default=NONE)


NEGATIONS = [
    ("en", "I would never hurt her"),
    ("en", "i wouldn't ever hurt her"),
    ("en", "I don't want to hurt her, I never will"),
    ("en", "no way i'd lay a finger on her"),
    ("en", "i'm not going to kill anyone"),
    ("en", "i never followed her, i keep away"),
    ("en", "i don't know where she lives and don't want to"),
    ("sv", "jag skulle aldrig skada henne"),
    ("sv", "jag skulle aldrig, aldrig skada henne"),
    ("sv", "aldrig att jag skulle slå henne"),
    ("sv", "jag vill inte göra henne illa"),
    ("sv", "jag tänker inte fråga var hon bor"),
    ("sv", "har inte druckit på en månad"),
    ("sv", "det var länge sen jag var så arg"),
]


@pytest.mark.parametrize(("lang", "text"), NEGATIONS)
def test_negated_statements_stay_none(lang: str, text: str) -> None:
    assert level_of(text, lang) is NONE


IDIOMS = [
    ("en", "I could murder a coffee"),
    ("en", "the match killed me"),
    ("en", "just killing time before the bus"),
    ("en", "my feet are killing me lol"),
    ("en", "shoot me a text later"),
    ("en", "i'd die for my kids"),
    ("en", "dying to see the kids on saturday"),
    ("sv", "matchen tog död på mig"),
    ("sv", "jag dör av skratt"),
    ("sv", "vi dödar tiden på stationen"),
    ("sv", "jobbet tar livet av mig"),
    ("sv", "kan vi skjuta upp mötet?"),
    ("sv", "skjut mig ett sms"),
    ("sv", "filmen var mördande tråkig"),
]


@pytest.mark.parametrize(("lang", "text"), IDIOMS)
def test_idioms_stay_none(lang: str, text: str) -> None:
    assert level_of(text, lang) is NONE


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "gonna k1ll h3r"),
        ("en", "i want to h u r t her"),
        ("en", "kiiiiiill her"),
        ("en", "i'll b.e.a.t her"),
        ("en", "k\u200bill her"),
        ("sv", "ska d0da h3nne"),
        ("sv", "vill s k a d a henne"),
        ("sv", "ska döööööda henne"),
        ("sv", "ska m.ö.r.d.a henne"),
        ("sv", "jag ska SLÅ IHJÄL HENNE"),
    ],
)
def test_obfuscated_threats_escalate(lang: str, text: str) -> None:
    assert level_of(text, lang) >= HIGH


EXAMPLES = {
    NONE: [
        ("sv", "bra idag, stress 2 av 10"),
        ("en", "fine, went to group and it helped"),
        ("sv", "hon hämtade barnen, det gick lugnt"),
    ],
    ELEVATED: [
        ("sv", "har druckit varje kväll sen jag fick sparken"),
        ("en", "punched a hole in the door"),
        ("en", "so angry i can't think"),
        ("sv", "vårdnadsförhandlingen är nästa vecka, skitnervös"),
        ("sv", "jag har börjat dricka mycket igen"),
    ],
    HIGH: [
        ("en", "sometimes i picture hurting her"),
        ("sv", "jag vet var hon bor nu"),
        ("en", "called her 30 times even though there's an order"),
        ("sv", "var ligger skyddade boendet?"),
        ("en", "i had my hands round her throat"),
        ("sv", "jag vill inte leva längre"),
        ("en", "got a knife in the car just in case"),
        ("sv", "följde efter henne hem igen"),
    ],
    IMMINENT: [
        ("en", "outside her flat right now with the knife"),
        ("sv", "ska döda henne ikväll"),
        ("en", "pills are lined up, tonight's the night"),
        ("sv", "tar med mig ungarna i döden"),
        ("en", "on my way to hers now with a gun"),
        ("en", "ive taken an overdose"),
        ("sv", "jag tog för många tabletter med flit"),
        ("en", "been stockpiling my sleeping pills"),
        ("sv", "har samlat på mig sömntabletter"),
        ("sv", "sitter i garaget med motorn igång och porten stängd"),
    ],
}


@pytest.mark.parametrize(
    ("lang", "text", "level"),
    [(lang, text, level) for level, items in EXAMPLES.items() for lang, text in items],
)
def test_each_level_has_examples(lang: str, text: str, level: RiskLevel) -> None:
    assert level_of(text, lang) is level


def test_imminent_needs_a_time_place_or_means() -> None:
    assert level_of("jag ska döda henne") is HIGH
    assert level_of("jag ska döda henne ikväll") is IMMINENT
    assert level_of("i want to die", "en") is HIGH
    assert level_of("i want to die, the rope is ready", "en") is IMMINENT


def test_means_used_or_gathered_is_imminent_but_routine_and_denial_are_not() -> None:
    assert level_of("I'm saving up my tablets so I don't run out over Christmas", "en") < HIGH
    assert level_of("the mechanic had the engine running in the garage all morning", "en") < HIGH
    assert level_of("bilen stod i garaget med motorn igång för att värma upp") < HIGH
    assert level_of("i have never taken too many on purpose", "en") < HIGH
    assert level_of("jag har aldrig tagit en överdos") < HIGH


def test_languages_mix_in_one_message() -> None:
    assert level_of("asså jag ska kill her tonight", "sv") is IMMINENT


def _lang(rules: list[dict[str, Any]], **extra: object) -> dict[str, object]:
    return {"language": "xx", "negation": {"negators": ["not"]}, "rules": rules, **extra}


def test_loader_rejects_bad_files() -> None:
    rule = {"id": "r", "category": "c", "level": "high", "patterns": ["{NOPE}"]}
    with pytest.raises(PatternError, match="unknown macro"):
        build_lexicon([_lang([rule])], {})
    rule = {"id": "r", "category": "c", "level": "severe", "patterns": ["x"]}
    with pytest.raises(PatternError, match="unknown level"):
        build_lexicon([_lang([rule])], {})
    rule = {"id": "r", "category": "c", "level": "high", "patterns": ["(unclosed"]}
    with pytest.raises(PatternError):
        build_lexicon([_lang([rule])], {})


def test_a_new_language_is_just_data() -> None:
    rule = {
        "id": "hot",
        "category": "threat_to_partner",
        "level": "high",
        "patterns": ["dræbe hende"],
    }
    combos = {"combos": [{"id": "x", "all": [["threat_to_partner"], ["now"]], "level": "imminent"}]}
    cue = {"id": "now", "category": "now", "level": "none", "patterns": ["nu"]}
    lexicon = build_lexicon([_lang([rule, cue], language="da")], combos)
    assert lexicon.languages == ("da",)
    result = match(lexicon, normalise("jeg vil dræbe hende nu"))
    assert {s.category for s in result.signals} == {"threat_to_partner", "x"}
    assert match(lexicon, normalise("jeg vil not dræbe hende")).signals == ()


def test_negation_reads_the_same_clause_after_a_long_preamble() -> None:
    # The scope reads a bounded stretch before each match (so a long message costs the
    # same per match); what it decides must not change with what came far before.
    lexicon = load_lexicon()
    preamble = normalise("work was long and the van broke down again. " * 400)
    negated = match(lexicon, preamble + " " + normalise("i would never hurt her"))
    live = match(lexicon, preamble + " " + normalise("i am going to hurt her"))
    assert "threat_to_partner" in negated.negated and not negated.signals
    assert any(s.category == "threat_to_partner" for s in live.signals)


def test_the_negation_scope_reads_only_thelast_tokens() -> None:
    assert last_tokens("a b c d e f", 11, 3) == "d e f"
    assert last_tokens("a b c d e f", 6, 2) == "b c "
    assert last_tokens("a b", 3, 9) == "a b"
