#!/usr/bin/env bash
# Builds the control-plane binaries named as `tool` lines in e2e/k8s/go.mod (kube-apiserver,
# kube-controller-manager, kubectl, etcd) and prints the directory holding them on stdout.
#
# Binaries live outside the repository, keyed by the Kubernetes version and a hash of go.mod,
# go.sum and this script, so any change to what or how we build gives a fresh directory:
#   ${ANCHORAGE_CACHE:-$HOME/.cache/anchorage}/e2e/k8s-<version>-<hash>/bin/
# A `.complete` marker is written last; a directory without it is rebuilt. Concurrent callers
# are serialised with flock, so parallel test runs build once. Progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

k8s_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' go.mod)"
[[ -n "$k8s_version" ]] || { echo "build.sh: no k8s.io/kubernetes requirement in $here/go.mod" >&2; exit 1; }
hash="$(cat go.mod go.sum build.sh | sha256sum | cut -c1-12)"
cache_root="${ANCHORAGE_CACHE:-$HOME/.cache/anchorage}/e2e"
out="$cache_root/k8s-${k8s_version}-${hash}"
bin="$out/bin"
tools=(etcd kube-apiserver kube-controller-manager kubectl)

complete() {
	[[ -f "$out/.complete" ]] || return 1
	local t
	for t in "${tools[@]}"; do [[ -x "$bin/$t" ]] || return 1; done
}

if complete; then
	echo "$bin"
	exit 0
fi

mkdir -p "$cache_root"
exec 9>"$cache_root/.k8s-${k8s_version}-${hash}.lock"
if ! flock -n 9; then
	echo "build.sh: another build of $out is running; waiting for it" >&2
	flock 9
fi
if complete; then # built by whoever held the lock
	echo "$bin"
	exit 0
fi

# Prefer the Go this repo documents (/usr/local/go) over an older one on PATH.
[[ -x /usr/local/go/bin/go ]] && export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "build.sh: go not found (need Go >= $(awk '$1=="go"{print $2}' go.mod))" >&2; exit 1; }
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"

# What hack/lib/version.sh would stamp; without it /version reports v0.0.0. The module proxy
# carries no git metadata, so gitCommit is a fixed placeholder and buildDate is the release
# time of the module version (reproducible builds).
minor="${k8s_version#v1.}"
minor="${minor%%.*}"
build_date="$(go mod download -json "k8s.io/kubernetes@${k8s_version}" |
	sed -n 's/^[[:space:]]*"Info": "\(.*\)",\{0,1\}$/\1/p' | xargs -r sed -n 's/.*"Time":"\([^"]*\)".*/\1/p')"
build_date="${build_date:-1970-01-01T00:00:00Z}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X ${pkg}.gitVersion=${k8s_version}"
	ldflags+=" -X ${pkg}.gitMajor=1"
	ldflags+=" -X ${pkg}.gitMinor=${minor}"
	ldflags+=" -X ${pkg}.gitCommit=0000000000000000000000000000000000000000"
	ldflags+=" -X ${pkg}.gitTreeState=clean"
	ldflags+=" -X ${pkg}.buildDate=${build_date}"
done

rm -rf "$out"
mkdir -p "$out/tmp"
start=$SECONDS
echo "build.sh: building etcd, kube-apiserver, kube-controller-manager and kubectl ${k8s_version} into $bin" >&2
echo "build.sh: (cold: about 8-15 min on 2 cores incl. module downloads; later runs reuse this directory)" >&2
# One `go build` for all tools so shared packages compile once. The etcd main package is
# go.etcd.io/etcd/server/v3, which go names `server`.
go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" -o "$out/tmp/" \
	go.etcd.io/etcd/server/v3 \
	k8s.io/kubernetes/cmd/kube-apiserver \
	k8s.io/kubernetes/cmd/kube-controller-manager \
	k8s.io/kubernetes/cmd/kubectl >&2
mv "$out/tmp/server" "$out/tmp/etcd"
mv "$out/tmp" "$bin"
{
	echo "k8s.io/kubernetes ${k8s_version}"
	echo "go.etcd.io/etcd/server/v3 $(awk '$1 == "go.etcd.io/etcd/server/v3" && $2 ~ /^v/ { print $2; exit }' go.mod)"
	echo "go $(go env GOVERSION)"
	echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((SECONDS - start))s"
} >"$out/BUILD-INFO"
touch "$out/.complete"
echo "build.sh: done in $((SECONDS - start))s" >&2
echo "$bin"
