"""The bundled demo's inputs, generated: ``python -m cisflow.demo resources/demo --seed 7``."""
