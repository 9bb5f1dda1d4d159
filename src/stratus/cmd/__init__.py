"""Console entry points; the only place that wires everything together."""
