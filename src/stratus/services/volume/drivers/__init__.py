"""Volume backend drivers."""
