"""The conda envs' pins (envs/*.yaml) as pip requirements, one a line: what `make test-envs` installs
into a second virtualenv, so the unit tests also run with the versions a cluster user's envs hold
(`--with requirements-dev.txt` adds torch, Snakemake and the test tools at the project's own pins).

Conda names that differ on PyPI are mapped; python and pip are left out, and so is pytorch: its CUDA
build is what the envs pin, the CPU build of the tested version stands in for it (the unit tests run
on CPU).
"""

import sys
from pathlib import Path

import yaml

PYPI_NAMES = {"matplotlib-base": "matplotlib"}
NOT_FROM_PYPI = {"python", "pip", "pytorch"}


def pins(env_dir):
    """{package: version} over every env file; a package pinned differently in two envs is an error."""
    found, where = {}, {}
    for path in sorted(Path(env_dir).glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text())["dependencies"]:
            specs = entry["pip"] if isinstance(entry, dict) else [entry]
            for spec in specs:
                name, version = spec.replace("==", "=").split("=")[:2]
                name = PYPI_NAMES.get(name, name)
                if name in NOT_FROM_PYPI:
                    continue
                if found.get(name, version) != version:
                    raise SystemExit(f"{path}: {name} pinned {version}, {where[name]} pins {found[name]}")
                found[name], where[name] = version, path
    return found


def tested(requirements, names):
    """The pins of ``names`` in a requirements file and the files it includes with ``-r`` (torch, and the test
    tools the envs lack)."""
    wanted = {}
    for line in Path(requirements).read_text().splitlines():
        spec = line.split("#")[0].strip()
        if spec.startswith("-r "):
            wanted.update((pin.split("==")[0], pin) for pin in tested(Path(requirements).parent / spec[3:].strip(),
                                                                         names))
        elif "==" in spec and spec.split("==")[0].split("[")[0] in names:
            wanted[spec.split("==")[0]] = spec
    return list(wanted.values())


TEST_TOOLS = ("torch", "snakemake", "pytest", "pytest-xdist", "ruff", "jsonschema", "PyYAML", "pysam", "pybedtools",
              "playwright")

if __name__ == "__main__":
    env_pins = pins(sys.argv[1])
    lines = [f"{name}=={version}" for name, version in sorted(env_pins.items())]
    if "--with" in sys.argv:  # what the envs leave out, at the versions the project's tests use
        lines += [spec for spec in tested(sys.argv[sys.argv.index("--with") + 1], TEST_TOOLS)
                  if spec.split("==")[0].split("[")[0].lower() not in {name.lower() for name in env_pins}]
    print("\n".join(lines))
