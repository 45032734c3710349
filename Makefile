# cisflow: make demo (set up and run the whole chain on the bundled demo), make test (the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
CORES ?= all

PROFILE_HOME ?= $(or $(XDG_CONFIG_HOME),$(HOME)/.config)/snakemake

.PHONY: setup demo test bench lint demo-data clean install-profile

setup: $(VENV)/.installed
	@tools/ensure-bedtools.sh

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -e .
	touch $@

demo: setup
	$(BIN)/snakemake --cores $(CORES)

test: setup
	@tools/ensure-chromium.sh
	$(BIN)/python -m pytest -q

bench: setup
	@for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

lint: setup
	$(BIN)/snakemake --lint

demo-data: setup
	$(BIN)/python -m cisflow.demo resources/demo --seed 7

install-profile:  ## make `snakemake --profile slurm` work from any directory
	mkdir -p $(PROFILE_HOME)/slurm
	cp profiles/slurm/config.yaml $(PROFILE_HOME)/slurm/config.yaml
	@echo "installed $(PROFILE_HOME)/slurm: snakemake --profile slurm (edit its partitions and account there)"

clean:
	rm -rf results logs .snakemake resources/downloads resources/genome
