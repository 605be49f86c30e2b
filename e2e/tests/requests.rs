//! The CertificateRequest reconciler and issuer readiness (issue 5) against the real API
//! server: requests made by `openssl req` and applied with `kubectl`, manual approval and
//! denial, bad input (CSRs and CA Secrets), and the cases BC-03 (clipping), BC-05 (expired CA)
//! and BC-07 (intermediate chains). Each test has its own namespace and a controller watching
//! only that namespace.

// Helpers of this test file may fail the test directly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::Duration;

use anchorage_e2e::{Cluster, wait_for};
use anchorage_pki::{
    CaMaterial, CsrParams, EcCurve, KeyAlgorithm, KeyUsage, PrivateKey, SignParams, build_csr,
    encode_pem, parse_certificates, parse_csr, parse_pem, self_sign_csr, sign_csr,
};
use base64::Engine;
use common::*;
use jiff::{SignedDuration, Timestamp};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// `reason: message` lines of the events about `name`, with their type.
/// (status, reason, message) of one condition of a namespaced object.
fn condition(
    cluster: &Cluster,
    kind: &str,
    name: &str,
    ns: &str,
    ctype: &str,
) -> (String, String, String) {
    // One read, so status, reason and message belong to the same version of the object.
    let sel = format!("?(@.type==\"{ctype}\")");
    let out = jsonpath(
        cluster,
        kind,
        name,
        ns,
        &format!(
            "{{.status.conditions[{sel}].status}}\u{1f}{{.status.conditions[{sel}].reason}}\u{1f}{{.status.conditions[{sel}].message}}"
        ),
    )
    .unwrap_or_default();
    let mut parts = out.split('\u{1f}').map(|s| s.trim().to_string());
    (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    )
}

/// Waits until condition `ctype` of `kind/name` has `reason` (any status); returns it.
fn wait_reason(
    cluster: &Cluster,
    kind: &str,
    name: &str,
    ns: &str,
    ctype: &str,
    reason: &str,
    secs: u64,
) -> (String, String, String) {
    let mut last = Default::default();
    let waited = wait_for(Duration::from_secs(secs), || {
        last = condition(cluster, kind, name, ns, ctype);
        Ok(last.1 == reason)
    });
    if let Err(e) = waited {
        let yaml = cluster
            .kubectl(&["get", kind, name, "-n", ns, "-o", "yaml"])
            .unwrap_or_default();
        panic!("{kind}/{name} never had {ctype} reason {reason} (last {last:?}): {e:#}\n{yaml}");
    }
    last
}

/// A CSR made by `openssl req` with a fresh P-256 key (PEM).
fn openssl_csr(dir: &Path, cn: &str, dns: &str) -> Vec<u8> {
    let key = dir.join(format!("{cn}.csr.key"));
    let csr = dir.join(format!("{cn}.csr"));
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &key.to_string_lossy(),
        "-out",
        &csr.to_string_lossy(),
        "-subj",
        &format!("/CN={cn}"),
        "-addext",
        &format!("subjectAltName=DNS:{dns}"),
    ])
    .unwrap();
    std::fs::read(&csr).unwrap()
}

/// A CertificateRequest manifest for `issuer` (kind Issuer) carrying `csr_pem`.
fn request_yaml(name: &str, issuer: &str, csr_pem: &[u8]) -> String {
    format!(
        "apiVersion: cert-manager.io/v1\nkind: CertificateRequest\nmetadata:\n  name: {name}\nspec:\n  request: {}\n  duration: 24h\n  usages: [digital signature, key encipherment]\n  issuerRef:\n    name: {issuer}\n    kind: Issuer\n    group: cert-manager.io\n",
        B64.encode(csr_pem)
    )
}

/// A decoded `.status.<field>` of a CertificateRequest (PEM bytes), empty if unset.
fn request_pem(cluster: &Cluster, ns: &str, name: &str, field: &str) -> Vec<u8> {
    let b64 = jsonpath(
        cluster,
        "certificaterequest",
        name,
        ns,
        &format!("{{.status.{field}}}"),
    )
    .unwrap_or_default();
    B64.decode(b64.trim()).unwrap_or_default()
}

