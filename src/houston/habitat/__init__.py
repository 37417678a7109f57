"""habitat."""
