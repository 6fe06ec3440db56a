"""Font folder shipped with the package (README only); an office drops licensed fonts into <home>/fonts/."""