/// A `kubernetes.io/tls` Secret from raw bytes (kubectl create secret tls would refuse the
/// broken pairs these tests need).
fn raw_tls_secret(cluster: &Cluster, ns: &str, name: &str, crt: &[u8], key: &[u8]) {
    cluster
        .apply(
            Some(ns),
            &format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: {}\n  tls.key: {}\n",
                B64.encode(crt),
                B64.encode(key)
            ),
        )
        .unwrap();
}

fn ca_issuer_yaml(name: &str, secret: &str) -> String {
    format!(
        "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: {name}\nspec:\n  ca:\n    secretName: {secret}\n"
    )
}

/// The DERs of the CERTIFICATE blocks of a PEM bundle.
fn ders(pem: &[u8]) -> Vec<Vec<u8>> {
    parse_pem(pem, "bundle")
        .unwrap()
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| b.der)
        .collect()
}

fn p256() -> PrivateKey {
    PrivateKey::generate(KeyAlgorithm::Ecdsa {
        curve: EcCurve::P256,
    })
    .unwrap()
}

/// A CA certificate for `key` (PEM): self-signed when `signer` is `None`.
fn ca_cert(
    cn: &str,
    key: &PrivateKey,
    signer: Option<&CaMaterial>,
    path_len: Option<u32>,
    hours: i64,
) -> Vec<u8> {
    let usages = vec![KeyUsage::CertSign, KeyUsage::CrlSign];
    let csr = build_csr(
        key,
        &CsrParams {
            common_name: Some(cn.to_string()),
            is_ca: true,
            usages: usages.clone(),
            ..Default::default()
        },
    )
    .unwrap();
    let csr = parse_csr(&csr).unwrap();
    let mut params = SignParams::new(
        Timestamp::now() - SignedDuration::from_secs(60),
        SignedDuration::from_hours(hours),
    );
    params.is_ca = true;
    params.usages = usages;
    params.path_len = path_len;
    let issued = match signer {
        Some(ca) => sign_csr(&csr, ca, &params).unwrap(),
        None => self_sign_csr(&csr, key, &params).unwrap(),
    };
    encode_pem("CERTIFICATE", &issued.certificate_der)
}

/// The hex key identifier printed by `openssl x509 -ext <ext>` (upper case, no colons).
fn key_id(dir: &Path, cert_pem: &[u8], ext: &str) -> String {
    let p = write(dir, "kid.pem", cert_pem).unwrap();
    let out = openssl(&["x509", "-in", &p.to_string_lossy(), "-noout", "-ext", ext]).unwrap();
    let line = out
        .lines()
        .nth(1)
        .unwrap_or_default()
        .trim()
        .trim_start_matches("keyid:")
        .replace(':', "");
    assert!(!line.is_empty(), "no {ext} in:\n{out}");
    line.to_ascii_uppercase()
}

