//! The seed guide's "Automatically Rotating ... TLS Credentials" sections, verbatim, against the
//! real API server, with results read by kubectl and openssl. This file runs alone (cargo runs
//! test binaries one after another) because its controller watches all namespaces.

mod common;

use std::time::Duration;

use anchorage_e2e::{Cluster, wait_for};
use common::*;

const IDENTITY_ISSUER: &str = r#"apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: linkerd-trust-anchor
  namespace: linkerd
spec:
  ca:
    secretName: linkerd-trust-anchor
"#;

const IDENTITY_CERTIFICATE: &str = r#"apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: linkerd-identity-issuer
  namespace: linkerd
spec:
  secretName: linkerd-identity-issuer
  duration: 48h
  renewBefore: 25h
  issuerRef:
    name: linkerd-trust-anchor
    kind: Issuer
  commonName: identity.linkerd.cluster.local
  dnsNames:
  - identity.linkerd.cluster.local
  isCA: true
  privateKey:
    algorithm: ECDSA
  usages:
  - cert sign
  - crl sign
  - server auth
  - client auth
"#;

const WEBHOOK_ISSUERS: &str = r#"apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: webhook-issuer
  namespace: linkerd
spec:
  ca:
    secretName: webhook-issuer-tls
---
# ignore if not using the viz extension
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: webhook-issuer
  namespace: linkerd-viz
spec:
  ca:
    secretName: webhook-issuer-tls
---
# ignore if not using the jaeger extension
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: webhook-issuer
  namespace: linkerd-jaeger
spec:
  ca:
    secretName: webhook-issuer-tls
"#;

/// (namespace, certificate, secret, service DNS name)
const WEBHOOKS: [(&str, &str, &str, &str); 6] = [
    (
        "linkerd",
        "linkerd-policy-validator",
        "linkerd-policy-validator-k8s-tls",
        "linkerd-policy-validator.linkerd.svc",
    ),
    (
        "linkerd",
        "linkerd-proxy-injector",
        "linkerd-proxy-injector-k8s-tls",
        "linkerd-proxy-injector.linkerd.svc",
    ),
    (
        "linkerd",
        "linkerd-sp-validator",
        "linkerd-sp-validator-k8s-tls",
        "linkerd-sp-validator.linkerd.svc",
    ),
    ("linkerd-viz", "tap", "tap-k8s-tls", "tap.linkerd-viz.svc"),
    (
        "linkerd-viz",
        "linkerd-tap-injector",
        "tap-injector-k8s-tls",
        "tap-injector.linkerd-viz.svc",
    ),
    (
        "linkerd-jaeger",
        "jaeger-injector",
        "jaeger-injector-k8s-tls",
        "jaeger-injector.linkerd-jaeger.svc",
    ),
];

fn webhook_certificates() -> String {
    let mut out = String::new();
    for (ns, name, secret, dns) in WEBHOOKS {
        let encoding = if name == "linkerd-policy-validator" {
            "\n    encoding: PKCS8"
        } else {
            ""
        };
        out.push_str(&format!(
            "---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  secretName: {secret}\n  duration: 24h\n  renewBefore: 1h\n  issuerRef:\n    name: webhook-issuer\n    kind: Issuer\n  commonName: {dns}\n  dnsNames:\n  - {dns}\n  isCA: false\n  privateKey:\n    algorithm: ECDSA{encoding}\n  usages:\n  - server auth\n"
        ));
    }
    out
}

