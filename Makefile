# HeadScope: `make test` runs the whole suite; `make setup` installs what is missing.
SWIFT ?= swift
SWIFT_FLAGS ?=

.PHONY: all setup build release test bench clean help

all: build

help:
	@echo "make setup    install missing Debian packages and the test venv (idempotent)"
	@echo "make build    debug build of every module and executable"
	@echo "make release  optimized build (used by benchmarks and long stages)"
	@echo "make test     setup, then the whole test suite"
	@echo "make bench    engine vs transformers timings and the sgemm roof (docs/benchmarks.md)"
	@echo "make clean    remove build products (keeps runs/ and .cache/weights)"

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build $(SWIFT_FLAGS)

release: setup
	$(SWIFT) build -c release $(SWIFT_FLAGS)

test: setup
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	$(SWIFT) test --skip-build $(SWIFT_FLAGS)

# Release build of the bench executable only; the script builds the reference checkpoints once.
bench: setup
	$(SWIFT) build -c release --product headscope-bench $(SWIFT_FLAGS)
	@bash scripts/bench/run.sh

clean:
	rm -rf .build .cache/wheels
