"""Messengers behind one boundary (`port.py`); only their adapters import a messenger library."""