#[test]
fn seed_guide_end_to_end() {
    let cluster = Cluster::shared().expect("cluster");
    install_crds(cluster).expect("crds");
    for ns in ["linkerd", "linkerd-viz", "linkerd-jaeger"] {
        delete_namespace_and_wait(cluster, ns).expect("clean namespace");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let ctl = Controller::start_with(cluster, None, &["--cluster-resource-namespace", "linkerd"])
        .expect("controller");

    // --- Automatically Rotating Control Plane TLS Credentials ---
    cluster
        .kubectl(&["create", "namespace", "linkerd"])
        .expect("ns");
    let (anchor_crt, anchor_key) =
        root_ca(dir.path(), "root.linkerd.cluster.local", &[]).expect("anchor");
    tls_secret(
        cluster,
        "linkerd",
        "linkerd-trust-anchor",
        &anchor_crt,
        &anchor_key,
    )
    .expect("secret");
    cluster.apply(None, IDENTITY_ISSUER).expect("issuer");
    cluster
        .apply(None, IDENTITY_CERTIFICATE)
        .expect("certificate");
    wait_ready(cluster, "linkerd", "linkerd-identity-issuer", 60).expect("identity issuer ready");

    let crt = secret_entry(cluster, "linkerd", "linkerd-identity-issuer", "tls.crt")
        .unwrap()
        .unwrap();
    let key = secret_entry(cluster, "linkerd", "linkerd-identity-issuer", "tls.key")
        .unwrap()
        .unwrap();
    let ca = secret_entry(cluster, "linkerd", "linkerd-identity-issuer", "ca.crt")
        .unwrap()
        .unwrap();
    let crt_p = write(dir.path(), "issuer.crt", &crt).unwrap();
    let ca_p = write(dir.path(), "issuer-ca.crt", &ca).unwrap();
    let verify = openssl(&[
        "verify",
        "-CAfile",
        &ca_p.to_string_lossy(),
        &crt_p.to_string_lossy(),
    ])
    .unwrap();
    assert!(verify.contains("OK"), "{verify}");
    // ca.crt is DER-equal to the anchor.
    let der = |p: &std::path::Path| {
        std::process::Command::new("openssl")
            .args(["x509", "-in", &p.to_string_lossy(), "-outform", "DER"])
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(
        der(&ca_p),
        der(&anchor_crt),
        "ca.crt must be the trust anchor"
    );
    // BC-14 shape.
    let text = openssl(&["x509", "-in", &crt_p.to_string_lossy(), "-noout", "-text"]).unwrap();
    assert!(
        text.contains("X509v3 Basic Constraints: critical\n                CA:TRUE"),
        "{text}"
    );
    assert!(
        text.contains("X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign\n"),
        "{text}"
    );
    assert!(
        text.contains("TLS Web Server Authentication, TLS Web Client Authentication"),
        "{text}"
    );
    assert!(text.contains("ASN1 OID: prime256v1"), "{text}");
    assert!(
        text.contains("Signature Algorithm: ecdsa-with-SHA256"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&key).starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
    let ty = jsonpath(
        cluster,
        "secret",
        "linkerd-identity-issuer",
        "linkerd",
        "{.type}",
    )
    .unwrap();
    assert_eq!(ty, "kubernetes.io/tls");
    // renewalTime = notAfter - 25h.
    let na = jsonpath(
        cluster,
        "certificate",
        "linkerd-identity-issuer",
        "linkerd",
        "{.status.notAfter}",
    )
    .unwrap();
    let rt = jsonpath(
        cluster,
        "certificate",
        "linkerd-identity-issuer",
        "linkerd",
        "{.status.renewalTime}",
    )
    .unwrap();
    assert_eq!(epoch(&na).unwrap() - epoch(&rt).unwrap(), 25 * 3600);

    // --- Automatically Rotating Webhook TLS Credentials ---
    cluster
        .kubectl(&[
            "label",
            "namespace",
            "linkerd",
            "linkerd.io/is-control-plane=true",
            "config.linkerd.io/admission-webhooks=disabled",
            "linkerd.io/control-plane-ns=linkerd",
        ])
        .unwrap();
    cluster
        .kubectl(&[
            "annotate",
            "namespace",
            "linkerd",
            "linkerd.io/inject=disabled",
        ])
        .unwrap();
    cluster
        .kubectl(&["create", "namespace", "linkerd-viz"])
        .unwrap();
    cluster
        .kubectl(&[
            "label",
            "namespace",
            "linkerd-viz",
            "linkerd.io/extension=viz",
        ])
        .unwrap();
    cluster
        .kubectl(&["create", "namespace", "linkerd-jaeger"])
        .unwrap();
    cluster
        .kubectl(&[
            "label",
            "namespace",
            "linkerd-jaeger",
            "linkerd.io/extension=jaeger",
        ])
        .unwrap();
    let wdir = dir.path().join("webhook");
    std::fs::create_dir_all(&wdir).unwrap();
    let (wcrt, wkey) = root_ca(
        &wdir,
        "webhook.linkerd.cluster.local",
        &["--san", "webhook.linkerd.cluster.local"],
    )
    .unwrap();
    for ns in ["linkerd", "linkerd-viz", "linkerd-jaeger"] {
        tls_secret(cluster, ns, "webhook-issuer-tls", &wcrt, &wkey).unwrap();
    }
    cluster.apply(None, WEBHOOK_ISSUERS).unwrap();
    cluster.apply(None, &webhook_certificates()).unwrap();
    for (ns, name, secret, dns) in WEBHOOKS {
        wait_ready(cluster, ns, name, 60).unwrap();
        let crt = secret_entry(cluster, ns, secret, "tls.crt")
            .unwrap()
            .unwrap();
        let p = write(dir.path(), &format!("{secret}.crt"), &crt).unwrap();
        let sans = openssl(&[
            "x509",
            "-in",
            &p.to_string_lossy(),
            "-noout",
            "-ext",
            "subjectAltName",
        ])
        .unwrap();
        assert!(sans.contains(&format!("DNS:{dns}")), "{secret}: {sans}");
        let ca = secret_entry(cluster, ns, secret, "ca.crt")
            .unwrap()
            .unwrap();
        let cap = write(dir.path(), &format!("{secret}-ca.crt"), &ca).unwrap();
        let v = openssl(&[
            "verify",
            "-CAfile",
            &cap.to_string_lossy(),
            "-purpose",
            "sslserver",
            &p.to_string_lossy(),
        ])
        .unwrap();
        assert!(v.contains("OK"), "{v}");
    }
    // The Rust policy validator reads only PKCS#8: BEGIN PRIVATE KEY, parsed by rustls-pki-types.
    let pv = secret_entry(
        cluster,
        "linkerd",
        "linkerd-policy-validator-k8s-tls",
        "tls.key",
    )
    .unwrap()
    .unwrap();
    assert!(String::from_utf8_lossy(&pv).starts_with("-----BEGIN PRIVATE KEY-----\n"));
    {
        use rustls_pki_types::pem::PemObject;
        let parsed =
            rustls_pki_types::PrivateKeyDer::from_pem_slice(&pv).expect("rustls parses PKCS#8");
        assert!(matches!(parsed, rustls_pki_types::PrivateKeyDer::Pkcs8(_)));
    }
    let pi = secret_entry(
        cluster,
        "linkerd",
        "linkerd-proxy-injector-k8s-tls",
        "tls.key",
    )
    .unwrap()
    .unwrap();
    assert!(String::from_utf8_lossy(&pi).starts_with("-----BEGIN EC PRIVATE KEY-----\n"));

    // Metrics: expiration and renewal timestamps for every seed Certificate.
    let mut certs: Vec<(&str, &str)> = vec![("linkerd", "linkerd-identity-issuer")];
    certs.extend(WEBHOOKS.iter().map(|(ns, name, _, _)| (*ns, *name)));
    wait_for(Duration::from_secs(10), || {
        let m = ctl.metrics()?;
        Ok(certs.iter().all(|(ns, name)| {
            let labels = [format!("name=\"{name}\""), format!("namespace=\"{ns}\"")];
            let needles: Vec<&str> = labels.iter().map(String::as_str).collect();
            let na = jsonpath(cluster, "certificate", name, ns, "{.status.notAfter}")
                .unwrap_or_default();
            let rt = jsonpath(cluster, "certificate", name, ns, "{.status.renewalTime}")
                .unwrap_or_default();
            metric_value(
                &m,
                "certmanager_certificate_expiration_timestamp_seconds",
                &needles,
            ) == epoch(&na).ok().map(|s| s as f64)
                && metric_value(
                    &m,
                    "certmanager_certificate_renewal_timestamp_seconds",
                    &needles,
                ) == epoch(&rt).ok().map(|s| s as f64)
                && metric_value(
                    &m,
                    "certmanager_certificate_ready_status",
                    &[
                        needles[0],
                        needles[1],
                        "condition=\"True\"",
                        "issuer_kind=\"Issuer\"",
                    ],
                ) == Some(1.0)
        }))
    })
    .unwrap_or_else(|e| {
        panic!(
            "metrics never matched: {e:#}\n{}",
            ctl.metrics().unwrap_or_default()
        )
    });

    // Steady state: no writes.
    let before = ctl.writes().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(ctl.writes().unwrap(), before, "writes in steady state");
    ctl.assert_no_key_material();
}
