"""Model providers. Which one is used is decided in podium.models, from the settings."""
