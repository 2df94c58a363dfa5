# The two commands of README.md. Each sets up .venv from this repository's own
# files on a fresh machine (Python 3.11 with venv and pip), then does its job.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint clean

# setup.cfg declares the supported ranges; constraints.txt pins the exact
# versions the test suite is run with, and this installs those.
$(STAMP): setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,notebooks,tuner]"
	touch $(STAMP)

# The main job: train a beta-VAE on the procedural dSprites simulator
# (80-230 s of training on 2 idle cores, by CPU: README) and write runs/quickstart/
run: $(STAMP)
	$(PY) -m keras_bvae train --output-dir runs/quickstart

# The test suite (includes the notebooks at their small setting).
test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -n 2 --durations=15

LINTED := keras_bvae tests benchmarks experiments validate sweeps
# Markdown: ruff's preview mode formats the Python examples in it.
DOCS := $(wildcard *.md */*.md */*/*.md)

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/ruff format --check --preview $(DOCS)

clean:
	rm -rf $(VENV) runs
