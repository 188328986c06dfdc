"""The supervisor console: a web application the gateway serves on loopback,
behind a login by a one-time code sent to the staff member's desk.

It shows escalation response times and timelines, the audit trail and the
dialogue flows (their static safety audit and a picture of each), by
participant and escalation code only. A participant's own words open only
with a stated reason, which is sealed, audited and told to their mediator.

Decisions (codes, lockouts, sessions, CSRF, figures, pictures' DOT text) are
pure modules; ``web`` is the HTTP layer and ``service`` wires it to the
gateway.
"""
