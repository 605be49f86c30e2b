//! Operations surface (issues 6 and 7): Prometheus metrics with cert-manager's names, labels and
//! values; the /livez and /readyz probes; and the real `cmctl` (v2.5.0, built by
//! `scripts/tools.sh cmctl`) reading status from and triggering renewal through our
//! controller. Each test has its own namespace and a namespace-scoped controller.

// Helpers of this test file may fail the test directly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use anchorage_e2e::{Cluster, wait_for, workspace_root};
use common::*;

/// HTTP status code of GET http://127.0.0.1:port/path.
fn http_code(port: u16, path: &str) -> String {
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "5",
            &format!("http://127.0.0.1:{port}{path}"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn cert_labels(name: &str, ns: &str, issuer: &str) -> Vec<String> {
    vec![
        format!("name=\"{name}\""),
        format!("namespace=\"{ns}\""),
        format!("issuer_name=\"{issuer}\""),
        "issuer_kind=\"Issuer\"".to_string(),
        "issuer_group=\"cert-manager.io\"".to_string(),
    ]
}

fn metric(metrics: &str, name: &str, labels: &[String]) -> f64 {
    let needles: Vec<&str> = labels.iter().map(String::as_str).collect();
    metric_value(metrics, name, &needles)
        .unwrap_or_else(|| panic!("no series {name} with {labels:?} in:\n{metrics}"))
}

fn status_epoch(cluster: &Cluster, ns: &str, name: &str, field: &str) -> f64 {
    epoch(
        &jsonpath(
            cluster,
            "certificate",
            name,
            ns,
            &format!("{{.status.{field}}}"),
        )
        .unwrap(),
    )
    .unwrap() as f64
}

#[test]
fn metrics_and_probes() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("metrics").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let ctl = Controller::start(cluster, n, &[]).unwrap();
    assert_eq!(http_code(ctl.health_port, "/livez"), "200");
    assert_eq!(http_code(ctl.health_port, "/readyz"), "200");
    ca_issuer(cluster, n, dir.path()).unwrap();
    // The seed's identity issuer and a webhook certificate, plus one that cannot be issued.
    cluster
        .apply(
            Some(n),
            &[
                certificate(
                    "linkerd-identity-issuer",
                    "  isCA: true\n  commonName: identity.linkerd.cluster.local\n  duration: 48h0m0s\n  renewBefore: 25h0m0s\n  privateKey:\n    algorithm: ECDSA\n  usages: [cert sign, crl sign, server auth, client auth]\n",
                ),
                certificate(
                    "linkerd-sp-validator",
                    "  dnsNames: [linkerd-sp-validator.linkerd.svc]\n  duration: 24h\n  renewBefore: 1h\n  privateKey:\n    algorithm: ECDSA\n",
                ),
                "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: orphan\nspec:\n  secretName: orphan-tls\n  dnsNames: [orphan.example.test]\n  issuerRef:\n    name: missing\n    kind: Issuer\n".to_string(),
            ]
            .join("---\n"),
        )
        .unwrap();
    wait_ready(cluster, n, "linkerd-identity-issuer", 30).unwrap();
    wait_ready(cluster, n, "linkerd-sp-validator", 30).unwrap();
    cluster
        .wait_condition(
            "certificate",
            "orphan",
            Some(n),
            "Ready",
            "False",
            Duration::from_secs(30),
        )
        .unwrap();

    let m = ctl.metrics().unwrap();
    for name in ["linkerd-identity-issuer", "linkerd-sp-validator"] {
        let labels = cert_labels(name, n, "ca");
        let na = status_epoch(cluster, n, name, "notAfter");
        let nb = status_epoch(cluster, n, name, "notBefore");
        let rt = status_epoch(cluster, n, name, "renewalTime");
        assert_eq!(
            metric(
                &m,
                "certmanager_certificate_expiration_timestamp_seconds",
                &labels
            ),
            na,
            "{name}"
        );
        assert_eq!(
            metric(
                &m,
                "certmanager_certificate_not_after_timestamp_seconds",
                &labels
            ),
            na,
            "{name}"
        );
        assert_eq!(
            metric(
                &m,
                "certmanager_certificate_not_before_timestamp_seconds",
                &labels
            ),
            nb,
            "{name}"
        );
        assert_eq!(
            metric(
                &m,
                "certmanager_certificate_renewal_timestamp_seconds",
                &labels
            ),
            rt,
            "{name}"
        );
        for (cond, want) in [("True", 1.0), ("False", 0.0), ("Unknown", 0.0)] {
            let mut l = labels.clone();
            l.push(format!("condition=\"{cond}\""));
            assert_eq!(
                metric(&m, "certmanager_certificate_ready_status", &l),
                want,
                "{name} condition {cond}"
            );
        }
    }
    // The seed's identity issuer: 48h lifetime, renewal 25h before expiry.
    let labels = cert_labels("linkerd-identity-issuer", n, "ca");
    let na = metric(
        &m,
        "certmanager_certificate_expiration_timestamp_seconds",
        &labels,
    );
    let rt = metric(
        &m,
        "certmanager_certificate_renewal_timestamp_seconds",
        &labels,
    );
    assert_eq!(na - rt, 25.0 * 3600.0);
    let nb = metric(
        &m,
        "certmanager_certificate_not_before_timestamp_seconds",
        &labels,
    );
    assert_eq!(na - nb, 48.0 * 3600.0 + 30.0, "48h plus the 30 s backdate");

    // The Certificate that cannot be issued reports Ready=False.
    let mut orphan = cert_labels("orphan", n, "missing");
    orphan.push("condition=\"False\"".into());
    assert_eq!(
        metric(&m, "certmanager_certificate_ready_status", &orphan),
        1.0
    );

    // Issuer readiness.
    let issuer = |cond: &str| {
        metric(
            &m,
            "certmanager_issuer_ready_status",
            &[
                "name=\"ca\"".into(),
                format!("namespace=\"{n}\""),
                format!("condition=\"{cond}\""),
            ],
        )
    };
    assert_eq!(issuer("True"), 1.0);
    assert_eq!(issuer("False"), 0.0);
    assert_eq!(issuer("Unknown"), 0.0);

    // Sync counters for every controller.
    for c in ["certificates", "certificaterequests", "issuers"] {
        let v = metric(
            &m,
            "certmanager_controller_sync_call_count",
            &[format!("controller=\"{c}\"")],
        );
        assert!(v >= 1.0, "{c}: {v}");
    }
    assert!(
        m.contains("certmanager_clock_time_seconds_gauge"),
        "clock gauge"
    );
    // Still healthy after all that.
    assert_eq!(http_code(ctl.health_port, "/livez"), "200");
    assert_eq!(http_code(ctl.health_port, "/readyz"), "200");
    ctl.assert_no_key_material();
}

/// The cmctl binary (built once by scripts/tools.sh, cached).
fn cmctl() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let out = Command::new(workspace_root().join("scripts").join("tools.sh"))
            .arg("cmctl")
            .output()
            .expect("running scripts/tools.sh cmctl");
        assert!(
            out.status.success(),
            "scripts/tools.sh cmctl failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string();
        PathBuf::from(path)
    })
    .clone()
}

