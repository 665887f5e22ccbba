"""The deterministic demo city (大武口区): geography, org units, users. Not used in production."""
