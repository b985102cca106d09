# The two commands a newcomer types. Both install what is missing first (system packages and .venv).
.PHONY: demo test lint bootstrap

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	@bash scripts/demo.sh

test: bootstrap
	.venv/bin/pytest -q

lint:
	.venv/bin/ruff check triage tests benchmarks scripts
	.venv/bin/mypy
