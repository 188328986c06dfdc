"""Dialogue safety audit: the three properties every flow must keep.

(a) no check-in question before consent_given;
(b) from every state, the withdraw intent leads to withdrawal;
(c) from every state, a risk intent leads to the safety flow and a
    risk_flag effect.

``static`` checks them over the Rasa rules, stories, forms and domain (and the
action sources, for which action emits which effect). ``driver`` checks them
against a running, trained Rasa through its HTTP API with randomised
conversations. Pure Python, no Rasa import: it runs in the gateway's
environment.
"""

from safety.flow_audit.driver import run_dynamic_audit
from safety.flow_audit.model import DynamicReport, Property, StaticReport, Violation
from safety.flow_audit.static import run_static_audit

__all__ = [
    "DynamicReport",
    "Property",
    "StaticReport",
    "Violation",
    "run_dynamic_audit",
    "run_static_audit",
]
