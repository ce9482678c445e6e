"""The supply side: firms, their factories and their order books."""
