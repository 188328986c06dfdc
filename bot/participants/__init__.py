"""Participants from the gateway's side: opening their chat."""
