# One entry point for students, instructors and maintainers. Run `make help`.
# The Python the venv is made from: Debian's /usr/bin/python3 when it is 3.11 or newer, since
# student code is graded as another user (coursekit/grading/isolation.py) who must be able to run it, and
# a Python under a private home (pyenv's, in /root) cannot be; else python3.
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null \
            && echo /usr/bin/python3 || echo python3)
VENV   ?= .venv
# The torch build the course is tested with (its pin in constraints.txt). CI and these machines
# get the CPU wheel lying on disk; on your own machine set TORCH=torch (PyPI's build, CUDA on
# Linux) or TORCH="torch --index-url https://download.pytorch.org/whl/cu128": its words go to pip
# as they are. With TORCH overridden, the torch line of constraints.txt is left out.
TORCH_PIN := torch==2.13.0
TORCH  ?= $(TORCH_PIN)
# The versions of everything else the course is tested with (`make lock` regenerates it);
# CONSTRAINTS= (empty) installs without pins.
CONSTRAINTS ?= constraints.txt
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?= -n 2 --dist loadgroup -m "not gpu and not book"
# `make lab`'s command line (tests/test_lab.py runs `make lab` itself). JUPYTER_PORT picks the
# port (default 8888); as root, jupyter needs --allow-root.
LAB_ARGS = --ip=127.0.0.1 --ServerApp.root_dir=. $(if $(filter 0,$(shell id -u)),--allow-root)
# `make lab`'s own Jupyter config folder, added to the others (JUPYTER_CONFIG_PATH; yours and the
# venv's still count): tools/jupyter/labconfig/page_config.json turns off nbgrader's Validate toolbar
# button, which its Lab extension puts on every notebook, lectures included (students validate an
# assignment in the Assignments panel instead). nbgrader's student side is the root nbgrader_config.py (README).
LAB_CONFIG_PATH = $(CURDIR)/tools/jupyter$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))

# the constraints pip gets: constraints.txt, less its torch pin when TORCH is not the pinned one
NO_TORCH_PIN := $(VENV)/constraints-without-torch.txt
PIP_CONSTRAINTS = $(if $(CONSTRAINTS),-c $(if $(filter $(TORCH_PIN),$(TORCH)),$(CONSTRAINTS),$(NO_TORCH_PIN)))

.PHONY: help lab hub test test-gpu sysdeps lock release autograde feedback export bench doctor clean \
        book serve-book test-book

help:
	@echo "make lab        set up .venv if needed and open the course in JupyterLab; menu Nbgrader >"
	@echo "                Assignment List fetches assignments and feedback into student/"
	@echo "make test       install the system packages the tests need (tools/sysdeps), set up .venv"
	@echo "                if needed and run the whole test suite but the GPU tests"
	@echo "make book       build the course website into book/_build/html (every lecture executed, cached"
	@echo "                in book/_build/jupyter_cache: a rebuild re-runs only the notebooks that changed)"
	@echo "make serve-book serve book/_build/html on http://127.0.0.1:$${BOOK_PORT:-8000} (make book first)"
	@echo "make test-book  make book, then its tests in headless Chromium (pytest -m book)"
	@echo "make test-gpu   the GPU tests (pytest -m gpu) on CUDA; fails when torch sees no CUDA device"
	@echo "make hub        a JupyterHub for the class on this machine, as root (HUB_ARGS: coursekit hub's options;"
	@echo "                README: Run it for a class)"
	@echo "make lock       re-resolve every dependency in a fresh venv and rewrite constraints.txt"
	@echo "make release    build the student versions of all assignments"
	@echo "make autograde ASSIGNMENT=01_neurons   grade collected submissions"
	@echo "make feedback  ASSIGNMENT=01_neurons   write feedback HTML and release it to the exchange"
	@echo "                (students fetch it in JupyterLab's Assignments panel)"
	@echo "make export     grades as CSV (FORMAT=canvas or moodle: for import into that LMS)"
	@echo "make bench      reference vs PyTorch timings, MLP and CNN time to 97% on digits,"
	@echo "                40 submissions: stock nbgrader autograde vs coursekit autograde --workers 2,"
	@echo "                submit to feedback on the class hub (1, then 40 at once; as root)"

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(if $(CONSTRAINTS),$(if $(filter $(TORCH_PIN),$(TORCH)),,grep -v '^torch==' $(CONSTRAINTS) > $(NO_TORCH_PIN)))
	$(PY) -m pip install --quiet $(TORCH) $(PIP_CONSTRAINTS)
	$(PY) -m pip install --quiet -e ".[dev]" $(PIP_CONSTRAINTS)
	touch $(STAMP)

lab: export JUPYTER_CONFIG_PATH := $(LAB_CONFIG_PATH)
lab: $(STAMP)
	$(VENV)/bin/jupyter lab $(LAB_ARGS)

