# The course's two commands: `make lab` opens the course, `make test` runs every test.
# Both create the virtual environment .venv in the checkout on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8888

.PHONY: lab test notebooks release grade clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,lab]"
	touch $(STAMP)

lab: $(STAMP)  ## open the course in JupyterLab (on this machine only)
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --port=$(PORT) --notebook-dir=notebooks

test: $(STAMP)  ## every unit test and strict nbval over every notebook, in the smoke profile
	CNNLESSONS_PROFILE=smoke TQDM_DISABLE=1 $(PY) -m pytest -q tests notebooks --nbval --nbval-current-env

notebooks: $(STAMP)  ## re-execute the notebooks from their .py sources and store the outputs
	$(PY) tools/notebooks.py build

clean-venv:
	rm -rf $(VENV)
