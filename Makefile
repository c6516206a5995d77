# The two commands of the README. Both create the stack's virtualenv (.venv
# for the main stack) on first use and reuse it.
#   make test   install everything, then run the test suite (CPU)
#   make test-fast  the same without the slow tier (tools run as subprocesses,
#               training runs, the 1080p demo): under a minute once installed
#   make demo   install everything, make the synthetic dataset, train the tiny
#               model on it and print its YouTube-VIS AP on held-out videos;
#               then the same for the shipped demo model, and draw one
#               held-out video with it
#   make demo-model  make the shipped demo model again (hours on 2 cores:
#               image pretraining, then video training; a rerun resumes
#               from the last checkpoint of the stage it stopped in)
#   make lint   flake8, isort and yapf (setup.cfg) on the code; CI runs it
# STACK=classic runs any of them on the classic OpenMMLab stack (Python 3.10,
# torch 2.1.2, mmengine 0.10.7) in .venv-classic; docs/get_started.md.
STACK ?= main
ifeq ($(filter $(STACK),main classic),)
$(error STACK must be main or classic, got '$(STACK)')
endif
ifeq ($(STACK),main)
VENV ?= .venv
else
VENV ?= .venv-$(STACK)
endif
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
REQUIREMENTS := requirements.txt $(wildcard requirements/*.txt) \
	requirements/stacks/$(STACK).txt setup.cfg setup.py pyproject.toml \
	tools/misc/setup_env.sh

DEMO_CONFIG ?= configs/seqformer/seqformer_r18-tiny_1xb1-9000it_synthetic.py
DEMO_DATA ?= data/synthetic_vis
DEMO_WORK_DIR ?= work_dirs/demo
# The shipped demo model, its configs and its training's work folder.
DEMO_MODEL ?= checkpoints/seqformer_r18-tiny_synthetic_fp16.pth
DEMO_MODEL_CONFIG ?= configs/seqformer/seqformer_r18-tiny_1xb2-10000it_synthetic-demo-model.py
DEMO_MODEL_IMAGES_CONFIG ?= configs/seqformer/seqformer_r18-tiny_1xb2-3000it_synthetic-images.py
DEMO_MODEL_IMAGES ?= 4000
DEMO_MODEL_WORK_DIR ?= work_dirs/demo_model
DEMO_VIDEO ?= $(DEMO_DATA)/valid/JPEGImages/valid_001
# The demo's training and tests run on one thread: the tiny model gains
# almost nothing from a second one, and the printed figures then do not
# depend on the number of cores (only on the CPU's float rounding).
DEMO_THREADS ?= 1
DEMO_PY := OMP_NUM_THREADS=$(DEMO_THREADS) MKL_NUM_THREADS=$(DEMO_THREADS) $(PY)

LINT_PATHS := mmseqformer tools tests configs setup.py

.PHONY: install test test-fast lint demo demo-model clean-venv

install: $(STAMP)

$(STAMP): $(REQUIREMENTS)
	STACK=$(STACK) bash tools/misc/setup_env.sh $(VENV)
	touch $@

test: $(STAMP)
	$(PY) -m pytest tests

test-fast: $(STAMP)
	$(PY) -m pytest tests -m "not slow"

lint: $(STAMP)
	$(PY) -m flake8 $(LINT_PATHS)
	$(PY) -m isort --check-only --diff $(LINT_PATHS)
	$(PY) -m yapf --diff --recursive $(LINT_PATHS)

demo: $(STAMP)
	$(DEMO_PY) tools/dataset_converters/make_synthetic_vis.py $(DEMO_DATA) --seed 0
	$(DEMO_PY) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_WORK_DIR)
	$(DEMO_PY) tools/test.py $(DEMO_CONFIG) "$$(cat $(DEMO_WORK_DIR)/last_checkpoint)" \
		--work-dir $(DEMO_WORK_DIR)/test
	@echo "The shipped demo model ($(DEMO_MODEL)) on the same videos:"
	$(DEMO_PY) tools/test.py $(DEMO_MODEL_CONFIG) $(DEMO_MODEL) \
		--work-dir $(DEMO_WORK_DIR)/test_demo_model
	$(DEMO_PY) tools/demo/video_demo.py $(DEMO_VIDEO) $(DEMO_MODEL_CONFIG) \
		$(DEMO_MODEL) --out $(DEMO_WORK_DIR)/valid_001.mp4 --fps 4
	$(DEMO_PY) tools/demo/video_strip.py $(DEMO_VIDEO) $(DEMO_MODEL_CONFIG) \
		$(DEMO_MODEL) --out $(DEMO_WORK_DIR)/valid_001.png

demo-model: $(STAMP)
	$(DEMO_PY) tools/dataset_converters/make_synthetic_vis.py $(DEMO_DATA) --seed 0 \
		--images $(DEMO_MODEL_IMAGES)
	$(DEMO_PY) tools/train.py $(DEMO_MODEL_IMAGES_CONFIG) \
		--work-dir $(DEMO_MODEL_WORK_DIR)/images --resume
	$(DEMO_PY) tools/train.py $(DEMO_MODEL_CONFIG) \
		--work-dir $(DEMO_MODEL_WORK_DIR)/videos --resume --cfg-options \
		load_from="$$(cat $(DEMO_MODEL_WORK_DIR)/images/last_checkpoint)"
	$(DEMO_PY) tools/model_converters/publish_model.py --fp16 \
		"$$(cat $(DEMO_MODEL_WORK_DIR)/videos/last_checkpoint)" $(DEMO_MODEL)
	$(DEMO_PY) tools/test.py $(DEMO_MODEL_CONFIG) $(DEMO_MODEL) \
		--work-dir $(DEMO_MODEL_WORK_DIR)/test

clean-venv:
	rm -rf $(VENV)
