#!/usr/bin/env bash
# Chart checks, run by `make test` (through the lead's hook) and by hand:
#
#   charts/anchorage/tests/render.sh                # lint, render, check; fail on any error
#   charts/anchorage/tests/render.sh --update-rbac  # also regenerate config/rbac/ from the chart
#   charts/anchorage/tests/render.sh --server       # also helm install --dry-run=server ($KUBECONFIG)
#
# What it checks:
# - `helm lint` and `helm lint --strict`, for default and HA values;
# - `helm template` for default values, HA values (2 replicas, PDB, ServiceMonitor) and other
#   value sets, with assertions on what each renders;
# - values.schema.json rejects bad values, and the chart's own guards fire;
# - templated CRDs (crds.templated) render every document of crds/*.yaml, with
#   helm.sh/resource-policy: keep only when crds.keep (checked on a fixture, and on the real
#   crds/ when the generated files are there);
# - config/rbac/ is what the chart renders (plain YAML for users without Helm).
#
# Uses $HELM when set, else builds helm with scripts/tools.sh (cached after the first time).
# `cond && pass ... || fail ...` is intended: pass never fails. The header is literal text.
# shellcheck disable=SC2015,SC2016
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
chart="$(cd "$here/.." && pwd)"
repo="$(cd "$chart/../.." && pwd)"
update_rbac=false
[[ " $* " == *" --update-rbac "* ]] && update_rbac=true

