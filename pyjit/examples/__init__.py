"""Example programs bundled with pyjit (``python -m pyjit demo`` runs ``demo``)."""
