#!/usr/bin/env bash
# Starts etcd, kube-apiserver (RBAC, certificates API, service-account tokens) and
# kube-controller-manager on 127.0.0.1 with generated certificates, applies the OCM CRDs from
# the pinned api module, and writes $RUN/env (REAL_KUBECONFIG, REAL_API_URL, REAL_PKI, ...).
# Stop with stop.sh (kills only the PIDs recorded in $RUN/pids).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${REAL_CACHE:-$ROOT/.cache/real}
BIN=$CACHE/bin
RUN=${REAL_RUN:-$CACHE/run}
PKI=$RUN/pki
log() { echo "[start] $*" >&2; }

[[ -f $RUN/pids ]] && "$HERE/stop.sh"
rm -rf "$RUN" && mkdir -p "$PKI" "$RUN/logs"
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
ETCD_PORT=$(free_port)
ETCD_PEER_PORT=$(free_port)
API_PORT=$(free_port)

# --- PKI (openssl): one CA for serving and client certs, a service-account key pair -----
cd "$PKI"
openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -subj /CN=real-tier-ca -days 2 -out ca.crt
client_cert() { # name CN [O...]
  local name=$1 cn=$2 subj
  shift 2
  subj="/CN=$cn"
  for o in "$@"; do subj="$subj/O=$o"; done
  openssl ecparam -name prime256v1 -genkey -noout -out "$name.key" 2>/dev/null
  openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile <(printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature') -out "$name.crt" 2>/dev/null
}
openssl ecparam -name prime256v1 -genkey -noout -out apiserver.key 2>/dev/null
openssl req -new -key apiserver.key -subj /CN=kube-apiserver -out apiserver.csr
openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out apiserver.crt \
  -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth') 2>/dev/null
client_cert admin admin system:masters
client_cert kcm system:kube-controller-manager
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
cd - >/dev/null

kubeconfig() { # file user-cert-basename
  cat >"$1" <<EOC
apiVersion: v1
kind: Config
clusters:
- name: real
  cluster: { server: "https://127.0.0.1:$API_PORT", certificate-authority: "$PKI/ca.crt" }
users:
- name: $2
  user: { client-certificate: "$PKI/$2.crt", client-key: "$PKI/$2.key" }
contexts:
- name: real
  context: { cluster: real, user: $2 }
current-context: real
EOC
}
kubeconfig "$RUN/admin.kubeconfig" admin
kubeconfig "$RUN/kcm.kubeconfig" kcm

# --- processes -----------------------------------------------------------------------------
start_bg() { # name cmd...
  local name=$1
  shift
  "$@" >"$RUN/logs/$name.log" 2>&1 &
  echo "$name $!" >>"$RUN/pids"
}
start_bg etcd "$BIN/etcd" --data-dir "$RUN/etcd" --name real \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "real=http://127.0.0.1:$ETCD_PEER_PORT" --log-level warn
start_bg kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" \
  --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --api-audiences https://kubernetes.default.svc.cluster.local \
  --authorization-mode Node,RBAC --service-cluster-ip-range 10.96.0.0/16 \
  --allow-privileged --profiling=false --endpoint-reconciler-type none --v 1
ready=0
for _ in $(seq 1 240); do
  if curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1; then ready=1 && break; fi
  kill -0 "$(awk '/^kube-apiserver /{print $2}' "$RUN/pids")" 2>/dev/null || break
  sleep 0.5
done
if [[ $ready != 1 ]]; then
  log "kube-apiserver not ready; last log lines:"
  tail -30 "$RUN/logs/kube-apiserver.log" >&2
  tail -10 "$RUN/logs/etcd.log" >&2
  exit 1
fi
log "kube-apiserver ready on https://127.0.0.1:$API_PORT"
if [[ -x $BIN/kube-controller-manager ]]; then
  # GC, namespace deletion, service-account tokens, kubernetes.io/* CSR signing (klusterlet
  # join): what a real cluster runs besides the API server.
  start_bg kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$RUN/kcm.kubeconfig" --authentication-kubeconfig "$RUN/kcm.kubeconfig" \
    --authorization-kubeconfig "$RUN/kcm.kubeconfig" --leader-elect=false \
    --bind-address 127.0.0.1 --secure-port 0 \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --use-service-account-credentials --v 1
fi

# --- OCM CRDs from the pinned api module ---------------------------------------------------
OCM_API_DIR=$(cat "$CACHE/ocm-api-dir")
export KUBECONFIG=$RUN/admin.kubeconfig
# addon/v1beta1 holds the addon CRDs serving v1alpha1 (stored) and v1beta1, as OCM >= 1.2 installs them.
crds=(
  "$OCM_API_DIR"/cluster/v1/*.crd.yaml "$OCM_API_DIR"/cluster/v1alpha1/*.crd.yaml
  "$OCM_API_DIR"/cluster/v1beta1/*.crd.yaml "$OCM_API_DIR"/cluster/v1beta2/*.crd.yaml
  "$OCM_API_DIR"/addon/v1beta1/*.crd.yaml "$OCM_API_DIR"/addon/v1alpha1/*addontemplates.crd.yaml
  "$OCM_API_DIR"/work/v1/*.crd.yaml "$OCM_API_DIR"/work/v1alpha1/*.crd.yaml
  "$OCM_API_DIR"/operator/v1/*.crd.yaml
)
args=()
for f in "${crds[@]}"; do args+=(-f "$f"); done
kubectl apply --server-side "${args[@]}" >"$RUN/logs/crds.log"
kubectl wait --for condition=Established --timeout 60s crd --all >>"$RUN/logs/crds.log"
log "applied ${#crds[@]} OCM CRDs from $OCM_API_DIR"

cat >"$RUN/env" <<EOE
REAL_API_URL=https://127.0.0.1:$API_PORT
REAL_KUBECONFIG=$RUN/admin.kubeconfig
REAL_PKI=$PKI
REAL_BIN=$BIN
REAL_RUN=$RUN
EOE
log "env written to $RUN/env"
