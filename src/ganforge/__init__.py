"""ganforge: generative adversarial networks behind one interface."""
__version__ = "0.1.0"