HELM="${HELM:-$("$repo/scripts/tools.sh" helm)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failures=0
pass() { printf 'ok   %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*" >&2; failures=$((failures + 1)); }

# render <name> <helm template args...>: renders into $work/<name>.yaml, records failures.
render() {
    local name="$1"
    shift
    if "$HELM" template anchorage "$chart" --namespace anchorage "$@" >"$work/$name.yaml" 2>"$work/$name.err"; then
        pass "helm template ($name)"
    else
        fail "helm template ($name): $(cat "$work/$name.err")"
        return 1
    fi
}

# expect <name> <description> <extended regex>: the rendering must contain a matching line.
expect() {
    if grep -Eq -- "$3" "$work/$1.yaml"; then pass "$1: $2"; else fail "$1: $2 (no line matching /$3/)"; fi
}
# reject <name> <description> <extended regex>: no line may match.
reject() {
    if grep -Eq -- "$3" "$work/$1.yaml"; then fail "$1: $2 (found /$3/)"; else pass "$1: $2"; fi
}
# count_kind <name> <kind>: number of objects of that kind in the rendering.
count_kind() { grep -Ec "^kind: $2\$" "$work/$1.yaml" || true; }

# must_fail <description> <helm template args...>: rendering must fail (schema or guard).
must_fail() {
    local what="$1"
    shift
    if "$HELM" template anchorage "$chart" --namespace anchorage "$@" >/dev/null 2>"$work/neg.err"; then
        fail "rejects $what"
    else
        pass "rejects $what: $(grep -m1 -E "at '|execution error" "$work/neg.err" | sed -E 's/^ *(- )?//; s/.*\): //' | cut -c1-110)"
    fi
}

ha=(--set replicaCount=2 --set podDisruptionBudget.enabled=true --set prometheus.servicemonitor.enabled=true)

# --- lint -------------------------------------------------------------------------------------
for args in "" "${ha[*]}"; do
    # shellcheck disable=SC2086 # word splitting of the HA flags is intended
    if out="$("$HELM" lint "$chart" $args 2>&1)" && out2="$("$HELM" lint --strict "$chart" $args 2>&1)"; then
        pass "helm lint and lint --strict ${args:+($args)}"
    else
        fail "helm lint ${args:+($args)}: $out ${out2:-}"
    fi
done

# --- default values ---------------------------------------------------------------------------
if render default; then
    for kind in ServiceAccount ClusterRole ClusterRoleBinding Role RoleBinding Service Deployment; do
        [[ "$(count_kind default "$kind")" -ge 1 ]] && pass "default: renders a $kind" || fail "default: no $kind"
    done
    [[ "$(count_kind default ClusterRole)" -eq 3 ]] && pass "default: controller, view and edit ClusterRoles" ||
        fail "default: expected 3 ClusterRoles, got $(count_kind default ClusterRole)"
    for kind in PodDisruptionBudget ServiceMonitor CustomResourceDefinition; do
        [[ "$(count_kind default "$kind")" -eq 0 ]] && pass "default: no $kind" || fail "default: unexpected $kind"
    done
    expect default "1 replica" '^  replicas: 1$'
    expect default "image from appVersion" 'image: "ghcr.io/anchorage/anchorage:0\.1\.0"'
    expect default "controller subcommand" '^            - controller$'
    expect default "cluster resource namespace = release namespace" '- --cluster-resource-namespace=anchorage$'
    expect default "leader election on" '- --leader-elect=true$'
    expect default "lease namespace = release namespace" '- --leader-election-namespace=anchorage$'
    expect default "lease timings" '- --leader-election-lease-duration=15s$'
    expect default "renew deadline" '- --leader-election-renew-deadline=10s$'
    expect default "retry period" '- --leader-election-retry-period=2s$'
    expect default "log level" '- --log-level=info$'
    expect default "log format" '- --log-format=json$'
    expect default "metrics address" '- --metrics-listen-address=0\.0\.0\.0:9402$'
    expect default "health address" '- --health-listen-address=0\.0\.0\.0:9403$'
    reject default "auto approval left on" '--disable-auto-approval'
    reject default "all namespaces watched" '--namespace='
    expect default "POD_NAMESPACE env" 'name: POD_NAMESPACE$'
    expect default "metrics port" 'name: http-metrics$'
    expect default "health port" 'name: http-healthz$'
    expect default "liveness on /livez" 'path: /livez$'
    expect default "readiness on /readyz" 'path: /readyz$'
    expect default "runAsNonRoot" 'runAsNonRoot: true$'
    expect default "uid 65532" 'runAsUser: 65532$'
    expect default "read-only root" 'readOnlyRootFilesystem: true$'
    expect default "no privilege escalation" 'allowPrivilegeEscalation: false$'
    expect default "drop ALL" '^ +- ALL$'
    expect default "seccomp RuntimeDefault" 'type: RuntimeDefault$'
    expect default "memory limit" 'memory: 128Mi$'
    expect default "Service port 9402" '^      port: 9402$'
    expect default "aggregate-to-view" 'rbac.authorization.k8s.io/aggregate-to-view: "true"'
    expect default "cmctl renew can update certificates/status" 'resources: \["certificates/status"\]'
    # The Secret rule must not carry delete: look at the verbs line right after "secrets".
    if grep -A1 -E 'resources: \["secrets"\]' "$work/default.yaml" | grep -q delete; then
        fail "default: the controller may delete Secrets"
    else
        pass "default: the controller cannot delete Secrets"
    fi
fi

# --- HA values --------------------------------------------------------------------------------
if render ha "${ha[@]}"; then
    expect ha "2 replicas" '^  replicas: 2$'
    [[ "$(count_kind ha PodDisruptionBudget)" -eq 1 ]] && pass "ha: PodDisruptionBudget" || fail "ha: no PodDisruptionBudget"
    [[ "$(count_kind ha ServiceMonitor)" -eq 1 ]] && pass "ha: ServiceMonitor" || fail "ha: no ServiceMonitor"
    expect ha "PDB minAvailable 1" '^  minAvailable: 1$'
    expect ha "scrape interval 60s" 'interval: 60s$'
fi

# --- other value sets -------------------------------------------------------------------------
if render options \
    --set clusterResourceNamespace=cert-manager --set watchNamespace=linkerd \
    --set leaderElection.namespace=kube-system --set logLevel=debug --set logFormat=text \
    --set disableAutoApproval=true --set 'extraArgs={--backdate=1m}' \
    --set image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef \
    --set rbac.aggregateClusterRoles=false --set prometheus.enabled=false \
    --set podDisruptionBudget.enabled=true --set replicaCount=2 \
    --set-string podDisruptionBudget.maxUnavailable=50% \
    --set serviceAccount.create=false --set serviceAccount.name=existing \
    --set priorityClassName=system-cluster-critical; then
    expect options "cluster resource namespace" '- --cluster-resource-namespace=cert-manager$'
    expect options "watch namespace" '- --namespace=linkerd$'
    expect options "lease namespace" '- --leader-election-namespace=kube-system$'
    expect options "leader-election Role in the lease namespace" '^  namespace: kube-system$'
    expect options "log level" '- --log-level=debug$'
    expect options "log format" '- --log-format=text$'
    expect options "approval off" '- --disable-auto-approval$'
    expect options "extra args last" '- "--backdate=1m"$'
    expect options "image by digest" 'image: "ghcr.io/anchorage/anchorage@sha256:0123'
    expect options "existing ServiceAccount" 'serviceAccountName: existing$'
    expect options "PDB maxUnavailable" 'maxUnavailable: 50%$'
    expect options "priority class" 'priorityClassName: "system-cluster-critical"$'
    [[ "$(count_kind options ClusterRole)" -eq 1 ]] && pass "options: no aggregated ClusterRoles" || fail "options: aggregated ClusterRoles rendered"
    [[ "$(count_kind options ServiceAccount)" -eq 0 ]] && pass "options: no ServiceAccount" || fail "options: ServiceAccount rendered"
    [[ "$(count_kind options Service)" -eq 0 ]] && pass "options: no metrics Service" || fail "options: metrics Service rendered"
fi
if render no-leader-election --set leaderElection.enabled=false; then
    expect no-leader-election "flag off" '- --leader-elect=false$'
    [[ "$(count_kind no-leader-election Role)" -eq 0 ]] && pass "no-leader-election: no Role" || fail "no-leader-election: Role rendered"
fi

# --- rejected values --------------------------------------------------------------------------
must_fail "an unknown log level" --set logLevel=verbose
must_fail "an unknown log format" --set logFormat=xml
must_fail "a negative replica count" --set replicaCount=-1
must_fail "a non-integer replica count" --set-json replicaCount=1.5
must_fail "an unknown top-level key" --set replicas=2
must_fail "an unknown nested key" --set crds.install=true
must_fail "a non-boolean toggle" --set-string crds.keep=yes
must_fail "a bad duration" --set leaderElection.leaseDuration=15
must_fail "2 replicas without leader election" --set replicaCount=2 --set leaderElection.enabled=false
must_fail "a ServiceMonitor without the metrics Service" --set prometheus.servicemonitor.enabled=true --set prometheus.enabled=false
must_fail "a bad image pull policy" --set image.pullPolicy=Sometimes

# --- templated CRDs ---------------------------------------------------------------------------
# A copy of the chart with a fixture in crds/: one file with a leading separator and two
# documents, one plain file. The real crds/ is checked below when it has files.
fixture="$work/chart"
cp -r "$chart" "$fixture"
rm -f "$fixture"/crds/*.yaml
cat >"$fixture/crds/a.yaml" <<'EOF'
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
  annotations:
    existing: "kept"
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-validations:
            - rule: "self.spec.size <= 8192"
              message: "size: must be <= 8192"
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Cluster
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
EOF
cat >"$fixture/crds/b.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: sprockets.example.com
spec:
  group: example.com
  names: {kind: Sprocket, plural: sprockets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
EOF
crd_render() { # <name> <chart> <args...>
    local name="$1" dir="$2"
    shift 2
    if "$HELM" template anchorage "$dir" --namespace anchorage "$@" >"$work/$name.yaml" 2>"$work/$name.err"; then
        pass "helm template ($name)"
    else
        fail "helm template ($name): $(cat "$work/$name.err")"
    fi
}
crd_render crds-off "$fixture"
[[ "$(count_kind crds-off CustomResourceDefinition)" -eq 0 ]] && pass "crds-off: crds/ left to Helm" || fail "crds-off: CRDs templated by default"
crd_render crds-templated "$fixture" --set crds.templated=true
n="$(count_kind crds-templated CustomResourceDefinition)"
[[ "$n" -eq 3 ]] && pass "crds-templated: all 3 fixture CRDs" || fail "crds-templated: $n CRDs, want 3"
k="$(grep -c 'helm.sh/resource-policy: keep' "$work/crds-templated.yaml" || true)"
[[ "$k" -eq 3 ]] && pass "crds-templated: each kept on uninstall" || fail "crds-templated: $k keep annotations, want 3"
expect crds-templated "existing annotations preserved" 'existing: kept$'
expect crds-templated "CEL rule preserved" "rule: self.spec.size <= 8192"
expect crds-templated "chart labels added" 'app.kubernetes.io/managed-by: Helm$'
crd_render crds-no-keep "$fixture" --set crds.templated=true --set crds.keep=false
reject crds-no-keep "no keep annotation" 'helm.sh/resource-policy'
crd_render crds-disabled "$fixture" --set crds.templated=true --set crds.enabled=false
[[ "$(count_kind crds-disabled CustomResourceDefinition)" -eq 0 ]] && pass "crds-disabled: none" || fail "crds-disabled: CRDs rendered"
"$HELM" lint --strict "$fixture" --set crds.templated=true >/dev/null 2>&1 && pass "lint --strict with templated CRDs" ||
    fail "lint --strict with templated CRDs: $("$HELM" lint --strict "$fixture" --set crds.templated=true 2>&1)"

# --- NOTES.txt --------------------------------------------------------------------------------
# `helm template` skips NOTES.txt and `helm install --dry-run` needs a cluster, so render it
# through tpl in the fixture copy.
cp "$chart/templates/NOTES.txt" "$fixture/notes.txt"
cat >"$fixture/templates/zz-notes.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: notes
data:
  notes: {{ tpl (.Files.Get "notes.txt") . | quote }}
EOF
crd_render notes "$fixture" --set podDisruptionBudget.enabled=true
expect notes "NOTES point at kubectl get certificates -A" 'kubectl get certificates -A'
expect notes "NOTES warn about a PDB with one replica" 'node drains will block'
crd_render notes-ha "$fixture" "${ha[@]}"
reject notes-ha "no PDB warning with 2 replicas" 'node drains will block'
expect notes-ha "NOTES name the Lease" 'Lease anchorage-controller'

shopt -s nullglob
real_crds=("$chart"/crds/*.yaml)
if ((${#real_crds[@]} > 0)); then
    want="$(cat "${real_crds[@]}" | grep -Ec '^kind: CustomResourceDefinition$' || true)"
    if render real-crds --set crds.templated=true; then
        n="$(count_kind real-crds CustomResourceDefinition)"
        [[ "$n" -eq "$want" ]] && pass "real-crds: all $want CRDs of crds/ templated" || fail "real-crds: $n CRDs, want $want"
    fi
    if render include-crds --include-crds; then
        n="$(count_kind include-crds CustomResourceDefinition)"
        [[ "$n" -eq "$want" ]] && pass "include-crds: Helm's crds/ step has all $want" || fail "include-crds: $n CRDs, want $want"
    fi
else
    echo "skip real-crds: charts/anchorage/crds/ has no *.yaml yet (generated by make crds)"
fi

# --- config/rbac ------------------------------------------------------------------------------
# Plain YAML for users without Helm: the chart's RBAC for release "anchorage" in namespace
# "anchorage", without Helm's own labels. Split by purpose, one file each.
rbac_out="$work/rbac"
mkdir -p "$rbac_out"
header='# Generated from the Helm chart, do not edit: edit charts/anchorage and run
#   charts/anchorage/tests/render.sh --update-rbac
# which runs `helm template anchorage charts/anchorage --namespace anchorage` and keeps the RBAC
# objects, minus the labels only Helm uses. Namespace: anchorage (change it with your tooling,
# e.g. kustomize, if the controller runs elsewhere).'
if "$HELM" template anchorage "$chart" --namespace anchorage \
    --show-only templates/serviceaccount.yaml --show-only templates/rbac.yaml \
    --show-only templates/aggregate-clusterroles.yaml >"$work/rbac-all.yaml" 2>"$work/rbac.err"; then
    # Split into documents; route each by kind and template to a file.
    awk -v out="$rbac_out" '
        function flush() {
            if (doc == "") return
            if (src ~ /serviceaccount/) f = "service_account.yaml"
            else if (src ~ /aggregate/) f = "aggregate_roles.yaml"
            else if (kind == "Role" || kind == "RoleBinding") f = "leader_election_role.yaml"
            else f = "role.yaml"
            files[f] = files[f] "---\n" doc
            doc = ""; kind = ""; src = ""
        }
        /^---$/ { flush(); next }
        /^# Source: / { src = $3; next }
        /^helm\.sh\/chart: / || /^    helm\.sh\/chart: / { next }
        /^    app\.kubernetes\.io\/managed-by: / { next }
        /^kind: / { kind = $2 }
        { doc = doc $0 "\n" }
        END {
            flush()
            for (f in files) printf "%s", files[f] > (out "/" f)
        }' "$work/rbac-all.yaml"
    for f in "$rbac_out"/*.yaml; do
        { printf '%s\n' "$header"; cat "$f"; } >"$f.tmp" && mv "$f.tmp" "$f"
    done
    if $update_rbac; then
        mkdir -p "$repo/config/rbac"
        for f in "$rbac_out"/*.yaml; do cp "$f" "$repo/config/rbac/"; done
        pass "config/rbac regenerated: $(cd "$rbac_out" && echo *.yaml)"
    fi
    for f in "$rbac_out"/*.yaml; do
        name="$(basename "$f")"
        if cmp -s "$f" "$repo/config/rbac/$name"; then
            pass "config/rbac/$name matches the chart"
        else
            fail "config/rbac/$name differs from the chart; run charts/anchorage/tests/render.sh --update-rbac"
            diff -u "$repo/config/rbac/$name" "$f" >&2 || true
        fi
    done
else
    fail "helm template (rbac): $(cat "$work/rbac.err")"
fi

# --- server-side dry run (optional) -----------------------------------------------------------
# With --server (or CHART_SERVER_CHECK=1) and a reachable cluster in $KUBECONFIG, the API server
# validates every rendered object (schema, RBAC escalation rules) without creating anything.
# The ServiceMonitor is left out: it needs prometheus-operator's CRDs.
if [[ " $* " == *" --server "* || "${CHART_SERVER_CHECK:-0}" == 1 ]]; then
    for args in "" "--set replicaCount=2 --set podDisruptionBudget.enabled=true"; do
        # shellcheck disable=SC2086 # word splitting of the HA flags is intended
        if out="$("$HELM" install anchorage-check "$chart" --namespace anchorage-check --create-namespace \
            --dry-run=server $args 2>&1)"; then
            pass "helm install --dry-run=server ${args:+($args)}"
        else
            fail "helm install --dry-run=server ${args:+($args)}: $out"
        fi
    done
fi

echo
if ((failures > 0)); then
    echo "chart checks: $failures failure(s)" >&2
    exit 1
fi
echo "chart checks: all passed"
