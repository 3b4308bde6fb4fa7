# One entry point for students, instructors and maintainers. Run `make help`.
PYTHON ?= python3
VENV   ?= .venv
# The torch build the course is tested with. CI and these machines get the CPU
# wheel lying on disk; on your own machine set TORCH=torch (or a CUDA wheel).
TORCH  ?= torch==2.13.0
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?= -n 2 --dist loadgroup

.PHONY: help lab test release autograde feedback export bench doctor clean

help:
	@echo "make lab        set up .venv if needed and open the course in JupyterLab"
	@echo "make test       set up .venv if needed and run the whole test suite"
	@echo "make release    build the student versions of all assignments"
	@echo "make autograde ASSIGNMENT=01_neurons   grade collected submissions"
	@echo "make feedback  ASSIGNMENT=01_neurons   write feedback HTML"
	@echo "make export     grades as CSV"
	@echo "make bench      reference vs PyTorch timings, MLP and CNN time to 97% on digits,"
	@echo "                40 submissions: stock nbgrader autograde vs coursekit autograde --workers 2"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=. --ServerApp.root_dir=.

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

release: $(STAMP)
	$(VENV)/bin/coursekit release

autograde: $(STAMP)
	$(VENV)/bin/coursekit autograde $(ASSIGNMENT) --workers $(or $(WORKERS),0)

feedback: $(STAMP)
	$(VENV)/bin/coursekit feedback $(ASSIGNMENT)

export: $(STAMP)
	$(VENV)/bin/coursekit export

doctor: $(STAMP)
	$(VENV)/bin/coursekit doctor

bench: $(STAMP)
	$(PY) benchmarks/bench_ops.py
	$(PY) benchmarks/bench_training.py
	$(PY) benchmarks/bench_grading.py --json benchmarks/results/grading.json

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
