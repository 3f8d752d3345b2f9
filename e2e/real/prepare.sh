#!/usr/bin/env bash
# Builds (or reuses) the real tier's binaries into $REAL_CACHE/bin (default .cache/real/bin):
# kube-apiserver, kube-controller-manager (kube/go.mod), helm (tools/go.mod), clusteradm
# (clusteradm/go.mod) and, unless REAL_STAGE2=0, the stage-2 OCM binaries (ocm/go.mod, whose
# api module also gives the CRDs); checks etcd (Debian etcd-server). Everything comes from the
# Go module proxy, checked against the go.sum files.
# A group is rebuilt only when its go.mod/go.sum or ldflags changed (versions.env must agree
# with the go.mod files, checked below). Build times go to
# $REAL_CACHE/build-times.txt.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${REAL_CACHE:-$ROOT/.cache/real}
BIN=$CACHE/bin
# shellcheck source=versions.env
source "$HERE/versions.env"
mkdir -p "$BIN" "$CACHE/stamps"
TIMES=$CACHE/build-times.txt
log() { echo "[prepare] $*" >&2; }

# --- versions.env must agree with the go.mod files -------------------------------------
need_version() { # dir module version
  local got
  got=$(cd "$HERE/$1" && go list -mod=readonly -m -f '{{.Version}}' "$2")
  [[ "$got" == "$3" ]] || { log "$1/go.mod has $2 $got, versions.env says $3"; exit 1; }
}
need_version kube k8s.io/kubernetes "$KUBERNETES_VERSION"
need_version kube k8s.io/apiserver "v0.${KUBERNETES_VERSION#v1.}"
need_version tools helm.sh/helm/v3 "$HELM_VERSION"
need_version ocm open-cluster-management.io/ocm "$OCM_VERSION"
need_version ocm open-cluster-management.io/api "$OCM_API_VERSION"
need_version ocm open-cluster-management.io/sdk-go "$OCM_SDK_GO_VERSION"
need_version ocm open-cluster-management.io/addon-framework "$OCM_ADDON_FRAMEWORK_VERSION"
need_version clusteradm open-cluster-management.io/clusteradm "$CLUSTERADM_VERSION"
# clusteradm's module replaces ocm (it requires v1.3.1, which the proxy refuses) by ours.
got=$(cd "$HERE/clusteradm" && go list -mod=readonly -m -f '{{with .Replace}}{{.Version}}{{end}}' open-cluster-management.io/ocm)
[[ "$got" == "$OCM_VERSION" ]] || { log "clusteradm/go.mod replaces ocm by '$got', versions.env says $OCM_VERSION"; exit 1; }

# The CRDs start.sh applies come from the api module the OCM binaries are built with.
(cd "$HERE/ocm" && go mod download open-cluster-management.io/api)
OCM_API_DIR=$(cd "$HERE/ocm" && go list -mod=readonly -m -f '{{.Dir}}' open-cluster-management.io/api)
echo "$OCM_API_DIR" >"$CACHE/ocm-api-dir"

# --- builds ------------------------------------------------------------------------------
# Version stamps as Kubernetes' hack/lib/version.sh sets them: without them the server reports
# v0.0.0-master+$Format:%H$, which kubectl cannot parse and helm's kubeVersion checks reject.
KV=${KUBERNETES_VERSION#v}
declare -A LDFLAGS
LDFLAGS[kube]=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDFLAGS[kube]+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=${KV%%.*}"
  LDFLAGS[kube]+=" -X $pkg.gitMinor=$(echo "$KV" | cut -d. -f2) -X $pkg.gitTreeState=clean"
  LDFLAGS[kube]+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
# helm's Makefile stamps its version and the Kubernetes version of its client libraries
# (default capabilities for `helm template`/`lint`); unstamped it assumes v1.20.0 and refuses
# charts with a newer kubeVersion.
CG=$(cd "$HERE/tools" && go list -mod=readonly -m -f '{{.Version}}' k8s.io/client-go)
CG_MINOR=$(echo "${CG#v}" | cut -d. -f2)
LDFLAGS[tools]="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  LDFLAGS[tools]+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$CG_MINOR"
done
build_group() { # name dir packages...
  local name=$1 dir=$2
  shift 2
  local key
  key=$( (cat "$HERE/$dir/go.mod" "$HERE/$dir/go.sum" && echo "${LDFLAGS[$name]:-}") | sha256sum | cut -c1-16)
  local stamp=$CACHE/stamps/$name
  local missing=0
  for p in "$@"; do [[ -x "$BIN/$(basename "$p")" ]] || missing=1; done
  if [[ $missing == 0 && -f $stamp && "$(cat "$stamp")" == "$key" ]]; then
    log "$name: cached ($key)"
    echo "$name cached 0s" >>"$TIMES"
    return
  fi
  log "$name: building $* (nice, this takes a while when the Go build cache is cold)"
  local t0=$SECONDS
  (cd "$HERE/$dir" && nice -n 10 go build -mod=readonly -ldflags="-s -w ${LDFLAGS[$name]:-}" -o "$BIN/" "$@")
  local dt=$((SECONDS - t0))
  echo "$name built ${dt}s $(date -u +%FT%TZ)" | tee -a "$CACHE/build-history.txt" >>"$TIMES"
  log "$name: built in ${dt}s"
  echo "$key" >"$stamp"
}
: >"$TIMES"
build_group kube kube k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
build_group tools tools helm.sh/helm/v3/cmd/helm
build_group clusteradm clusteradm open-cluster-management.io/clusteradm/cmd/clusteradm
# Stage 2's binaries (REAL_STAGE2=0 skips them and stage 2).
if [[ ${REAL_STAGE2:-1} != 0 ]]; then
  build_group ocm ocm open-cluster-management.io/ocm/cmd/registration \
    open-cluster-management.io/ocm/cmd/registration-operator open-cluster-management.io/ocm/cmd/placement \
    open-cluster-management.io/ocm/cmd/addon
fi

# --- etcd ---------------------------------------------------------------------------------
if ! command -v etcd >/dev/null || ! etcd --version | grep "etcd Version: $ETCD_VERSION" >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "installing etcd-server from Debian"
    apt-get install -y etcd-server >/dev/null || { apt-get update >/dev/null && apt-get install -y etcd-server >/dev/null; }
  fi
fi
etcd --version | sed -n 1p >&2 # sed reads it all: head would SIGPIPE etcd (pipefail)
ln -sf "$(command -v etcd)" "$BIN/etcd"
log "ready: $(ls "$BIN" | tr '\n' ' ')"
cat "$TIMES" >&2
