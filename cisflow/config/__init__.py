"""The workflow's config and samples sheet: ``schema`` (validation against
cisflow/schemas/config.schema.yaml, each key's schema, defaults and range), ``samples`` (the samples
sheet) and ``settings`` (the sections as frozen dataclasses, defaults from the schema). The checks
across stages, and the config loaded as the workflow loads it, are ``cisflow.preflight``'s: it stands
above the stages it checks, this package below the stages that take its sections.

A new setting is added in one place, the schema: its key, type, range, default and description.
The section's dataclass in ``settings`` gets a field of the same name (tests/test_settings.py fails
until it does); the rule hands the section to its script as a mapping (``to_mapping``), the script
builds the section again (``from_mapping``) and its stage reads the field.
"""
