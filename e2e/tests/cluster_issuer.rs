//! ClusterIssuers (issue 5, BC-09) against the real API server. ClusterIssuers are
//! cluster-scoped and every controller reconciles all of them, so this file holds ONE test with
//! ONE controller (cargo runs test binaries one after another).

// Helpers of this test file may fail the test directly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use anchorage_e2e::{Cluster, unique_suffix, wait_for};
use anchorage_pki::parse_certificates;
use common::*;

/// (status, reason, message) of condition `ctype` of a (cluster-scoped if `ns` is None) object.
fn condition(
    cluster: &Cluster,
    kind: &str,
    name: &str,
    ns: Option<&str>,
    ctype: &str,
) -> (String, String, String) {
    // One read, so status, reason and message belong to the same version of the object.
    let sel = format!("?(@.type==\"{ctype}\")");
    let jp = format!(
        "jsonpath={{.status.conditions[{sel}].status}}\u{1f}{{.status.conditions[{sel}].reason}}\u{1f}{{.status.conditions[{sel}].message}}"
    );
    let mut args = vec!["get", kind, name, "-o", jp.as_str()];
    if let Some(ns) = ns {
        args.extend(["-n", ns]);
    }
    let out = cluster.kubectl(&args).unwrap_or_default();
    let mut parts = out.split('\u{1f}').map(|s| s.trim().to_string());
    (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    )
}

fn wait_reason(
    cluster: &Cluster,
    kind: &str,
    name: &str,
    ns: Option<&str>,
    ctype: &str,
    reason: &str,
    secs: u64,
) -> (String, String, String) {
    let mut last = Default::default();
    if let Err(e) = wait_for(Duration::from_secs(secs), || {
        last = condition(cluster, kind, name, ns, ctype);
        Ok(last.1 == reason)
    }) {
        panic!("{kind}/{name} never had {ctype} reason {reason} (last {last:?}): {e:#}");
    }
    last
}

/// Deletes the ClusterIssuers it names when dropped (also when the test fails).
struct ClusterIssuers<'a>(&'a Cluster, Vec<String>);

impl Drop for ClusterIssuers<'_> {
    fn drop(&mut self) {
        for name in &self.1 {
            let _ = self.0.kubectl(&[
                "delete",
                "clusterissuer",
                name,
                "--ignore-not-found",
                "--wait=false",
            ]);
        }
    }
}

