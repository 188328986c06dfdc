"""samtal custom actions for the rasa-sdk action server.

Started from the project root with::

    rasa run actions --actions dialogues.actions

Modules:
    effects        build, schema-check and send effects payloads
    gateway        read the gateway's per-turn metadata
    slot_mappings  action_validate_slot_mappings (language, consented)
    consent        show the versioned consent text, record yes or no
    checkin        action_ask_<slot>, validate_checkin_form,
                   action_checkin_completed
    pause          action_pause, action_resume

Nothing here logs message text or answers; only action names.
"""
