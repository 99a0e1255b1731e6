# dnn-gap: two commands on a fresh clone —
#   make book    set up .venv, execute every notebook (SCALE=ci), build the book
#   make test    set up .venv, run the tests
#   make verify  recompute a sample of the committed results (what CI checks)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= ci
# Threads per PyTorch/BLAS process for the book. The ci-scale problems are
# small (5 trials, 3 in E8; m <= 1200), where one thread is as fast as two and immune
# to slow-downs when the cores are shared; raise it for paper-scale CPU runs.
THREADS ?= 1
# Notebooks executed at once by `make book` (one process each, THREADS
# threads each): 2 uses both cores of the CI machine.
JOBS ?= 2
# Seconds that `make verify` may spend, as estimated from the stored wall
# times of the units it draws (one per method kind): half of CI's 5 minutes,
# because those times were measured on other, possibly less busy, cores.
VERIFY_BUDGET ?= 150
STAMP := $(VENV)/.installed

.PHONY: setup test verify book run pdf benchmarks lock clean help

help:
	@echo "make book                       execute every notebook at SCALE=$(SCALE) and build _build/html"
	@echo "make test                       run the test suite"
	@echo "make verify                     recompute one committed unit per method kind (drawn by the commit), compare"
	@echo "make run NB=<notebook> PARAMS=\"-p name value ...\"   rerun one notebook, rebuild, e.g."
	@echo "  make run NB=e1_smooth_dnn_vs_cs PARAMS=\"-p dims '[4]' -p trials 3\""
	@echo "                                (an unknown name is an error that lists the notebook's parameters)"
	@echo "make pdf                        the book of the last make book as one PDF, _build/book.pdf"
	@echo "                                (needs Chromium: sudo apt-get install chromium)"
	@echo "make benchmarks                 run every benchmark with --quick"
	@echo "make lock                       re-pin constraints.txt from requirements.txt"

# Set-up: a virtual environment with the pinned stack (constraints.txt) and
# the library installed editable. Re-run when a pin changes.
$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

setup: $(STAMP)

test: setup
	OMP_NUM_THREADS=$(THREADS) $(BIN)/python -m pytest

# The committed results (git ls-files results): one unit of each method kind,
# drawn at random among those that fit the budget, with a seed from the
# commit, recomputed with one thread and compared (python -m dnngap verify).
verify: setup
	OMP_NUM_THREADS=1 $(BIN)/python -m dnngap verify --committed --budget $(VERIFY_BUDGET)

book: setup
	OMP_NUM_THREADS=$(THREADS) $(BIN)/python tools/build_book.py --scale $(SCALE) --jobs $(JOBS)

run: setup
	@test -n "$(NB)" || { echo "usage: make run NB=<notebook> PARAMS=\"-p name value ...\""; exit 2; }
	OMP_NUM_THREADS=$(THREADS) $(BIN)/python tools/build_book.py --scale $(SCALE) --only $(NB) $(PARAMS)

# The whole book, figures and mathematics included, as one PDF
# (_build/book.pdf), from the notebooks executed by the last `make book`:
# built as a single HTML page, printed by headless Chromium, offline.
# Needs Chromium (Debian/Ubuntu: sudo apt-get install chromium; or
# CHROMIUM=/path/to/chrome).
pdf: setup
	$(BIN)/python tools/build_book.py --pdf

benchmarks: setup
	for b in benchmarks/*.py; do $(BIN)/python $$b --quick || exit 1; done

lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt
	{ echo "# Exact versions for every install path (make, .ci/run, environment.yml)."; \
	  echo "# Regenerate with: make lock   (after changing requirements.txt)"; \
	  $(BIN)/pip freeze --exclude-editable | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; } > constraints.txt

clean:
	rm -rf _build
