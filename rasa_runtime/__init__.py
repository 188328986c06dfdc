"""Runs inside .venv-rasa (Python 3.10): the Rasa launcher and its settings."""
