# cisflow: make demo (set up and run the whole chain on the bundled demo), make test (the tests).
# make demo needs python3 (3.11+) and pip, no root and no bedtools; make test / make bench also set up
# requirements-dev.txt and the test harness (bedtools, chromium; the SLURM test starts its own cluster),
# the parts that need root skipped with a line that says so (failing instead in CI: CISFLOW_CI=1).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
CORES ?= all

PROFILE_HOME ?= $(or $(XDG_CONFIG_HOME),$(HOME)/.config)/snakemake

ENVS_VENV := .venv-envs

.PHONY: setup test-setup demo test test-envs bench device-check lint demo-data clean install-profile

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -e .
	touch $@

# What the tests and benches need beyond the demo: the test tools (requirements-dev.txt) and bedtools,
# which they compare cisflow's numpy merge against (tools/ensure-bedtools.sh: installed where root and
# apt-get allow, else those comparisons are skipped with a line that says so).
test-setup: $(VENV)/.dev-installed
	@tools/ensure-bedtools.sh

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

demo: setup
	$(BIN)/snakemake --cores $(CORES)

# The unit tests on two processes (pytest-xdist; each in its own tmp_path), then the tests that run
# the workflow or a SLURM cluster one at a time (each uses every core it is given); -rs lists each skipped
# test with its reason.
test: test-setup
	@tools/ensure-chromium.sh
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -rs -n 2 -m "not workflow and not slurm"
	$(BIN)/python -m pytest -q -rs -m "workflow or slurm"
	$(MAKE) test-envs

# The unit tests again with the versions the conda envs pin (envs/*.yaml, from PyPI; torch's CPU
# build of the tested version stands in for the envs' CUDA build): what a cluster user runs.
# Unit tests only, on two processes as in `make test` (the published figures on ../shared/data,
# checked once by `make test`, are not trained for again).
test-envs: $(ENVS_VENV)/.installed
	$(ENVS_VENV)/bin/python -m pytest -q -rs -n 2 -m "not workflow and not slurm and not real_data"

$(ENVS_VENV)/.installed: $(VENV)/.dev-installed envs/*.yaml tools/env_pins.py
	$(PYTHON) -m venv $(ENVS_VENV)
	$(ENVS_VENV)/bin/pip install --quiet --upgrade pip
	$(ENVS_VENV)/bin/pip install --quiet $$($(BIN)/python tools/env_pins.py envs --with requirements-dev.txt) -e .
	touch $@

# Each bench/bench_*.py with no argument: bench_basset_scale.py runs the Basset study on a simulated
# genome at 2% of hg19 (python bench/bench_basset_scale.py --scale 1 for hg19's size).
bench: test-setup
	@for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

# For a CUDA machine (the `device` tool; see README, "Benchmarks"): training, DDP, variant scoring and
# the differences against CPU fp32 in under 8 minutes. No setup: that machine has its own python3.
# ARGS=--smoke runs it here, on the CPU at toy sizes.
device-check:
	bench/device_check.sh $(ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/snakemake --lint
	$(BIN)/ruff check cisflow tests scripts bench tools
	$(BIN)/mypy

demo-data: setup
	$(BIN)/python -m cisflow.demo resources/demo --seed 7

install-profile:  ## make `snakemake --profile slurm` work from any directory
	mkdir -p $(PROFILE_HOME)/slurm
	cp profiles/slurm/config.yaml $(PROFILE_HOME)/slurm/config.yaml
	@echo "installed $(PROFILE_HOME)/slurm: snakemake --profile slurm (edit its partitions and account there)"

clean:
	rm -rf results logs .snakemake resources/downloads resources/genome $(ENVS_VENV)
