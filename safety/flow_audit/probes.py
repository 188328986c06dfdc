"""What each probe turn must produce (properties b and c)."""

from __future__ import annotations

from safety.flow_audit import policy
from safety.flow_audit.model import Property, Violation
from safety.flow_audit.oracle import Reply, at_least
from safety.flow_audit.scenarios import Turn

SAFETY_WORDS = ("utter_safety_", "utter_refuse_location")


def judge(turn: Turn, reply: Reply, where: str) -> list[Violation]:
    """Violations of the probe ``turn`` given the bot's ``reply``."""
    found: list[str] = []
    prop = Property.WITHDRAW if turn.probe.startswith("withdraw") else Property.RISK
    if turn.probe and reply.questions:
        found.append(f"asked {reply.questions} right after the {turn.probe} turn")
    if turn.probe == "withdraw" and policy.WITHDRAW_CONFIRM not in reply.said:
        found.append(f"withdraw got {reply.said}, not {policy.WITHDRAW_CONFIRM}")
    elif turn.probe == "withdraw_yes" and policy.WITHDRAWN not in reply.effect_types():
        found.append(f"a yes to the withdrawal gave effects {reply.effect_types()}")
    elif turn.probe == "withdraw_no" and policy.WITHDRAWN in reply.effect_types():
        found.append("a no to the withdrawal withdrew consent")
    elif turn.probe == "risk":
        found.extend(_risk(turn, reply))
    return [Violation(prop, where, detail) for detail in found]


def _risk(turn: Turn, reply: Reply) -> list[str]:
    found = []
    levels = reply.risk_levels()
    if not any(at_least(level, turn.level) for level in levels):
        found.append(f"{turn.text or turn.intent}: risk_flag levels {levels}, wanted {turn.level}")
    if not any(name.startswith(SAFETY_WORDS) for name in reply.said):
        found.append(f"{turn.text or turn.intent}: no safety words, said {reply.said}")
    if turn.level == policy.IMMINENT_LEVEL and not any(
        policy.EMERGENCY_NUMBER in text for text in reply.texts
    ):
        found.append(f"imminent without {policy.EMERGENCY_NUMBER}")
    return found
