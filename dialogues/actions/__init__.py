"""samtal custom actions for the rasa-sdk action server.

Started from the project root with::

    rasa run actions --actions dialogues.actions

Modules:
    effects             build, schema-check and send effects payloads
    gateway             read the gateway's per-turn metadata
    content             per-language texts from data files (checkin/, resources/)
    slot_mappings       action_validate_slot_mappings (language, consent,
                        next check-in time, risk level)
    session             action_session_start (a new session keeps the metadata)
    consent             show the versioned consent text, record yes, no, withdrawal
    checkin             action_ask_<slot> for every question, action_start_checkin
    checkin_validation  validate_checkin_form
    closing             action_checkin_completed (reflection, next time, resources)
    ways_out            pause, resume, deletion, handoffs, language switch
    safety              action_flag_risk

Nothing here logs message text or answers; only action and slot names.
"""
