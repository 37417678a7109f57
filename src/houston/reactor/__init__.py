"""reactor."""
