# Entry points. Each target installs what it needs first, so a fresh clone works.
SHELL := /bin/bash
NPM_STAMP := node_modules/.install-stamp

.PHONY: deps build test lint demo e2e e2e-real bench clean control-plane images bundle

# npm ci only when the lock file changed since the last install.
$(NPM_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NPM_STAMP)
	@bash e2e/scripts/system-deps.sh

build: deps
	npm run build --if-present

# The README's test command (CI runs it through .ci/run): type-check and the fast suite,
# then the end-to-end scenarios on the embedded control plane.
test: deps
	npm test
	$(MAKE) e2e

lint: deps
	npm run lint

demo: deps
	npx tsx e2e/src/demo/main.ts $(if $(KEEP),--keep,)

e2e: deps
	NODE_OPTIONS=--experimental-vm-modules npx jest -c jest.e2e.config.js $${JEST_REPORT_DIR:+--json --outputFile=$$JEST_REPORT_DIR/e2e.json}

e2e-real: deps
	bash e2e/real/run.sh

# Every Dockerfile built offline with buildah from host-made base images, pushed to the local
# registry (.cache/registry); digests in out/images.json. Nothing changed → no-op.
images: deps
	npx tsx e2e/src/images/main.ts

# Offline bundle for an air-gapped site: chart, images as OCI archives, mirror script.
bundle: deps
	npx tsx e2e/src/images/bundle-main.ts

bench: deps
	mkdir -p bench-out
	npx tsx e2e/src/bench/main.ts

control-plane: deps
	npx tsx e2e/src/cli/control-plane.ts --port 0 --kubeconfig out/hub.kubeconfig

clean:
	rm -rf out demo-out bench-out node_modules/.install-stamp