#[test]
fn openssl_request_is_approved_and_signed() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("cr-sign").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let ctl = Controller::start(cluster, n, &[]).unwrap();
    ca_issuer(cluster, n, dir.path()).unwrap();

    let csr = openssl_csr(dir.path(), "app.example.test", "app.example.test");
    cluster
        .apply(Some(n), &request_yaml("by-openssl", "ca", &csr))
        .unwrap();
    cluster
        .wait_condition(
            "certificaterequest",
            "by-openssl",
            Some(n),
            "Ready",
            "True",
            Duration::from_secs(30),
        )
        .unwrap();
    let approved = condition(cluster, "certificaterequest", "by-openssl", n, "Approved");
    assert_eq!(
        (approved.0.as_str(), approved.1.as_str()),
        ("True", "cert-manager.io"),
        "{approved:?}"
    );
    let ready = condition(cluster, "certificaterequest", "by-openssl", n, "Ready");
    assert_eq!(ready.1, "Issued", "{ready:?}");

    let crt = request_pem(cluster, n, "by-openssl", "certificate");
    let ca = request_pem(cluster, n, "by-openssl", "ca");
    let crt_p = write(dir.path(), "issued.crt", &crt).unwrap();
    let ca_p = write(dir.path(), "issued-ca.crt", &ca).unwrap();
    let verified = openssl(&[
        "verify",
        "-CAfile",
        &ca_p.to_string_lossy(),
        &crt_p.to_string_lossy(),
    ])
    .unwrap();
    assert!(verified.contains(": OK"), "{verified}");
    // The issued certificate carries the CSR's key and names.
    let leaf = &parse_certificates(&crt).unwrap()[0];
    assert_eq!(
        leaf.public_key_der,
        parse_csr(&csr).unwrap().public_key_der,
        "issued for the CSR's key"
    );
    assert_eq!(leaf.dns_names, vec!["app.example.test".to_string()]);
    assert_eq!(leaf.common_name.as_deref(), Some("app.example.test"));
    let lifetime = leaf.not_after.as_second() - leaf.not_before.as_second();
    assert_eq!(
        lifetime,
        24 * 3600 + 30,
        "duration 24h plus the 30 s backdate"
    );
    ctl.assert_no_key_material();
}

#[test]
fn manual_approval_and_denial() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("cr-approve").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let ctl = Controller::start(cluster, n, &["--disable-auto-approval"]).unwrap();
    ca_issuer(cluster, n, dir.path()).unwrap();

    let csr = openssl_csr(dir.path(), "a.example.test", "a.example.test");
    cluster
        .apply(Some(n), &request_yaml("wait-approval", "ca", &csr))
        .unwrap();
    let csr2 = openssl_csr(dir.path(), "d.example.test", "d.example.test");
    cluster
        .apply(Some(n), &request_yaml("to-deny", "ca", &csr2))
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    for name in ["wait-approval", "to-deny"] {
        let approved = condition(cluster, "certificaterequest", name, n, "Approved");
        assert_eq!(approved.0, "", "{name} must not be approved: {approved:?}");
        assert!(
            request_pem(cluster, n, name, "certificate").is_empty(),
            "{name} must not be signed before approval"
        );
    }

    // An external approver sets Approved=True on the status subresource.
    let approve = r#"{"status":{"conditions":[{"type":"Approved","status":"True","reason":"e2e-approver","message":"approved by the test","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}"#;
    cluster
        .kubectl(&[
            "patch",
            "certificaterequest",
            "wait-approval",
            "-n",
            n,
            "--subresource=status",
            "--type=merge",
            "-p",
            approve,
        ])
        .unwrap();
    cluster
        .wait_condition(
            "certificaterequest",
            "wait-approval",
            Some(n),
            "Ready",
            "True",
            Duration::from_secs(20),
        )
        .unwrap();
    let approved = condition(
        cluster,
        "certificaterequest",
        "wait-approval",
        n,
        "Approved",
    );
    assert_eq!(approved.1, "e2e-approver", "the approver's reason is kept");
    assert!(!request_pem(cluster, n, "wait-approval", "certificate").is_empty());

    // Denied: Ready=False reason Denied, a failureTime, never a certificate.
    let deny = r#"{"status":{"conditions":[{"type":"Denied","status":"True","reason":"e2e-approver","message":"denied by the test","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}"#;
    cluster
        .kubectl(&[
            "patch",
            "certificaterequest",
            "to-deny",
            "-n",
            n,
            "--subresource=status",
            "--type=merge",
            "-p",
            deny,
        ])
        .unwrap();
    let ready = wait_reason(
        cluster,
        "certificaterequest",
        "to-deny",
        n,
        "Ready",
        "Denied",
        20,
    );
    assert_eq!(ready.0, "False", "{ready:?}");
    let failure = jsonpath(
        cluster,
        "certificaterequest",
        "to-deny",
        n,
        "{.status.failureTime}",
    )
    .unwrap();
    epoch(&failure).expect("failureTime is an RFC 3339 time");
    std::thread::sleep(Duration::from_secs(2));
    assert!(request_pem(cluster, n, "to-deny", "certificate").is_empty());
    ctl.assert_no_key_material();
}

