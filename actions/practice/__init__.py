"""Practice mode: the simulated debtor a collector practises on (the practice Rasa assistant's actions)."""
