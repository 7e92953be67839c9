"""Seed data shipped with the package: the default Departments and Routing tabs (YAML)."""
