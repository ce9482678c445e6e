"""Supply-chain policies: one protocol, several implementations, chosen by name."""