# the class hub's proxy, from the npm registry, into the venv (coursekit.hub.setup.proxy_command finds it)
PROXY := $(VENV)/node/node_modules/.bin/configurable-http-proxy
$(PROXY): | $(STAMP)
	npm install --prefix $(VENV)/node --no-audit --no-fund --loglevel=error configurable-http-proxy@5.3.0

hub: $(STAMP) $(PROXY)
	$(VENV)/bin/coursekit hub $(HUB_ARGS)

# The course website (book/build.py, book/conf.py): Sphinx + myst-nb. The ipywidgets embed scripts come
# from the npm registry, like the proxy above, into the venv; book/build.py copies them into the site.
BOOK_JS := $(VENV)/node-book/node_modules/@jupyter-widgets/html-manager/dist/embed-amd.js
$(BOOK_JS): | $(STAMP)
	npm install --prefix $(VENV)/node-book --no-audit --no-fund --loglevel=error \
	  @jupyter-widgets/html-manager@1.0.15 requirejs@2.3.8

book: $(STAMP) $(BOOK_JS)
	$(PY) book/build.py --js $(VENV)/node-book/node_modules

serve-book:
	@test -f book/_build/html/index.html || { echo "no book/_build/html yet: run make book"; exit 1; }
	$(PY) -m http.server $(or $(BOOK_PORT),8000) --bind 127.0.0.1 --directory book/_build/html

test-book: sysdeps book
	BOOK_JS=$(VENV)/node-book/node_modules $(PY) -m pytest -m book -p no:cacheprovider tests/test_book.py

sysdeps:
	@bash tools/sysdeps

test: sysdeps $(STAMP) $(PROXY)
	$(PY) -m pytest $(PYTEST_ARGS)

test-gpu: $(STAMP)
	@$(PY) -c "$$CUDA_CHECK"
	COURSEKIT_DEVICE=cuda $(PY) -m pytest -m gpu -p no:cacheprovider tests

# one line and exit 1 when torch sees no CUDA device
define CUDA_CHECK
import os, sys
try:
    import torch
    ok = torch.cuda.is_available()
    why = (f"torch {torch.__version__}, " + ("a CPU-only build" if torch.version.cuda is None else
           f"built for CUDA {torch.version.cuda}, CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')}"))
except Exception as e:
    ok, why = False, f"import torch failed: {type(e).__name__}: {e}"
if not ok:
    sys.exit(f"make test-gpu: no CUDA device visible to torch ({why}); nothing was run")
endef
export CUDA_CHECK

# A fresh resolve of pyproject.toml's dependencies (and the pinned torch) in a throw-away venv,
# frozen into constraints.txt. Then `make test` installs it; commit constraints.txt if it passes.
lock:
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip; \
	"$$tmp/venv/bin/python" -m pip install --quiet $(TORCH_PIN); \
	"$$tmp/venv/bin/python" -m pip install --quiet -e ".[dev]"; \
	{ echo "# The versions the course is tested with: the Makefile installs with pip's -c constraints.txt."; \
	  echo "# Resolved on Python $$("$$tmp/venv/bin/python" -c 'import platform; print(platform.python_version(), platform.system(), platform.machine())'). Regenerate with \`make lock\` (README)."; \
	  "$$tmp/venv/bin/python" -m pip freeze --exclude-editable | grep -v -i '^coursekit[=@ ]' \
	    | sed -E 's/^torch==([^+]*)\+.*/torch==\1/'; } > "$$tmp/constraints.txt"; \
	mv "$$tmp/constraints.txt" constraints.txt
	@echo "constraints.txt rewritten: now make test, then commit it"

release: $(STAMP)
	$(VENV)/bin/coursekit release

autograde: $(STAMP)
	$(VENV)/bin/coursekit autograde $(ASSIGNMENT) --workers $(or $(WORKERS),0)

feedback: $(STAMP)
	$(VENV)/bin/coursekit feedback $(ASSIGNMENT) --release

export: $(STAMP)
	$(VENV)/bin/coursekit export --format $(or $(FORMAT),csv)

doctor: $(STAMP)
	$(VENV)/bin/coursekit doctor

bench: $(STAMP)
	mkdir -p benchmarks/results
	$(PY) benchmarks/bench_ops.py
	$(PY) benchmarks/bench_training.py --lectures
	$(PY) benchmarks/bench_mistakes.py --json benchmarks/results/mistakes.json
	$(PY) benchmarks/bench_grading.py --json benchmarks/results/grading.json
	$(PY) benchmarks/bench_cost.py --json benchmarks/results/cost.json
	$(if $(filter 0,$(shell id -u)),$(PY) benchmarks/bench_hub.py --json benchmarks/results/hub.json,\
	  @echo "bench_hub.py left out: the class hub makes OS users, run make bench as root")

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
