# The two commands a newcomer types. Both install what is missing first (system packages and .venv).
.PHONY: demo test lint bootstrap notebooks

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	@bash scripts/demo.sh

test: bootstrap
	.venv/bin/pytest -q

lint:
	.venv/bin/ruff check triage tests benchmarks scripts
	.venv/bin/mypy

# Re-run the notebooks with the bundled models and keep their outputs (plots included) in the committed files.
notebooks: bootstrap
	.venv/bin/python scripts/run_notebooks.py
