//! Crash safety (issue 6): SIGKILL the controller in the middle of 50 issuances, restart it,
//! and check that everything converges with consistent Secrets and bounded request history.
//! Then a benchmark-style measurement (printed, not asserted) of 50 issuances on a fresh
//! controller. Alone in its file: it is heavy and the timing is meant to be undisturbed.

// Helpers of this test file may fail the test directly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anchorage_e2e::{Cluster, wait_for};
use anchorage_pki::{PrivateKey, parse_certificates};
use base64::Engine;
use common::*;
use serde_json::Value;

const COUNT: usize = 50;

fn certificates_yaml(count: usize) -> String {
    (0..count)
        .map(|i| {
            certificate(
                &format!("c{i:02}"),
                &format!(
                    "  dnsNames: [c{i:02}.example.test]\n  duration: 24h\n  privateKey:\n    algorithm: ECDSA\n"
                ),
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

fn list(cluster: &Cluster, ns: &str, what: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["get", what, "-n", ns, "-o", "json"];
    args.extend_from_slice(extra);
    let out = cluster.kubectl(&args).unwrap_or_default();
    serde_json::from_str::<Value>(&out)
        .ok()
        .and_then(|v| v.get("items").and_then(Value::as_array).cloned())
        .unwrap_or_default()
}

/// Secret `ca-key-pair` and Issuer `ca` (Ready is checked once a controller runs).
fn ca_issuer_without_controller(cluster: &Cluster, ns: &str, dir: &std::path::Path) {
    let (crt, key) = root_ca(dir, &format!("root.{ns}.test"), &["--not-after", "8760h"]).unwrap();
    tls_secret(cluster, ns, "ca-key-pair", &crt, &key).unwrap();
    cluster
        .apply(
            Some(ns),
            "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: ca\nspec:\n  ca:\n    secretName: ca-key-pair\n",
        )
        .unwrap();
}

/// Number of Certificates with Ready=True.
fn ready_count(cluster: &Cluster, ns: &str) -> usize {
    list(cluster, ns, "certificates", &[])
        .iter()
        .filter(|c| {
            c["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
        })
        .count()
}

/// Number of issued (managed) Secrets.
fn secret_count(cluster: &Cluster, ns: &str) -> usize {
    cluster
        .kubectl(&[
            "get",
            "secrets",
            "-n",
            ns,
            "-l",
            "controller.cert-manager.io/fao=true",
            "-o",
            "name",
        ])
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .count()
}

/// CertificateRequests per Certificate name.
fn requests_per_certificate(cluster: &Cluster, ns: &str) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for cr in list(cluster, ns, "certificaterequests", &[]) {
        let owner = cr["metadata"]["annotations"]["cert-manager.io/certificate-name"]
            .as_str()
            .unwrap_or("?")
            .to_string();
        *m.entry(owner).or_insert(0) += 1;
    }
    m
}

/// Waits until all `COUNT` Certificates are Ready, tracking the request history meanwhile.
/// Returns the largest number of requests seen for one Certificate.
fn wait_all_ready(cluster: &Cluster, ns: &str, secs: u64) -> usize {
    let mut max_requests = 0;
    let mut last = 0;
    wait_for(Duration::from_secs(secs), || {
        max_requests = max_requests.max(
            requests_per_certificate(cluster, ns)
                .values()
                .copied()
                .max()
                .unwrap_or(0),
        );
        last = ready_count(cluster, ns);
        Ok(last == COUNT)
    })
    .unwrap_or_else(|e| panic!("only {last}/{COUNT} Certificates Ready: {e:#}"));
    max_requests
}

#[test]
fn sigkill_mid_issuance_then_restart_converges() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("crash").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    ca_issuer_without_controller(cluster, n, dir.path());
    // All 50 exist before the controller starts, so they are issued concurrently; a low
    // concurrency widens the window in which issuances are in flight.
    cluster.apply(Some(n), &certificates_yaml(COUNT)).unwrap();
    let mut first = Controller::start(cluster, n, &["--concurrency", "2"]).unwrap();
    // Kill as soon as the first Secrets exist, while the rest are in flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    while secret_count(cluster, n) < 2 {
        assert!(Instant::now() < deadline, "no Secret within 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    first.process.kill().unwrap();
    let at_kill = secret_count(cluster, n);
    let requests_at_kill: usize = requests_per_certificate(cluster, n).values().sum();
    println!(
        "SIGKILL with {at_kill}/{COUNT} Secrets written and {requests_at_kill} CertificateRequests"
    );
    assert!(
        at_kill < COUNT,
        "the controller finished all {COUNT} before the kill; nothing was mid-issuance"
    );
    first.assert_no_key_material();

    let restarted_at = Instant::now();
    let second = Controller::start(cluster, n, &[]).unwrap();
    let max_requests = wait_all_ready(cluster, n, 120);
    println!(
        "all {COUNT} Ready {:?} after the restart",
        restarted_at.elapsed()
    );
    assert!(
        max_requests <= 2,
        "a Certificate had {max_requests} CertificateRequests (revisionHistoryLimit 1 allows 2)"
    );
    // Pruning settles; then no Certificate keeps more than limit+1 requests.
    wait_for(Duration::from_secs(15), || {
        Ok(requests_per_certificate(cluster, n)
            .values()
            .all(|&c| c <= 2))
    })
    .unwrap();
    let per_cert = requests_per_certificate(cluster, n);
    assert_eq!(per_cert.len(), COUNT, "{per_cert:?}");

    // Every Secret is a matching, complete pair.
    let b64 = base64::engine::general_purpose::STANDARD;
    let secrets = list(
        cluster,
        n,
        "secrets",
        &["-l", "controller.cert-manager.io/fao=true"],
    );
    assert_eq!(secrets.len(), COUNT);
    for s in &secrets {
        let name = s["metadata"]["name"].as_str().unwrap_or_default();
        let entry = |k: &str| {
            b64.decode(s["data"][k].as_str().unwrap_or_default())
                .unwrap_or_default()
        };
        let (crt, key, ca) = (entry("tls.crt"), entry("tls.key"), entry("ca.crt"));
        assert!(!ca.is_empty(), "{name}: ca.crt present");
        let leaf = &parse_certificates(&crt).unwrap_or_else(|e| panic!("{name}: tls.crt: {e}"))[0];
        let key = PrivateKey::from_pem(&key).unwrap_or_else(|e| panic!("{name}: tls.key: {e}"));
        assert_eq!(
            key.public_key_der().unwrap(),
            leaf.public_key_der,
            "{name}: tls.key matches tls.crt"
        );
        let cert = s["metadata"]["annotations"]["cert-manager.io/certificate-name"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(
            leaf.dns_names,
            vec![format!("{cert}.example.test")],
            "{name}: issued for its own Certificate"
        );
    }
    second.assert_no_key_material();
    drop(second);

    // Sequentially, so the measurement is not disturbed by the crash scenario.
    bench_fifty_certificates_ready(cluster);
}

/// Benchmark-style: 50 Certificates on a fresh controller, time until all are Ready and API
/// writes per issuance. Printed, never asserted.
fn bench_fifty_certificates_ready(cluster: &'static Cluster) {
    let ns = cluster.namespace("bench50").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let ctl = Controller::start(cluster, n, &[]).unwrap();
    ca_issuer(cluster, n, dir.path()).unwrap();
    let w0 = ctl.writes().unwrap();
    let started = Instant::now();
    cluster.apply(Some(n), &certificates_yaml(COUNT)).unwrap();
    wait_all_ready(cluster, n, 120);
    let took = started.elapsed();
    // Let pruning and the last status writes land before counting.
    std::thread::sleep(Duration::from_secs(2));
    let writes = ctl.writes().unwrap() - w0;
    println!(
        "BENCH: {COUNT} Certificates Ready in {took:?} ({:.1}/s); {writes} API writes ({:.2} per issuance)",
        COUNT as f64 / took.as_secs_f64(),
        writes as f64 / COUNT as f64
    );
    ctl.assert_no_key_material();
}
