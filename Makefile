# HeadScope: `make test` runs the whole suite; `make setup` installs what is missing.
SWIFT ?= swift
SWIFT_FLAGS ?=

DEMO_SIZE ?= full
ifeq ($(DEMO_SIZE),small)
PIPELINE ?= pipelines/cogshapes-demo-small.yaml
else
PIPELINE ?= pipelines/cogshapes-demo.yaml
endif
NAME := $(basename $(notdir $(PIPELINE)))
RUN ?= runs/$(NAME)
BIN := .build/release

.PHONY: all setup build release test clean help prepare extract probe attribute intervene report demo bench accuracy

all: build

help:
	@echo "make setup    install missing Debian packages and the test venv (idempotent)"
	@echo "make build    debug build of every module and executable"
	@echo "make release  optimized build (used by benchmarks and long stages)"
	@echo "make test     setup, then the whole test suite"
	@echo "make prepare  stage 1 for PIPELINE=pipelines/<name>.yaml (default: the CogShapes demo)"
	@echo "make extract  stage 2 (after prepare); reruns resume"
	@echo "make probe    stage 3 (after extract): probes and functional heads"
	@echo "make intervene stage 4 (after probe): ablation, steering, hierarchy; reruns resume"
	@echo "make attribute stage 5 (after prepare): head attribution of image-to-text flow"
	@echo "make report   stage 6 (after intervene and attribute): runs/<name>/report/index.html + summary.txt"
	@echo "make demo     setup (what is missing), then every stage on the built-in model and data, then the summary;"
	@echo "              rerun after an interruption to resume. DEMO_SIZE=small for the quick one"
	@echo "make accuracy the built-in model's held-out accuracy per function, kind and skill; fails below target"
	@echo "make bench    engine vs transformers, probes vs scikit-learn, extraction vs a transformers hook loop, attribution runs/s vs transformers, as ratios (docs/benchmarks.md)"
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

# Release builds of the benched executables only; the scripts build their inputs (reference
# checkpoints, activation data, prepared CogShapes) once under .cache/bench.
bench: setup
	@bash scripts/reference-venv.sh
	$(SWIFT) build -c release --product headscope-bench $(SWIFT_FLAGS)
	@bash scripts/bench/run.sh
	$(SWIFT) build -c release --product headscope-probe $(SWIFT_FLAGS)
	@bash scripts/bench/probe.sh
	$(SWIFT) build -c release --product headscope-extract $(SWIFT_FLAGS)
	$(SWIFT) build -c release --product headscope-prepare $(SWIFT_FLAGS)
	@bash scripts/bench/extract.sh
	@SWIFT="$(SWIFT)" SWIFT_FLAGS="$(SWIFT_FLAGS)" bash scripts/bench/attribution.sh

clean:
	rm -rf .build .cache/wheels

# Pipeline stages: each target is its stage's manifest, written last, so make reruns only what
# is missing or out of date. `release` is order-only: it rebuilds the tools when sources changed
# without forcing the stages to rerun.
prepare: $(RUN)/prepared/manifest.json
extract: $(RUN)/activations/manifest.json
probe: $(RUN)/probes/manifest.json
intervene: $(RUN)/interventions/manifest.json

$(RUN)/prepared/manifest.json: $(PIPELINE) | release
	$(BIN)/headscope-prepare --config $(PIPELINE)

$(RUN)/activations/manifest.json: $(RUN)/prepared/manifest.json | release
	$(BIN)/headscope-extract --config $(PIPELINE)

$(RUN)/probes/manifest.json: $(RUN)/activations/manifest.json | release
	$(BIN)/headscope-probe --config $(PIPELINE) --activations $(RUN)/activations --output $(RUN)/probes

$(RUN)/interventions/manifest.json: $(RUN)/probes/manifest.json $(RUN)/activations/manifest.json | release
	$(BIN)/headscope-intervene --config $(PIPELINE)

# Head attribution needs only prepared/ and the model. ATTRIBUTE_FLAGS sizes the run (masks per
# image, number of images): see `headscope-attribute --help`.
ifeq ($(DEMO_SIZE),small)
ATTRIBUTE_FLAGS ?= --masks 60 --max-images 2 --split test --knockout-stride 3
else
ATTRIBUTE_FLAGS ?= --masks 240 --max-images 5 --split test --knockout-stride 2
endif
attribute: $(RUN)/attribution/manifest.json

$(RUN)/attribution/manifest.json: $(RUN)/prepared/manifest.json | release
	$(BIN)/headscope-attribute --prepared $(RUN)/prepared --output $(RUN)/attribution --model builtin $(ATTRIBUTE_FLAGS)

# The report reads every stage; it is rebuilt when the last stages' manifests change.
report: $(RUN)/report/index.html

$(RUN)/report/index.html: $(RUN)/interventions/manifest.json $(RUN)/attribution/manifest.json | release
	$(BIN)/headscope-report --config $(PIPELINE) --quiet

# The built-in model's held-out accuracy through the engine, failing below its targets
# (data/builtin-model/MODEL_CARD.md). ACCURACY_SCENES / ACCURACY_SEED size it.
accuracy: setup
	$(SWIFT) build -c release --product headscope-prepare $(SWIFT_FLAGS)
	$(SWIFT) build -c release --product headscope-extract $(SWIFT_FLAGS)
	@bash scripts/builtin-accuracy.sh

# Every stage in order (each one only if its manifest is missing or out of date), then the summary.
demo: setup report
	@cat $(RUN)/report/summary.txt
	@echo "report: $(RUN)/report/index.html"
