"""Hip injection consent and information handouts: from a procedure selection to a printable PDF."""

__version__ = "0.1.0"
