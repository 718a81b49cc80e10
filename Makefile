# Shortcuts for developers; README.md gives the full set-up commands.
VENV ?= .venv
PY := $(VENV)/bin

$(PY)/r1:
	python3 -m venv $(VENV)
	$(PY)/pip install -q torch==2.13.0
	$(PY)/pip install -q -e '.[dev]'

.PHONY: run test lint format bench
run: $(PY)/r1
	$(PY)/r1 pipeline run --output-dir runs/pipeline

test: $(PY)/r1
	$(PY)/pytest

lint: $(PY)/r1
	$(PY)/ruff check r1cli tests benchmarks
	$(PY)/ruff format --check r1cli tests benchmarks

format: $(PY)/r1
	$(PY)/ruff check --fix r1cli tests benchmarks
	$(PY)/ruff format r1cli tests benchmarks

bench: $(PY)/r1
	$(PY)/python benchmarks/reward_throughput.py
	$(PY)/python benchmarks/train_zero_overhead.py
	$(PY)/python benchmarks/generation_throughput.py
