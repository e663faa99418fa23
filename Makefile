# cogwatch — build, test and run. `make help` lists the targets.
GO      ?= go
GOFLAGS ?=
BUILD   ?= build
# Lambdas: every cmd/ directory that is a Lambda function (not the CLI, not the exporter).
LAMBDAS ?= $(filter-out cogwatch cogwatch-exporter,$(notdir $(wildcard cmd/*)))
LAMBDA_GOFLAGS = -tags lambda.norpc -trimpath -ldflags='-s -w'
FUZZTIME ?= 10s
STATICCHECK_VERSION ?= v0.8.2

.PHONY: help
help:
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

.PHONY: deps
deps: ## install what the tests and the local stack need (npm packages from local/'s lockfile)
	@./local/install.sh

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
test: deps ## run every test, emulators included
	@echo ">> vet"
	$(GO) vet ./...
	@echo ">> running all tests"
	$(GO) test -count=1 -timeout 30m ./...

.PHONY: test-short
test-short: ## unit tests only, no emulators
	$(GO) test -short ./...

.PHONY: test-faults
test-faults: deps ## the fault-injection suite alone, with its counts (go test ./... runs it too)
	@out=$$(mktemp); $(GO) test -count=1 -v ./internal/faults/ > $$out 2>&1; rc=$$?; \
	  grep -vE '^(=== |    --- PASS)' $$out; rm -f $$out; exit $$rc

.PHONY: bench
bench: ## run the benchmarks beside their alternatives and write BENCHMARKS.md
	@./bench/setup.sh
	$(GO) run ./bench -out BENCHMARKS.md

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

.PHONY: disposable
disposable: ## rebuild triggers/disposable's list from the email-verifier version pinned in go.mod
	$(GO) generate ./triggers/disposable

.PHONY: run
run: deps ## run the local stack with simulated users
	$(GO) run ./cmd/cogwatch local --simulate 50 --duration 60s

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
$(eval $(call sam_target,CloudWatchConsumerFunction,cloudwatch-consumer))
$(eval $(call sam_target,EventBridgeConsumerFunction,eventbridge-consumer))
$(eval $(call sam_target,WarmerFunction,warmer))
$(eval $(call sam_target,UserPoolDomainFunction,userpooldomain))
$(eval $(call sam_target,LogEncryptionFunction,logencryption))
$(eval $(call sam_target,ApiFunction,api))
$(eval $(call sam_target,UserPoolTriggersFunction,userpooltriggers))
