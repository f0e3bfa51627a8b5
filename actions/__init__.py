"""Custom actions of the front door: thin adapters from Rasa slots to ``bot`` services."""
