"""What looks at artifacts: rule families (one module each), the registry and the engine."""
