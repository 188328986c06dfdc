"""The supervisor console: a read-only, loopback-only web view of escalation
response times, the audit trail and the dialogue flows' static safety audit.

It never shows message text or Matrix ids; participants appear by code only.
"""