fn run_cmctl(cluster: &Cluster, args: &[&str]) -> String {
    let out = Command::new(cmctl())
        .args(args)
        .env("KUBECONFIG", cluster.kubeconfig())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        out.status.success(),
        "cmctl {} failed: {stderr}\n{stdout}",
        args.join(" ")
    );
    stdout + &stderr
}

#[test]
fn cmctl_status_and_renew() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let cm = cmctl();
    assert!(cm.is_file(), "no cmctl at {}", cm.display());
    let ns = cluster.namespace("cmctl").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let ctl = Controller::start(cluster, n, &[]).unwrap();
    ca_issuer(cluster, n, dir.path()).unwrap();
    cluster
        .apply(
            Some(n),
            &certificate(
                "web",
                "  dnsNames: [web.example.test]\n  duration: 24h\n  privateKey:\n    algorithm: ECDSA\n",
            ),
        )
        .unwrap();
    wait_ready(cluster, n, "web", 30).unwrap();

    let status = run_cmctl(cluster, &["status", "certificate", "web", "-n", n]);
    println!("cmctl status certificate:\n{status}");
    for needle in [
        "Name: web",
        &format!("Namespace: {n}"),
        "Ready: True",
        "web.example.test",
        "web-tls",
        "Not After",
        "Renewal Time",
    ] {
        assert!(
            status.contains(needle),
            "cmctl status lacks {needle:?}:\n{status}"
        );
    }
    // cmctl shows the issuer and that it is ready.
    assert!(
        status.contains("Issuer:") && status.contains("KeyPairVerified"),
        "cmctl status should show the issuer:\n{status}"
    );

    let key1 = secret_entry(cluster, n, "web-tls", "tls.key")
        .unwrap()
        .unwrap();
    let out = run_cmctl(cluster, &["renew", "web", "-n", n]);
    println!("cmctl renew: {out}");
    wait_for(Duration::from_secs(20), || {
        Ok(jsonpath(cluster, "certificate", "web", n, "{.status.revision}")? == "2")
    })
    .unwrap();
    wait_ready(cluster, n, "web", 20).unwrap();
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        jsonpath(cluster, "certificate", "web", n, "{.status.revision}").unwrap(),
        "2",
        "exactly one re-issuance"
    );
    let issuing = jsonpath(
        cluster,
        "certificate",
        "web",
        n,
        "{.status.conditions[?(@.type==\"Issuing\")].status}",
    )
    .unwrap();
    assert_eq!(issuing, "", "Issuing cleared after the renewal");
    let key2 = secret_entry(cluster, n, "web-tls", "tls.key")
        .unwrap()
        .unwrap();
    assert_ne!(key1, key2, "rotationPolicy Always: new key on renew");
    wait_for(Duration::from_secs(10), || {
        Ok(request_names(cluster, n)? == vec!["web-2".to_string()])
    })
    .unwrap_or_else(|e| {
        panic!(
            "requests after renew: {:?}: {e:#}",
            request_names(cluster, n)
        )
    });
    let after = run_cmctl(cluster, &["status", "certificate", "web", "-n", n]);
    assert!(after.contains("Ready: True"), "{after}");
    ctl.assert_no_key_material();
}
