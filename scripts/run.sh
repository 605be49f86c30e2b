#!/usr/bin/env bash
# `make run`: the product's main job on a local control plane.
#
# Starts a real kube-apiserver + etcd + kube-controller-manager (built from Go modules on first
# use, see e2e/README.md), installs the CRDs, creates the seed guide's trust anchor and webhook
# CA with `anchorage certificate create`, starts `anchorage controller`, applies
# config/samples/linkerd/ and waits until every Issuer and Certificate is Ready.
# Ctrl-C stops what it started; `make down` cleans up. ANCHORAGE_RUN_ONCE=1 exits after the
# summary instead of following the controller (used by tests and CI).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
run_dir="$repo/target/run"
export ANCHORAGE_E2E_DIR="${ANCHORAGE_E2E_DIR:-$run_dir/cluster}"
mkdir -p "$run_dir"
log() { printf 'run: %s\n' "$*" >&2; }

log "building anchorage"
(cd "$repo" && cargo build --quiet --bin anchorage)
anchorage="$repo/target/debug/anchorage"

log "starting the local control plane (the first time, this builds Kubernetes v1.36.3 from Go modules: about 8 min on 2 cores)"
"$repo/e2e/local-cluster" up
eval "$("$repo/e2e/local-cluster" env)"

controller_pid=""
cleanup() {
	if [ -n "$controller_pid" ] && kill -0 "$controller_pid" 2>/dev/null; then
		log "stopping the controller"
		kill "$controller_pid" 2>/dev/null || true
		wait "$controller_pid" 2>/dev/null || true
	fi
	if [ "${ANCHORAGE_RUN_ONCE:-}" != "1" ]; then
		log "stopping the local control plane"
		"$repo/e2e/local-cluster" down >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "installing the CRDs"
"$anchorage" crds | kubectl apply --server-side --force-conflicts -f - >/dev/null
kubectl wait --for=condition=Established --timeout=60s \
	crd/certificates.cert-manager.io crd/certificaterequests.cert-manager.io \
	crd/issuers.cert-manager.io crd/clusterissuers.cert-manager.io >/dev/null

kubectl apply -f "$repo/config/samples/linkerd/00-namespace.yaml" -f "$repo/config/samples/linkerd/10-webhook-namespaces.yaml" >/dev/null

# The seed's offline steps, with anchorage instead of step (kept across runs).
pki="$run_dir/pki"
mkdir -p "$pki"
if [ ! -f "$pki/ca.crt" ]; then
	log "creating the trust anchor (anchorage certificate create ... --profile root-ca)"
	"$anchorage" certificate create root.linkerd.cluster.local "$pki/ca.crt" "$pki/ca.key" \
		--profile root-ca --no-password --insecure --not-after 87600h
fi
if [ ! -f "$pki/webhook-ca.crt" ]; then
	log "creating the webhook CA"
	"$anchorage" certificate create webhook.linkerd.cluster.local "$pki/webhook-ca.crt" "$pki/webhook-ca.key" \
		--profile root-ca --no-password --insecure --san webhook.linkerd.cluster.local
fi
secret_tls() { # name namespace crt key
	kubectl create secret tls "$1" --cert="$3" --key="$4" -n "$2" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
}
secret_tls linkerd-trust-anchor linkerd "$pki/ca.crt" "$pki/ca.key"
for ns in linkerd linkerd-viz linkerd-jaeger; do
	secret_tls webhook-issuer-tls "$ns" "$pki/webhook-ca.crt" "$pki/webhook-ca.key"
done

controller_log="$run_dir/controller.log"
log "starting anchorage controller (log: $controller_log)"
"$anchorage" controller --kubeconfig "$KUBECONFIG" --leader-elect=false \
	--cluster-resource-namespace linkerd \
	--metrics-listen-address 127.0.0.1:9402 --health-listen-address 127.0.0.1:9403 \
	>"$controller_log" 2>&1 &
controller_pid=$!

log "applying config/samples/linkerd/"
kubectl apply -f "$repo/config/samples/linkerd/" >/dev/null
if ! kubectl wait --for=condition=Ready --timeout=120s issuers --all -A >/dev/null ||
	! kubectl wait --for=condition=Ready --timeout=120s certificates --all -A >/dev/null; then
	log "not everything became Ready; the controller log follows"
	tail -50 "$controller_log" >&2
	kubectl get issuers,certificates -A >&2 || true
	exit 1
fi

echo
kubectl get issuers,certificates -A
echo
cat <<MSG
Everything is Ready. Try:
  export KUBECONFIG=$KUBECONFIG
  export PATH=$(dirname "$(command -v kubectl)"):\$PATH
  kubectl -n linkerd get secret linkerd-identity-issuer -o yaml
  kubectl -n linkerd get secret linkerd-identity-issuer -o jsonpath='{.data.tls\.crt}' | base64 -d | $anchorage certificate inspect -
  curl -s 127.0.0.1:9402/metrics | grep certmanager_certificate_expiration
Logs: controller $controller_log; control plane $ANCHORAGE_E2E_DIR/logs/
MSG
if [ "${ANCHORAGE_RUN_ONCE:-}" = "1" ]; then
	exit 0
fi
echo "The controller keeps renewing. Ctrl-C stops the controller and the control plane."
wait "$controller_pid"
