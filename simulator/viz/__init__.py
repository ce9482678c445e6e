"""Browser view of the market (SolaraViz)."""
