# The course's two commands: `make lab` opens the course, `make test` runs every test.
# Both create the virtual environment .venv in the checkout on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NBGRADER_STAMP := $(VENV)/.installed-nbgrader
PORT ?= 8888
# JupyterLab refuses to start as root (containers, CI) unless told it may.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test test-browser test-widgets7 notebooks clean-venv

EXTRAS = test,lab
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	touch $(STAMP)

# The nbgrader extra, for the test of `release --nbgrader` only (a fresh `make test` installs it
# with the rest, in one go): its JupyterLab and server extensions are switched off, so that
# JupyterLab (the browser test's, and `make lab` after `make test`) stays the one learners get.
test: EXTRAS = test,lab,nbgrader
NBGRADER_EXTENSIONS := formgrader validate_assignment assignment_list course_list
$(NBGRADER_STAMP): $(STAMP)
	$(PY) -c "import nbgrader" 2>/dev/null || $(PY) -m pip install -q -e ".[nbgrader]"
	$(VENV)/bin/jupyter server extension disable --sys-prefix \
		$(addprefix nbgrader.server_extensions.,$(NBGRADER_EXTENSIONS)) >/dev/null 2>&1
	$(VENV)/bin/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader >/dev/null 2>&1
	touch $(NBGRADER_STAMP)

lab: $(STAMP)  ## open the course in JupyterLab (on this machine only)
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --port=$(PORT) --notebook-dir=notebooks $(LAB_ARGS)

# Every test has a time limit (pyproject.toml); a worker ended by one, or by a crash, is not
# restarted: pytest-xdist's restarts re-run the crashed file and can wait forever for it.
test: $(STAMP) $(NBGRADER_STAMP)  ## every test: ruff, unit tests, strict nbval over every notebook, the browser test, ipywidgets 7
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	CNNLESSONS_PROFILE=smoke TQDM_DISABLE=1 $(PY) -m pytest -q -n auto --maxprocesses=4 --dist loadfile \
		--max-worker-restart=0 tests notebooks --nbval --nbval-current-env
	bash tools/widgets7.sh

test-browser: $(STAMP)  ## only the JupyterLab + Chromium test (installs chromium and playwright if missing)
	bash tools/ci_browser.sh

test-widgets7: $(STAMP)  ## only the widget tests, under ipywidgets 7.7.1 (Colab's)
	bash tools/widgets7.sh

notebooks: $(STAMP)  ## re-execute the notebooks on real CIFAR-10 (cpu profile) and store the outputs [CIFAR10=local copy]
	$(PY) tools/notebooks.py build --profile cpu $(if $(CIFAR10),--data $(CIFAR10),)

clean-venv:
	rm -rf $(VENV)