#[test]
fn bad_csrs_fail_with_a_clear_condition_and_the_controller_keeps_serving() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("cr-badcsr").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let ctl = Controller::start(cluster, n, &[]).unwrap();
    ca_issuer(cluster, n, dir.path()).unwrap();

    // Malformed PEM: a CSR block whose content is not a CSR.
    let malformed = format!(
        "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
        B64.encode(b"this is not a certificate request at all")
    );
    cluster
        .apply(
            Some(n),
            &request_yaml("malformed", "ca", malformed.as_bytes()),
        )
        .unwrap();

    // A valid CSR whose signature has one byte flipped.
    let good = openssl_csr(dir.path(), "sig.example.test", "sig.example.test");
    let mut der = parse_pem(&good, "csr").unwrap().remove(0).der;
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let tampered = encode_pem("CERTIFICATE REQUEST", &der);
    let tampered_p = write(dir.path(), "tampered.csr", &tampered).unwrap();
    // openssl agrees the signature is broken (OpenSSL 3.0 exits 0 but says so on stderr).
    let check = std::process::Command::new("openssl")
        .args([
            "req",
            "-in",
            &tampered_p.to_string_lossy(),
            "-verify",
            "-noout",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stderr).to_string();
    assert!(
        !check.status.success() || said.contains("verify failure"),
        "openssl should reject the tampered CSR: {said}"
    );
    cluster
        .apply(Some(n), &request_yaml("bad-signature", "ca", &tampered))
        .unwrap();

    for (name, needle) in [
        ("malformed", "spec.request"),
        ("bad-signature", "signature"),
    ] {
        let ready = wait_reason(
            cluster,
            "certificaterequest",
            name,
            n,
            "Ready",
            "Failed",
            20,
        );
        assert_eq!(ready.0, "False");
        assert!(
            ready.2.contains(needle) && ready.2.contains("spec.request"),
            "{name}: message should name spec.request and the problem: {:?}",
            ready.2
        );
        let invalid = condition(cluster, "certificaterequest", name, n, "InvalidRequest");
        assert_eq!(invalid.0, "True", "{name}: {invalid:?}");
        assert!(request_pem(cluster, n, name, "certificate").is_empty());
        assert!(
            events(cluster, n, name).contains("Warning Failed"),
            "{name}: a Warning event"
        );
    }

    // The controller still serves good requests.
    let ok = openssl_csr(dir.path(), "ok.example.test", "ok.example.test");
    cluster
        .apply(Some(n), &request_yaml("good-after", "ca", &ok))
        .unwrap();
    cluster
        .wait_condition(
            "certificaterequest",
            "good-after",
            Some(n),
            "Ready",
            "True",
            Duration::from_secs(20),
        )
        .unwrap();
    // Terminal failures are not retried in a loop: the failed requests stay as they were.
    let writes = ctl.writes().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(ctl.writes().unwrap(), writes, "no hot loop on bad requests");
    ctl.assert_no_key_material();
}

