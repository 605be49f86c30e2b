#!/usr/bin/env bash
# Build the client tools the tests and `make run` use, from Go modules (there is no download
# site here, only the Go module proxy), and cache them outside the repository.
#
#   scripts/tools.sh helm     # prints the path of the helm binary
#   scripts/tools.sh cmctl    # prints the path of the cmctl binary
#   scripts/tools.sh all      # builds both, prints both paths (helm first)
#
# Cache layout: ${ANCHORAGE_CACHE:-$HOME/.cache/anchorage}/tools/<name>-<version>/<name>
# A `.complete` marker holding the build recipe is written last: an interrupted build, or one
# made with a different recipe, is redone rather than trusted. Concurrent callers (parallel
# tests, two terminals) serialise on a per-tool flock; the second caller finds the marker and
# returns at once.
#
# Only binary paths go to stdout; progress goes to stderr, so callers can do
#   HELM="$(scripts/tools.sh helm)"
set -euo pipefail

HELM_VERSION="v3.22.0"
CMCTL_VERSION="v2.5.0"

cache_root="${ANCHORAGE_CACHE:-$HOME/.cache/anchorage}/tools"

log() { printf 'tools.sh: %s\n' "$*" >&2; }

# Directory of <module>@<version> in the module cache (downloads it if needed).
module_dir() {
    GOTOOLCHAIN=local go mod download -json "$1@$2" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

# Version of <dependency> required by the go.mod in <module dir>.
required_version() {
    awk -v dep="$2" '$1 == dep { print $2; exit } $1 == "require" && $2 == dep { print $3; exit }' "$1/go.mod"
}

# build <name> <version> <module path> <package dir in the module, "." for the root> <ldflags>
build() {
    local name="$1" version="$2" module="$3" subdir="$4" ldflags="$5"
    local pkg="$module"
    [[ "$subdir" == "." ]] || pkg="$module/$subdir"
    local dir="$cache_root/$name-$version"
    local bin="$dir/$name"
    local marker="$dir/.complete"
    local recipe="go install -trimpath -ldflags '$ldflags' $pkg@$version"

    if [[ -x "$bin" && -f "$marker" && "$(head -n1 "$marker")" == "$recipe" ]]; then
        printf '%s\n' "$bin"
        return 0
    fi

    mkdir -p "$cache_root"
    local lock="$cache_root/.$name-$version.lock"
    (
        flock -x 9
        # Another process may have finished the build while we waited for the lock.
        if [[ -x "$bin" && -f "$marker" && "$(head -n1 "$marker")" == "$recipe" ]]; then
            exit 0
        fi
        rm -rf "$dir"
        mkdir -p "$dir"
        log "building $name: $recipe"
        local start=$SECONDS
        # Build into a scratch GOBIN, move the binary in place on success, marker last.
        local tmp="$dir/.gobin"
        mkdir -p "$tmp"
        export GOTOOLCHAIN=local CGO_ENABLED=0
        if ! GOBIN="$tmp" go install -trimpath -ldflags "$ldflags" "$pkg@$version"; then
            # `go install pkg@version` also asks the proxy for the module's version list (to
            # report deprecations and retractions); some proxies refuse that list while serving
            # the version itself. Build the same version from the module cache instead, as its
            # own main module with its own go.mod and go.sum (which is what go install does).
            log "go install failed; building $pkg from the downloaded $module@$version"
            local moddir
            moddir="$(module_dir "$module" "$version")"
            [[ -n "$moddir" && -d "$moddir" ]] || { log "go mod download $module@$version failed"; exit 1; }
            (cd "$moddir" && go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$tmp/$name" "./$subdir")
        fi
        [[ -f "$tmp/$name" ]] || { log "the build did not produce $tmp/$name"; exit 1; }
        mv "$tmp/$name" "$bin"
        rm -rf "$tmp"
        "$bin" --help >/dev/null 2>&1 || { log "$bin --help failed"; exit 1; }
        printf '%s\nbuilt in %ss\n' "$recipe" "$((SECONDS - start))" >"$marker"
        log "built $name $version in $((SECONDS - start))s: $bin"
    ) 9>"$lock"

    [[ -x "$bin" && -f "$marker" ]] || { log "building $name failed"; return 1; }
    printf '%s\n' "$bin"
}

need() {
    command -v go >/dev/null 2>&1 || { log "go is required (the tools are built from Go modules)"; exit 1; }
    command -v flock >/dev/null 2>&1 || { log "flock (util-linux) is required"; exit 1; }
}

helm_bin() {
    # Helm's Makefile stamps its version and the Kubernetes version its client libraries
    # target; without them `helm version` is incomplete and `helm template`/`helm lint` assume
    # Kubernetes v1.20, failing charts with a newer kubeVersion constraint.
    local moddir k8s minor
    moddir="$(module_dir helm.sh/helm/v3 "$HELM_VERSION")"
    k8s="$(required_version "$moddir" k8s.io/client-go)" # v0.MINOR.PATCH
    minor="$(cut -d. -f2 <<<"$k8s")"
    [[ "$minor" =~ ^[0-9]+$ ]] || { log "cannot read the k8s.io/client-go version from helm's go.mod"; exit 1; }
    local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
    ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
    ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1"
    ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
    ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1"
    ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
    build helm "$HELM_VERSION" helm.sh/helm/v3 cmd/helm "$ldflags"
}

cmctl_bin() {
    # The version stamps cmctl's own Makefile sets (`cmctl version` reports them).
    local ldflags="-s -w -X github.com/cert-manager/cert-manager/pkg/util.AppVersion=$CMCTL_VERSION"
    ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$CMCTL_VERSION"
    build cmctl "$CMCTL_VERSION" github.com/cert-manager/cmctl/v2 . "$ldflags"
}

case "${1:-}" in
    helm) need && helm_bin ;;
    cmctl) need && cmctl_bin ;;
    all)
        need
        helm_bin
        cmctl_bin
        ;;
    *)
        echo "usage: $0 helm|cmctl|all" >&2
        exit 2
        ;;
esac
