# cogwatch — build, test and run. `make help` lists the targets.
GO      ?= go
GOFLAGS ?=
BUILD   ?= build
# Lambdas: every cmd/ directory that is a Lambda function (not the CLI, the exporter, its image builder).
LAMBDAS ?= $(filter-out cogwatch cogwatch-exporter cogwatch-image,$(notdir $(wildcard cmd/*)))
LAMBDA_GOFLAGS = -tags lambda.norpc -trimpath -ldflags='-s -w'
FUZZTIME ?= 10s
STATICCHECK_VERSION ?= v0.8.2

.PHONY: help
help:
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

.PHONY: deps
deps: ## install what the local stack needs: the npm packages of local/'s lockfile (Node.js from Debian if npm is missing)
	@./local/install.sh

.PHONY: deps-test
deps-test: ## deps, plus Debian's chromium (as root) for the dashboard page's browser tests
	@./local/install.sh --browser

.PHONY: build
build: $(addsuffix /bootstrap,$(addprefix $(BUILD)/,$(LAMBDAS))) ## build every Lambda as linux/arm64 bootstrap
	@echo ">> built $(words $(LAMBDAS)) Lambdas under $(BUILD)/"

$(BUILD)/%/bootstrap: FORCE
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_GOFLAGS) -o $@ ./cmd/$*

.PHONY: FORCE
FORCE:

.PHONY: binaries
binaries: ## build the cogwatch CLI and the exporter for this machine, to build/bin/
	$(GO) build -trimpath -o $(BUILD)/bin/ ./cmd/cogwatch ./cmd/cogwatch-exporter

.PHONY: test
test: deps-test ## run every test, emulators and browser included
	@echo ">> vet"
	$(GO) vet ./...
	@echo ">> running all tests"
	$(GO) test -count=1 -timeout 30m ./...
	cd bench && $(GO) vet ./... && $(GO) test -count=1 -timeout 30m ./...

.PHONY: test-short
test-short: ## unit tests only, no emulators
	$(GO) test -short ./...

.PHONY: test-faults
test-faults: deps ## the fault-injection suite alone, with its counts (go test ./... runs it too)
	@out=$$(mktemp); $(GO) test -count=1 -v ./local/faults/ > $$out 2>&1; rc=$$?; \
	  grep -vE '^(=== |    --- PASS)' $$out; rm -f $$out; exit $$rc

# BENCHFLAGS passes flags to the harness, e.g. BENCHFLAGS=-quick (tiny bounds, to check the wiring).
BENCHFLAGS ?=

.PHONY: bench
bench: ## run the benchmarks beside their alternatives; print the report and write it to build/BENCHMARKS.md
	@./bench/setup.sh
	@mkdir -p $(BUILD)
	cd bench && $(GO) run . -out $(abspath $(BUILD))/BENCHMARKS.md $(BENCHFLAGS)
	@cat $(BUILD)/BENCHMARKS.md
	@echo ">> report written to $(BUILD)/BENCHMARKS.md (make bench-update replaces BENCHMARKS.md with it)"

.PHONY: bench-update
bench-update: bench ## make bench, then replace the tracked BENCHMARKS.md with its report
	cp $(BUILD)/BENCHMARKS.md BENCHMARKS.md

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo ">> fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

.PHONY: lint
lint: ## gofmt, go vet, go.mod tidy, staticcheck
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	cd bench && $(GO) vet ./... && $(GO) mod tidy -diff && $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

.PHONY: disposable
disposable: ## rebuild triggers/disposable's list from the email-verifier version pinned in go.mod
	$(GO) generate ./triggers/disposable

# The built binary, not `go run`: after Ctrl-C, go run exits 1 whatever the
# program does, and building first shows its progress (go build -v).
.PHONY: run
run: deps ## build the cogwatch CLI, then run the local stack with 50 simulated users for 60 s
	@echo ">> go build ./cmd/cogwatch (each package is listed as it compiles; the first build takes minutes)"
	@$(GO) build -v -o $(BUILD)/bin/cogwatch ./cmd/cogwatch
	@echo ">> $(BUILD)/bin/cogwatch local --simulate 50 --duration 60s"
	@$(BUILD)/bin/cogwatch local --simulate 50 --duration 60s

# The exporter's container image, built without Docker from an empty base (docs/exporter.md).
IMAGE           ?= $(BUILD)/cogwatch-exporter.oci.tar
IMAGE_PLATFORMS ?= linux/amd64 linux/arm64
IMAGE_VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE_REVISION  ?= $(shell git rev-parse HEAD 2>/dev/null)
# The last commit's time dates the image, so that a commit always gives the same digests.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
IMAGE_LDFLAGS = -s -w -X github.com/prometheus/common/version.Version=$(IMAGE_VERSION) \
  -X github.com/prometheus/common/version.Revision=$(IMAGE_REVISION) \
  -X github.com/prometheus/common/version.BuildDate=$(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y%m%d-%H:%M:%S 2>/dev/null)

.PHONY: image
image: ## build the exporter's OCI image (linux/amd64 and arm64) to build/cogwatch-exporter.oci.tar, without Docker
	@for p in $(IMAGE_PLATFORMS); do \
	  echo ">> cogwatch-exporter for $$p"; \
	  GOOS=$${p%%/*} GOARCH=$${p##*/} CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(IMAGE_LDFLAGS)' \
	    -o $(BUILD)/image/$$p/cogwatch-exporter ./cmd/cogwatch-exporter || exit 1; \
	done
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run ./cmd/cogwatch-image --out $(IMAGE) --version $(IMAGE_VERSION) \
	  --revision "$(IMAGE_REVISION)" $(foreach p,$(IMAGE_PLATFORMS),--binary $(p)=$(BUILD)/image/$(p)/cogwatch-exporter)

.PHONY: clean
clean:
	rm -rf $(BUILD)

# SAM's BuildMethod: makefile calls build-<LogicalId> with ARTIFACTS_DIR set.
define sam_target
.PHONY: build-$(1)
build-$(1):
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_GOFLAGS) -o $$(ARTIFACTS_DIR)/bootstrap ./cmd/$(2)
endef
$(eval $(call sam_target,PreSignUpFunction,presignup))
$(eval $(call sam_target,AuthenticationFunction,authentication))
$(eval $(call sam_target,PostConfirmationFunction,postconfirmation))
$(eval $(call sam_target,PreTokenGenerationFunction,pretokengeneration))
$(eval $(call sam_target,CustomMessageFunction,custommessage))
$(eval $(call sam_target,CloudWatchConsumerFunction,cloudwatch-consumer))
$(eval $(call sam_target,EventBridgeConsumerFunction,eventbridge-consumer))
$(eval $(call sam_target,WarmerFunction,warmer))
$(eval $(call sam_target,UserPoolDomainFunction,userpooldomain))
$(eval $(call sam_target,LogEncryptionFunction,logencryption))
$(eval $(call sam_target,ApiFunction,api))
$(eval $(call sam_target,LogForwarderFunction,log-forwarder))
$(eval $(call sam_target,UserPoolTriggersFunction,userpooltriggers))