#[test]
fn bad_ca_secrets_make_the_issuer_unready_and_requests_wait() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("cr-badca").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let ctl = Controller::start(cluster, n, &[]).unwrap();
    let (root_crt, root_key) = ca_issuer(cluster, n, dir.path()).unwrap();
    let root_crt_pem = std::fs::read(&root_crt).unwrap();
    let root_key_pem = std::fs::read(&root_key).unwrap();

    // (1) encrypted key.
    let enc = dir.path().join("enc.key");
    openssl(&[
        "ec",
        "-in",
        &root_key.to_string_lossy(),
        "-aes256",
        "-passout",
        "pass:x",
        "-out",
        &enc.to_string_lossy(),
    ])
    .unwrap();
    raw_tls_secret(
        cluster,
        n,
        "encrypted",
        &root_crt_pem,
        &std::fs::read(&enc).unwrap(),
    );
    // (2) a leaf, not a CA.
    let leaf_crt = dir.path().join("leaf.crt");
    let leaf_key = dir.path().join("leaf.key");
    run(
        &anchorage_bin(),
        &[
            "certificate",
            "create",
            "leaf.example.test",
            &leaf_crt.to_string_lossy(),
            &leaf_key.to_string_lossy(),
            "--profile",
            "leaf",
            "--ca",
            &root_crt.to_string_lossy(),
            "--ca-key",
            &root_key.to_string_lossy(),
            "--no-password",
            "--insecure",
        ],
    )
    .unwrap();
    raw_tls_secret(
        cluster,
        n,
        "not-a-ca",
        &std::fs::read(&leaf_crt).unwrap(),
        &std::fs::read(&leaf_key).unwrap(),
    );
    // (3) a key that does not match the certificate.
    let other = openssl(&["ecparam", "-name", "prime256v1", "-genkey", "-noout"]).unwrap();
    raw_tls_secret(cluster, n, "mismatch", &root_crt_pem, other.as_bytes());
    assert_ne!(other.as_bytes(), root_key_pem.as_slice());

    let cases = [
        ("encrypted", "encrypted"),
        ("not-a-ca", "cannot sign certificates"),
        ("mismatch", "does not match"),
    ];
    for (secret, _) in cases {
        cluster
            .apply(Some(n), &ca_issuer_yaml(&format!("iss-{secret}"), secret))
            .unwrap();
    }
    for (secret, problem) in cases {
        let issuer = format!("iss-{secret}");
        let ready = wait_reason(
            cluster,
            "issuer",
            &issuer,
            n,
            "Ready",
            "ErrInvalidKeyPair",
            20,
        );
        assert_eq!(ready.0, "False", "{issuer}: {ready:?}");
        assert!(
            ready.2.contains(&format!("{n}/{secret}")) && ready.2.contains(problem),
            "{issuer}: the message should name {n}/{secret} and {problem:?}: {:?}",
            ready.2
        );
        assert!(
            !ready.2.contains("PRIVATE KEY") && !ready.2.contains("MII"),
            "no key material in the message"
        );
        let csr = openssl_csr(
            dir.path(),
            &format!("{secret}.example.test"),
            "x.example.test",
        );
        cluster
            .apply(
                Some(n),
                &request_yaml(&format!("req-{secret}"), &issuer, &csr),
            )
            .unwrap();
    }
    for (secret, problem) in cases {
        let req = format!("req-{secret}");
        let ready = wait_reason(
            cluster,
            "certificaterequest",
            &req,
            n,
            "Ready",
            "Pending",
            20,
        );
        assert_eq!(ready.0, "False");
        assert!(
            ready.2.contains(problem),
            "{req}: pending message should say {problem:?}: {:?}",
            ready.2
        );
    }

    // The controller keeps serving the good issuer.
    let ok = openssl_csr(dir.path(), "ok.example.test", "ok.example.test");
    cluster
        .apply(Some(n), &request_yaml("good-after", "ca", &ok))
        .unwrap();
    cluster
        .wait_condition(
            "certificaterequest",
            "good-after",
            Some(n),
            "Ready",
            "True",
            Duration::from_secs(20),
        )
        .unwrap();
    // The broken ones are still pending and unsigned.
    for (secret, _) in cases {
        let req = format!("req-{secret}");
        assert_eq!(
            condition(cluster, "certificaterequest", &req, n, "Ready").1,
            "Pending"
        );
        assert!(request_pem(cluster, n, &req, "certificate").is_empty());
    }
    // Fixing a Secret (the mismatch case) lets its pending request complete without a restart.
    raw_tls_secret(cluster, n, "mismatch", &root_crt_pem, &root_key_pem);
    cluster
        .wait_condition(
            "issuer",
            "iss-mismatch",
            Some(n),
            "Ready",
            "True",
            Duration::from_secs(15),
        )
        .unwrap();
    cluster
        .wait_condition(
            "certificaterequest",
            "req-mismatch",
            Some(n),
            "Ready",
            "True",
            Duration::from_secs(40),
        )
        .unwrap();
    ctl.assert_no_key_material();
}

