"""Escalation: who is paged when risk rises, when, and what happens if nobody answers.

Pure decisions only; the gateway persists records and sends the notices.
"""
