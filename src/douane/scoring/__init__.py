"""How findings become a verdict: documented rules weighting now, a trained model on top."""
