"""The meaning-out market simulator: value-driven consumers (Mesa) and firms' factories (SimPy)."""

__version__ = "0.1.0"
