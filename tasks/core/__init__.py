"""Core: settings (once), periods (all month and deadline arithmetic), the reference tables."""
