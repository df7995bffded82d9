# Two commands that work on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench demo-data clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || [ -n "$$QT_QPA_PLATFORM" ]; then \
		$(BIN)/watchfloor --demo; \
	else \
		echo "No display here: printing the demo analysis at 02:20 instead."; \
		echo "(On a desktop, 'make demo' opens the console: watchfloor --demo.)"; \
		$(BIN)/watchfloor analyze --topology resources/demo/topology.json \
			--replay resources/demo/alerts.ndjson.gz --at 2026-11-26T02:20:00Z; \
	fi

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

demo-data: $(STAMP)
	$(BIN)/python -m core.demo --out resources/demo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
