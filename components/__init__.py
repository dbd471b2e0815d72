"""Custom Rasa NLU components trained by this project (no downloaded models)."""