#[test]
fn bc09_cluster_issuer_secret_namespace_self_signed_and_unsupported_types() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let crns = cluster.namespace("crns").unwrap();
    let app = cluster.namespace("ciapp").unwrap();
    let other = cluster.namespace("ciother").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suffix = unique_suffix();
    let ci_ca = format!("bc09-ca-{suffix}");
    let ci_ss = format!("bc09-selfsigned-{suffix}");
    let _cleanup = ClusterIssuers(cluster, vec![ci_ca.clone(), ci_ss.clone()]);
    // Problems that do not stop the rest of the test; asserted at the end.
    let mut soft: Vec<String> = Vec::new();

    // The CA key pair exists only in the wrong namespace.
    let (crt, key) = root_ca(dir.path(), "bc09.example.test", &["--not-after", "8760h"]).unwrap();
    tls_secret(cluster, other.name(), "ca-key-pair", &crt, &key).unwrap();
    let ctl = Controller::start(
        cluster,
        app.name(),
        &["--cluster-resource-namespace", crns.name()],
    )
    .unwrap();
    cluster
        .apply(
            None,
            &format!(
                "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: {ci_ca}\nspec:\n  ca:\n    secretName: ca-key-pair\n---\napiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: {ci_ss}\nspec:\n  selfSigned: {{}}\n"
            ),
        )
        .unwrap();
    let ready = wait_reason(
        cluster,
        "clusterissuer",
        &ci_ca,
        None,
        "Ready",
        "ErrGetKeyPair",
        20,
    );
    assert_eq!(ready.0, "False");
    assert!(
        ready
            .2
            .contains("Error getting keypair for CA issuer: secrets \"ca-key-pair\" not found"),
        "cert-manager's wording: {:?}",
        ready.2
    );
    assert!(
        ready.2.contains(crns.name()),
        "the message names the namespace searched ({}): {:?}",
        crns.name(),
        ready.2
    );

    // A Certificate on it waits, saying why.
    cluster
        .apply(
            Some(app.name()),
            &format!(
                "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: leaf\nspec:\n  secretName: leaf-tls\n  dnsNames: [leaf.example.test]\n  issuerRef:\n    name: {ci_ca}\n    kind: ClusterIssuer\n    group: cert-manager.io\n"
            ),
        )
        .unwrap();
    let mut cert_ready = Default::default();
    wait_for(Duration::from_secs(20), || {
        cert_ready = condition(cluster, "certificate", "leaf", Some(app.name()), "Ready");
        Ok(cert_ready.0 == "False" && cert_ready.2.contains("ca-key-pair"))
    })
    .unwrap_or_else(|e| {
        panic!("Certificate never said why it waits (last Ready {cert_ready:?}): {e:#}")
    });
    let issuing = condition(cluster, "certificate", "leaf", Some(app.name()), "Issuing");
    assert_eq!(issuing.0, "True", "Issuing while it waits: {issuing:?}");
    println!(
        "Certificate while the CA Secret is missing: Ready={cert_ready:?} Issuing={issuing:?}"
    );
    if !cert_ready.2.contains(crns.name()) {
        soft.push(format!(
            "Certificate Ready message does not name the namespace searched: {:?}",
            cert_ready.2
        ));
    }
    if !cert_ready.2.contains(&ci_ca) && !issuing.2.contains(&ci_ca) {
        soft.push(format!(
            "BC-09: the Certificate's message does not name the issuer {ci_ca}: Ready {:?} / Issuing {:?}",
            cert_ready.2, issuing.2
        ));
    }
    let req = condition(
        cluster,
        "certificaterequest",
        "leaf-1",
        Some(app.name()),
        "Ready",
    );
    assert_eq!(req.1, "Pending", "{req:?}");
    assert!(
        secret_entry(cluster, app.name(), "leaf-tls", "tls.crt")
            .unwrap()
            .is_none()
    );

    // The Secret appears in the cluster resource namespace: ready without a restart.
    let created = Instant::now();
    tls_secret(cluster, crns.name(), "ca-key-pair", &crt, &key).unwrap();
    cluster
        .wait_condition(
            "clusterissuer",
            &ci_ca,
            None,
            "Ready",
            "True",
            Duration::from_secs(10),
        )
        .unwrap();
    let issuer_after = created.elapsed();
    assert!(
        issuer_after <= Duration::from_secs(6),
        "ClusterIssuer took {issuer_after:?} to notice the Secret"
    );
    assert_eq!(
        condition(cluster, "clusterissuer", &ci_ca, None, "Ready").1,
        "KeyPairVerified"
    );
    wait_ready(cluster, app.name(), "leaf", 30).unwrap();
    let cert_after = created.elapsed();
    println!(
        "after the Secret appeared: ClusterIssuer Ready in {issuer_after:?}, Certificate Ready in {cert_after:?}"
    );
    if cert_after > Duration::from_secs(15) {
        soft.push(format!(
            "pending issuance took {cert_after:?} to complete after the CA Secret appeared"
        ));
    }
    let ca = secret_entry(cluster, app.name(), "leaf-tls", "ca.crt")
        .unwrap()
        .unwrap();
    assert_eq!(
        parse_certificates(&ca).unwrap()[0].der,
        parse_certificates(&std::fs::read(&crt).unwrap()).unwrap()[0].der,
        "ca.crt is the CA from the cluster resource namespace"
    );
    assert_eq!(
        jsonpath(
            cluster,
            "secret",
            "leaf-tls",
            app.name(),
            "{.metadata.annotations.cert-manager\\.io/issuer-kind}"
        )
        .unwrap(),
        "ClusterIssuer"
    );

    // A selfSigned ClusterIssuer issues a self-signed CA.
    cluster
        .wait_condition(
            "clusterissuer",
            &ci_ss,
            None,
            "Ready",
            "True",
            Duration::from_secs(10),
        )
        .unwrap();
    cluster
        .apply(
            Some(app.name()),
            &format!(
                "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: root\nspec:\n  secretName: root-tls\n  isCA: true\n  commonName: selfsigned-root.example.test\n  privateKey:\n    algorithm: ECDSA\n  issuerRef:\n    name: {ci_ss}\n    kind: ClusterIssuer\n"
            ),
        )
        .unwrap();
    wait_ready(cluster, app.name(), "root", 30).unwrap();
    let tls = secret_entry(cluster, app.name(), "root-tls", "tls.crt")
        .unwrap()
        .unwrap();
    let ca = secret_entry(cluster, app.name(), "root-tls", "ca.crt")
        .unwrap()
        .unwrap();
    let p = write(dir.path(), "root.crt", &tls).unwrap();
    let subject = openssl(&["x509", "-in", &p.to_string_lossy(), "-noout", "-subject"]).unwrap();
    let issuer = openssl(&["x509", "-in", &p.to_string_lossy(), "-noout", "-issuer"]).unwrap();
    assert_eq!(
        subject.trim().trim_start_matches("subject="),
        issuer.trim().trim_start_matches("issuer="),
        "self-signed: issuer == subject"
    );
    assert!(
        subject.contains("selfsigned-root.example.test"),
        "{subject}"
    );
    let verified = openssl(&[
        "verify",
        "-CAfile",
        &p.to_string_lossy(),
        &p.to_string_lossy(),
    ])
    .unwrap();
    assert!(verified.contains(": OK"), "{verified}");
    let info = &parse_certificates(&tls).unwrap()[0];
    assert!(info.is_ca, "isCA: true gives CA:TRUE");
    assert_eq!(
        parse_certificates(&ca).unwrap()[0].der,
        info.der,
        "ca.crt of a self-signed certificate is itself"
    );

    // An issuer type we do not implement.
    cluster
        .apply(
            Some(app.name()),
            "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: letsencrypt\nspec:\n  acme:\n    server: https://acme.example.test/directory\n    privateKeySecretRef:\n      name: letsencrypt-account\n    solvers: []\n",
        )
        .unwrap();
    let unsupported = wait_reason(
        cluster,
        "issuer",
        "letsencrypt",
        Some(app.name()),
        "Ready",
        "UnsupportedIssuerType",
        20,
    );
    assert_eq!(unsupported.0, "False");
    assert!(unsupported.2.contains("acme"), "{unsupported:?}");

    ctl.assert_no_key_material();
    assert!(soft.is_empty(), "problems:\n{}", soft.join("\n"));
}
