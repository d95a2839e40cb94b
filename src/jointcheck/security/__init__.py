"""Security: roles scoped to the administrative tree, personal-data encryption, audit (R6)."""
