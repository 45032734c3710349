"""The workflow's config and samples sheet: ``schema`` (validation against
cisflow/schemas/config.schema.yaml, each key's schema, defaults and range), ``samples`` (the samples
sheet), ``checks`` (cross-references, before any job), ``settings`` (the sections as frozen
dataclasses, defaults from the schema) and ``load`` (all of them, as the workflow loads its config).

A new setting is added in one place, the schema: its key, type, range, default and description.
The section's dataclass in ``settings`` gets a field of the same name (tests/test_settings.py fails
until it does); the rule hands the section to its script as a mapping (``to_mapping``), the script
builds the section again (``from_mapping``) and its stage reads the field.
"""