/// BC-05: an expired CA signs nothing; the failure is recorded once and backed off.
#[test]
fn bc05_expired_ca_signs_nothing() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("bc05").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_second(Timestamp::now().as_second()).unwrap();
    let not_after = now - SignedDuration::from_hours(1);
    let not_before = now - SignedDuration::from_hours(48);
    let (crt, key) = root_ca(
        dir.path(),
        "expired.example.test",
        &[
            "--not-before",
            &not_before.to_string(),
            "--not-after",
            &not_after.to_string(),
        ],
    )
    .unwrap();
    let ca_na = parse_certificates(&std::fs::read(&crt).unwrap()).unwrap()[0].not_after;
    assert_eq!(ca_na, not_after);
    tls_secret(cluster, n, "ca-key-pair", &crt, &key).unwrap();
    cluster
        .apply(Some(n), &ca_issuer_yaml("ca", "ca-key-pair"))
        .unwrap();
    let ctl = Controller::start(cluster, n, &[]).unwrap();

    let ready = wait_reason(cluster, "issuer", "ca", n, "Ready", "ErrInvalidKeyPair", 20);
    assert_eq!(ready.0, "False");
    assert!(
        ready.2.contains("expired") && ready.2.contains(&not_after.to_string()),
        "issuer message should say expired and {not_after}: {:?}",
        ready.2
    );

    cluster
        .apply(
            Some(n),
            &certificate("x", "  duration: 24h\n  dnsNames: [x.example.test]\n"),
        )
        .unwrap();
    let req = wait_reason(
        cluster,
        "certificaterequest",
        "x-1",
        n,
        "Ready",
        "Failed",
        30,
    );
    assert_eq!(req.0, "False");
    assert!(req.2.contains("expired"), "{req:?}");
    wait_for(Duration::from_secs(15), || {
        Ok(jsonpath(
            cluster,
            "certificate",
            "x",
            n,
            "{.status.failedIssuanceAttempts}",
        )? == "1")
    })
    .unwrap();
    let lft = jsonpath(cluster, "certificate", "x", n, "{.status.lastFailureTime}").unwrap();
    let lft = epoch(&lft).unwrap();
    assert!((lft - Timestamp::now().as_second()).abs() < 120, "{lft}");
    let cert_ready = condition(cluster, "certificate", "x", n, "Ready");
    assert_eq!(cert_ready.0, "False", "{cert_ready:?}");
    let issuing = condition(cluster, "certificate", "x", n, "Issuing");
    assert_eq!(
        (issuing.0.as_str(), issuing.1.as_str()),
        ("False", "Failed"),
        "{issuing:?}"
    );
    assert!(
        events(cluster, n, "x").contains("Warning Failed"),
        "a Warning event on the Certificate"
    );

    // Backoff 1h: no new request, no Secret, no further failure counted.
    std::thread::sleep(Duration::from_secs(20));
    assert_eq!(request_names(cluster, n).unwrap(), vec!["x-1".to_string()]);
    assert!(
        secret_entry(cluster, n, "x-tls", "tls.crt")
            .unwrap()
            .is_none(),
        "no Secret from an expired CA"
    );
    assert_eq!(
        jsonpath(
            cluster,
            "certificate",
            "x",
            n,
            "{.status.failedIssuanceAttempts}"
        )
        .unwrap(),
        "1"
    );
    ctl.assert_no_key_material();
}

