"""Custom actions and the collections logic behind them."""
