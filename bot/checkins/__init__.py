"""Scheduled check-ins: when they are due, delivering them, and their results."""