/// BC-07: R -> I1 -> I2; tls.crt = [leaf, I2, I1], ca.crt = R, whatever the order of the
/// issuer Secret; without R, ca.crt = I1.
#[test]
fn bc07_intermediate_chains() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("bc07").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();

    let r_key = p256();
    let r = ca_cert("R bc07 root", &r_key, None, None, 8760);
    let r_ca = CaMaterial::load(&r, &r_key.to_pem(Default::default()).unwrap(), None).unwrap();
    let i1_key = p256();
    let i1 = ca_cert("I1 bc07 intermediate", &i1_key, Some(&r_ca), Some(1), 4380);
    let mut i1_chain = i1.clone();
    i1_chain.extend_from_slice(&r);
    let i1_ca =
        CaMaterial::load(&i1_chain, &i1_key.to_pem(Default::default()).unwrap(), None).unwrap();
    let i2_key = p256();
    let i2 = ca_cert("I2 bc07 intermediate", &i2_key, Some(&i1_ca), Some(0), 2190);
    let i2_key_pem = i2_key.to_pem(Default::default()).unwrap();

    let cat = |parts: &[&Vec<u8>]| parts.iter().flat_map(|p| p.iter().copied()).collect();
    let variants: [(&str, Vec<u8>); 4] = [
        ("ordered", cat(&[&i2, &i1, &r])),
        ("shuffled", cat(&[&r, &i2, &i1])),
        ("duplicate", cat(&[&i2, &i1, &i1, &r])),
        ("noroot", cat(&[&i2, &i1])),
    ];
    for (v, bundle) in &variants {
        raw_tls_secret(cluster, n, &format!("ca-{v}"), bundle, &i2_key_pem);
        cluster
            .apply(
                Some(n),
                &ca_issuer_yaml(&format!("iss-{v}"), &format!("ca-{v}")),
            )
            .unwrap();
    }
    let ctl = Controller::start(cluster, n, &[]).unwrap();
    for (v, _) in &variants {
        cluster
            .wait_condition(
                "issuer",
                &format!("iss-{v}"),
                Some(n),
                "Ready",
                "True",
                Duration::from_secs(20),
            )
            .unwrap();
        cluster
            .apply(
                Some(n),
                &format!(
                    "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: leaf-{v}\nspec:\n  secretName: leaf-{v}-tls\n  dnsNames: [svc.example.test]\n  privateKey:\n    algorithm: ECDSA\n  issuerRef:\n    name: iss-{v}\n    kind: Issuer\n"
                ),
            )
            .unwrap();
    }
    let (r_der, i1_der, i2_der) = (ders(&r).remove(0), ders(&i1).remove(0), ders(&i2).remove(0));
    let mut reference: Option<(Vec<Vec<u8>>, Vec<u8>)> = None;
    for (v, _) in &variants {
        let cert = format!("leaf-{v}");
        wait_ready(cluster, n, &cert, 30).unwrap();
        let secret = format!("{cert}-tls");
        let tls_crt = secret_entry(cluster, n, &secret, "tls.crt")
            .unwrap()
            .unwrap();
        let ca_crt = secret_entry(cluster, n, &secret, "ca.crt")
            .unwrap()
            .unwrap();
        let chain = ders(&tls_crt);
        assert_eq!(chain.len(), 3, "{v}: tls.crt = [leaf, I2, I1]");
        assert_eq!(chain[1], i2_der, "{v}: tls.crt[1] is I2");
        assert_eq!(chain[2], i1_der, "{v}: tls.crt[2] is I1");
        assert!(!chain.contains(&r_der), "{v}: no root in tls.crt");
        let ca = ders(&ca_crt);
        let want_top = if *v == "noroot" { &i1_der } else { &r_der };
        assert_eq!(ca.len(), 1, "{v}: ca.crt holds exactly one certificate");
        assert_eq!(&ca[0], want_top, "{v}: ca.crt is the top of the chain");
        // AKI of the leaf == SKI of I2 (openssl's reading).
        let leaf_pem = encode_pem("CERTIFICATE", &chain[0]);
        assert_eq!(
            key_id(dir.path(), &leaf_pem, "authorityKeyIdentifier"),
            key_id(dir.path(), &i2, "subjectKeyIdentifier"),
            "{v}: leaf AKI == SKI(I2)"
        );
        // openssl builds the path leaf -> I2 -> I1 -> R from the Secret alone.
        let untrusted = write(
            dir.path(),
            "untrusted.pem",
            &chain[1..]
                .iter()
                .flat_map(|d| encode_pem("CERTIFICATE", d))
                .collect::<Vec<u8>>(),
        )
        .unwrap();
        let leaf_p = write(dir.path(), "leaf.pem", &leaf_pem).unwrap();
        let root_p = write(dir.path(), "root.pem", &r).unwrap();
        let verified = openssl(&[
            "verify",
            "-CAfile",
            &root_p.to_string_lossy(),
            "-untrusted",
            &untrusted.to_string_lossy(),
            &leaf_p.to_string_lossy(),
        ])
        .unwrap();
        assert!(verified.contains(": OK"), "{v}: {verified}");
        if *v != "noroot" {
            let got = (chain[1..].to_vec(), ca[0].clone());
            match &reference {
                None => reference = Some(got),
                Some(want) => assert_eq!(&got, want, "{v}: same chain and ca.crt as `ordered`"),
            }
        }
    }
    ctl.assert_no_key_material();
}

