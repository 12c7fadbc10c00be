# The two commands of the README are `make lab` and `make test`; both set up .venv on first use.
#
# TensorFlow comes from a package extra chosen for this machine:
#   cpu  tensorflow-cpu      (Linux/Windows without an NVIDIA GPU: CI, most laptops)
#   gpu  tensorflow[and-cuda] (Linux with an NVIDIA driver, detected by nvidia-smi)
#   tf   tensorflow          (macOS, where the plain wheel is the CPU/Metal build)
# Override with e.g. `make test TF_EXTRA=tf`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TF_EXTRA ?= $(shell if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then echo gpu; \
                    elif [ "$$(uname -s)" = Darwin ]; then echo tf; else echo cpu; fi)
STAMP := $(VENV)/.installed-$(TF_EXTRA)
LAB_ARGS ?=
# Jupyter refuses to run as root (containers, CI) unless told; say so only when we are root.
ROOT_ARG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PYTEST_ARGS ?=
RUN_ARGS ?=

# No MPLBACKEND and no TF_CPP_MIN_LOG_LEVEL here: both would reach the Jupyter kernels, and a
# kernel must draw inline (tests/conftest.py forces Agg for the unit tests only); cvutils keeps
# TensorFlow's start-up logs out of the outputs itself (cvutils/_quiet.py).
export PYTHONHASHSEED ?= 0

.PHONY: help setup lab lab-student test unit notebooks lint format run student grade clean \
	bench gpu-check full-smoke

help:
	@echo "make lab      set up .venv (first time) and start JupyterLab on notebooks/"
	@echo "make test     set up .venv (first time), then lint, unit tests and every notebook (fast mode)"
	@echo "make run      execute every notebook headless in the current mode into build/ (ipynb + HTML)"
	@echo "make student  write the student versions (solutions removed) to build/student/"
	@echo "make lab-student  write the student versions, then start JupyterLab on build/student/"
	@echo "make grade NB=path/to/submission.ipynb   grade one submission (or NB=folder/ for all)"
	@echo "make bench    time cvutils against TensorFlow (ratios, quiet and loaded) -> benchmarks/results.json"
	@echo "make gpu-check  full-mode training of the notebooks that promise an accuracy -> RESULTS.md"
	@echo "make full-smoke  every notebook in full mode on this CPU: tiny budgets, a local mirror of the data"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[$(TF_EXTRA),test,lab]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cvutils)" >/dev/null
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(ROOT_ARG) $(LAB_ARGS)

# CVUTILS_MODE defaults to fast for the test suite; export CVUTILS_MODE=full to test full mode.
# One pytest run (its options and paths are in pyproject.toml, so a bare `pytest` is the same):
# unit tests, doctests and every notebook through nbval (`pytest --nbval-lax notebooks/`; the
# root conftest.py checks what a learner sees), two workers, one notebook per worker at a time.
# TensorFlow's oneDNN kernels are forced on for this run (TF_ENABLE_ONEDNN_OPTS=1; many CPUs
# default to on, others to off), and tests/test_onednn.py runs the TensorFlow-backed unit tests
# again with them off, so the verdict does not depend on the CPU. The seconds of the whole
# command go to build/test_time.json, which `make bench` prints.
PYTEST_XDIST := -n 2 --dist loadfile
test: export CVUTILS_MODE ?= fast
test: export TF_ENABLE_ONEDNN_OPTS ?= 1
test: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && \
	$(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS); status=$$?; \
	took=$$(( $$(date +%s) - start )); mkdir -p build; \
	printf '{"seconds": %d, "mode": "%s", "exit": %d, "when": "%s", "subset": %s}\n' \
	    "$$took" "$$CVUTILS_MODE" "$$status" "$$(date -u '+%Y-%m-%d %H:%M UTC')" \
	    $(if $(strip $(PYTEST_ARGS)),true,false) \
	    > build/test_time.json.part && mv build/test_time.json.part build/test_time.json; \
	echo "make test: $$took s, mode=$$CVUTILS_MODE, exit $$status"; exit $$status

unit: export CVUTILS_MODE ?= fast
unit: export TF_ENABLE_ONEDNN_OPTS ?= 1
unit: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_XDIST) tests cvutils $(PYTEST_ARGS)

notebooks: export CVUTILS_MODE ?= fast
notebooks: export TF_ENABLE_ONEDNN_OPTS ?= 1
notebooks: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_XDIST) notebooks $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

run: $(STAMP)
	$(BIN)/python tools/run_notebooks.py notebooks build $(RUN_ARGS)

student: $(STAMP)
	$(BIN)/python -m cvutils.grading student notebooks --out build/student

lab-student: student
	$(BIN)/jupyter lab --ServerApp.root_dir=build/student $(ROOT_ARG) $(LAB_ARGS)

# NB= a submitted .ipynb or a folder of them; GRADE_ARGS e.g. "--report report.json".
GRADE_ARGS ?=
grade: $(STAMP)
	@test -n "$(NB)" || (echo "usage: make grade NB=path/to/submission.ipynb (or a folder)" && exit 2)
	$(BIN)/python -m cvutils.grading grade $(NB) $(GRADE_ARGS)

# BENCH_ARGS e.g. "--quick" (a smoke run) or "--repeat 5 --rounds 3".
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# GPU_CHECK_ARGS e.g. "--dry-run" (CPU, fast mode, notebook 00, a temporary RESULTS file).
GPU_CHECK_ARGS ?=
gpu-check: $(STAMP)
	$(BIN)/python tools/gpu_check.py $(GPU_CHECK_ARGS)

# Full mode executed without a GPU (tools/full_smoke.py): every notebook with CVUTILS_MODE=full,
# CVUTILS_SMOKE=1 (targets reported, not asserted), a tiny CVUTILS_BUDGET each, and the online
# data sets and ImageNet weights served from a miniature mirror on 127.0.0.1 (built in a
# temporary folder, with its own checksums). SMOKE_ARGS e.g. "--only 14 17" or "--workers 2".
SMOKE_ARGS ?=
full-smoke: export TF_ENABLE_ONEDNN_OPTS ?= 1
full-smoke: $(STAMP)
	$(BIN)/python tools/full_smoke.py $(SMOKE_ARGS)

clean:
	rm -rf build .pytest_cache .ruff_cache .hypothesis
