"""Stratus: the OpenStack cloud of Anuket RA1, in one Python process."""

__version__ = "0.1.0"