/// BC-03: lifetimes beyond the CA's notAfter are clipped to it, renewal uses the actual
/// validity, a Warning event says so, and nothing loops.
#[test]
fn bc03_lifetime_clipped_to_ca_expiry() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("bc03").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let (crt, key) = root_ca(dir.path(), "short.example.test", &["--not-after", "168h"]).unwrap();
    let ca_na = parse_certificates(&std::fs::read(&crt).unwrap()).unwrap()[0].not_after;
    assert!((ca_na.as_second() - Timestamp::now().as_second() - 168 * 3600).abs() < 60);
    tls_secret(cluster, n, "ca-key-pair", &crt, &key).unwrap();
    cluster
        .apply(Some(n), &ca_issuer_yaml("ca", "ca-key-pair"))
        .unwrap();
    let ctl = Controller::start(cluster, n, &[]).unwrap();
    cluster
        .wait_condition(
            "issuer",
            "ca",
            Some(n),
            "Ready",
            "True",
            Duration::from_secs(20),
        )
        .unwrap();
    cluster
        .apply(
            Some(n),
            &format!(
                "{}---\n{}",
                certificate(
                    "a",
                    "  duration: 336h\n  renewBefore: 168h\n  dnsNames: [a.example.test]\n"
                ),
                certificate("b", "  duration: 107600h\n  dnsNames: [b.example.test]\n")
            ),
        )
        .unwrap();
    for name in ["a", "b"] {
        wait_ready(cluster, n, name, 30).unwrap();
        let tls = secret_entry(cluster, n, &format!("{name}-tls"), "tls.crt")
            .unwrap()
            .unwrap();
        let leaf = &parse_certificates(&tls).unwrap()[0];
        assert_eq!(leaf.not_after, ca_na, "{name}: notAfter == CA notAfter");
        let na = epoch(&jsonpath(cluster, "certificate", name, n, "{.status.notAfter}").unwrap())
            .unwrap();
        let nb = epoch(&jsonpath(cluster, "certificate", name, n, "{.status.notBefore}").unwrap())
            .unwrap();
        assert_eq!(na, ca_na.as_second());
        assert_eq!(nb, leaf.not_before.as_second());
        let rt =
            epoch(&jsonpath(cluster, "certificate", name, n, "{.status.renewalTime}").unwrap())
                .unwrap();
        let want = (3 * na - (na - nb)).div_euclid(3);
        assert_eq!(rt, want, "{name}: renewalTime = NA - (NA-NB)/3 (floored)");
        wait_for(Duration::from_secs(10), || {
            Ok(events(cluster, n, name).contains("Warning ClippedToIssuerExpiry"))
        })
        .unwrap_or_else(|e| {
            panic!(
                "{name}: no ClippedToIssuerExpiry Warning: {e:#}\n{}",
                events(cluster, n, name)
            )
        });
    }
    std::thread::sleep(Duration::from_secs(20));
    let mut reqs = request_names(cluster, n).unwrap();
    reqs.sort();
    assert_eq!(reqs, vec!["a-1".to_string(), "b-1".to_string()]);
    for name in ["a", "b"] {
        assert_eq!(
            jsonpath(cluster, "certificate", name, n, "{.status.revision}").unwrap(),
            "1"
        );
    }
    ctl.assert_no_key_material();
}
