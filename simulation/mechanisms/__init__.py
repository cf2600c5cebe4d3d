"""The model's mechanisms, one module per family; each is a small function over the SME arrays."""
