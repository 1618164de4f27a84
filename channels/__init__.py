"""Channel adapters: one module per platform behind one contract. No Django, nothing from bot/."""
