//! Certificate issuance, renewal and repair against the real API server (issue 6): each test
//! has its own namespace and a controller watching only that namespace.

mod common;

use std::time::Duration;

use anchorage_e2e::{Cluster, wait_for};
use common::*;

#[test]
fn renewal_for_real_rotates_key_and_prunes_requests() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("renew").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctl = Controller::start(cluster, ns.name(), &[]).unwrap();
    ca_issuer(cluster, ns.name(), dir.path()).unwrap();
    cluster
        .apply(
            Some(ns.name()),
            &certificate(
                "fast",
                "  duration: 1h\n  renewBefore: 59m50s\n  dnsNames: [fast.example.test]\n  privateKey:\n    algorithm: ECDSA\n",
            ),
        )
        .unwrap();
    wait_ready(cluster, ns.name(), "fast", 30).unwrap();
    let na = jsonpath(
        cluster,
        "certificate",
        "fast",
        ns.name(),
        "{.status.notAfter}",
    )
    .unwrap();
    let rt = jsonpath(
        cluster,
        "certificate",
        "fast",
        ns.name(),
        "{.status.renewalTime}",
    )
    .unwrap();
    assert_eq!(epoch(&na).unwrap() - epoch(&rt).unwrap(), 59 * 60 + 50);
    let key1 = secret_entry(cluster, ns.name(), "fast-tls", "tls.key")
        .unwrap()
        .unwrap();
    let writes_before = ctl.writes().unwrap();
    // Re-issued 10 s after signing: revision 2.
    wait_for(Duration::from_secs(25), || {
        Ok(jsonpath(
            cluster,
            "certificate",
            "fast",
            ns.name(),
            "{.status.revision}",
        )? == "2")
    })
    .unwrap();
    let rt2 = jsonpath(
        cluster,
        "certificate",
        "fast",
        ns.name(),
        "{.status.renewalTime}",
    )
    .unwrap();
    assert!(epoch(&rt2).unwrap() > epoch(&rt).unwrap());
    let key2 = secret_entry(cluster, ns.name(), "fast-tls", "tls.key")
        .unwrap()
        .unwrap();
    assert_ne!(key1, key2, "rotationPolicy Always gives a new key");
    wait_for(Duration::from_secs(5), || {
        Ok(request_names(cluster, ns.name())? == vec!["fast-2".to_string()])
    })
    .unwrap();
    let writes = ctl.writes().unwrap() - writes_before;
    assert!(
        writes <= 5,
        "a renewal took {writes} API writes (target <= 5)"
    );
    ctl.assert_no_key_material();
}

#[test]
fn secret_deleted_or_edited_is_restored_precisely() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("bc15").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let ctl = Controller::start(cluster, n, &[]).unwrap();
    ca_issuer(cluster, n, dir.path()).unwrap();
    cluster
        .apply(Some(n), &certificate("c", "  duration: 48h\n  renewBefore: 25h\n  isCA: true\n  commonName: identity.linkerd.cluster.local\n  privateKey:\n    algorithm: ECDSA\n  usages: [cert sign, crl sign, server auth, client auth]\n"))
        .unwrap();
    wait_ready(cluster, n, "c", 30).unwrap();
    let first_issuance = ctl.writes().unwrap();
    assert!(
        first_issuance <= 5,
        "first issuance took {first_issuance} writes (plus issuer status)"
    );

    // Steady state: zero writes.
    std::thread::sleep(Duration::from_secs(2));
    let w0 = ctl.writes().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(ctl.writes().unwrap(), w0, "no writes when nothing is due");

    // (c) an unrelated annotation: no request, annotation kept.
    cluster
        .kubectl(&[
            "annotate",
            "secret",
            "c-tls",
            "-n",
            n,
            "example.com/note=kept",
        ])
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(request_names(cluster, n).unwrap(), vec!["c-1".to_string()]);
    assert_eq!(
        jsonpath(
            cluster,
            "secret",
            "c-tls",
            n,
            "{.metadata.annotations.example\\.com/note}"
        )
        .unwrap(),
        "kept"
    );

    // (d) only ca.crt removed: restored, no new request.
    cluster
        .kubectl(&[
            "patch",
            "secret",
            "c-tls",
            "-n",
            n,
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/data/ca.crt"}]"#,
        ])
        .unwrap();
    wait_for(Duration::from_secs(10), || {
        Ok(secret_entry(cluster, n, "c-tls", "ca.crt")?.is_some())
    })
    .unwrap();
    assert_eq!(request_names(cluster, n).unwrap(), vec!["c-1".to_string()]);

    // (a) deleted: recreated with reason DoesNotExist.
    cluster
        .kubectl(&["delete", "secret", "c-tls", "-n", n])
        .unwrap();
    wait_for(Duration::from_secs(10), || {
        Ok(secret_entry(cluster, n, "c-tls", "tls.crt")?.is_some())
    })
    .unwrap();
    wait_for(Duration::from_secs(10), || {
        Ok(events(cluster, n, "c")
            .contains("Issuing: Issuing certificate as Secret does not exist"))
    })
    .unwrap();
    wait_ready(cluster, n, "c", 20).unwrap();

    // (b) tls.key replaced by another valid key: SecretMismatch, and the new pair matches.
    let other = openssl(&["ecparam", "-name", "prime256v1", "-genkey", "-noout"]).unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(other.as_bytes());
    cluster
        .kubectl(&[
            "patch",
            "secret",
            "c-tls",
            "-n",
            n,
            "-p",
            &format!(r#"{{"data":{{"tls.key":"{b64}"}}}}"#),
        ])
        .unwrap();
    wait_for(Duration::from_secs(15), || {
        Ok(events(cluster, n, "c").contains("Issuing certificate as Secret contains a private key that does not match the certificate"))
    })
    .unwrap();
    wait_for(Duration::from_secs(15), || {
        let crt = secret_entry(cluster, n, "c-tls", "tls.crt")?.unwrap_or_default();
        let key = secret_entry(cluster, n, "c-tls", "tls.key")?.unwrap_or_default();
        Ok(!crt.is_empty()
            && spki_sha256_of_cert(dir.path(), &crt)? == spki_sha256_of_key(dir.path(), &key)?)
    })
    .unwrap();
    wait_ready(cluster, n, "c", 20).unwrap();
    ctl.assert_no_key_material();
}

#[test]
fn manual_trigger_reissues_once() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("manual").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let _ctl = Controller::start(cluster, n, &[]).unwrap();
    ca_issuer(cluster, n, dir.path()).unwrap();
    cluster
        .apply(Some(n), &certificate("m", "  dnsNames: [m.example.test]\n"))
        .unwrap();
    wait_ready(cluster, n, "m", 30).unwrap();
    // What `cmctl renew` does: set Issuing=True on the status subresource.
    cluster
        .kubectl(&[
            "patch", "certificate", "m", "-n", n, "--subresource=status", "--type=merge", "-p",
            r#"{"status":{"conditions":[{"type":"Issuing","status":"True","reason":"ManuallyTriggered","message":"Certificate re-issuance manually triggered","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}"#,
        ])
        .unwrap();
    wait_for(Duration::from_secs(15), || {
        Ok(jsonpath(cluster, "certificate", "m", n, "{.status.revision}")? == "2")
    })
    .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        jsonpath(cluster, "certificate", "m", n, "{.status.revision}").unwrap(),
        "2",
        "re-issued exactly once"
    );
    let issuing = jsonpath(
        cluster,
        "certificate",
        "m",
        n,
        "{.status.conditions[?(@.type==\"Issuing\")].status}",
    )
    .unwrap();
    assert!(
        issuing.is_empty(),
        "Issuing cleared after the manual renewal: {issuing}"
    );
}

#[test]
fn key_algorithm_change_respects_rotation_policy() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("bc13").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let _ctl = Controller::start(cluster, n, &[]).unwrap();
    ca_issuer(cluster, n, dir.path()).unwrap();
    for (name, policy) in [("never", "Never"), ("omitted", ""), ("always", "Always")] {
        let rp = if policy.is_empty() {
            String::new()
        } else {
            format!("    rotationPolicy: {policy}\n")
        };
        cluster
            .apply(
                Some(n),
                &certificate(
                    name,
                    &format!(
                        "  dnsNames: [{name}.example.test]\n  privateKey:\n    algorithm: RSA\n{rp}"
                    ),
                ),
            )
            .unwrap();
    }
    for name in ["never", "omitted", "always"] {
        wait_ready(cluster, n, name, 60).unwrap();
    }
    let never_key = secret_entry(cluster, n, "never-tls", "tls.key")
        .unwrap()
        .unwrap();
    for (name, policy) in [("never", "Never"), ("omitted", ""), ("always", "Always")] {
        let rp = if policy.is_empty() {
            String::new()
        } else {
            format!("    rotationPolicy: {policy}\n")
        };
        cluster
            .apply(Some(n), &certificate(name, &format!("  dnsNames: [{name}.example.test]\n  privateKey:\n    algorithm: ECDSA\n    size: 256\n{rp}")))
            .unwrap();
    }
    // (a) Never: Issuing with SecretMismatch, CannotRegenerateKey, Secret unchanged.
    wait_for(Duration::from_secs(15), || {
        Ok(events(cluster, n, "never").contains("CannotRegenerateKey"))
    })
    .unwrap();
    let msg = jsonpath(
        cluster,
        "certificate",
        "never",
        n,
        "{.status.conditions[?(@.type==\"Issuing\")].message}",
    )
    .unwrap();
    assert_eq!(
        msg,
        "Existing private key is not up to date for spec: [spec.privateKey.algorithm]"
    );
    let reason = jsonpath(
        cluster,
        "certificate",
        "never",
        n,
        "{.status.conditions[?(@.type==\"Issuing\")].reason}",
    )
    .unwrap();
    assert_eq!(reason, "SecretMismatch");
    assert!(events(cluster, n, "never").contains("[spec.privateKey.algorithm]"));
    assert_eq!(
        secret_entry(cluster, n, "never-tls", "tls.key")
            .unwrap()
            .unwrap(),
        never_key
    );
    // (b), (c): a new P-256 key.
    for name in ["omitted", "always"] {
        wait_for(Duration::from_secs(20), || {
            let key =
                secret_entry(cluster, n, &format!("{name}-tls"), "tls.crt")?.unwrap_or_default();
            let p = write(dir.path(), &format!("{name}.crt"), &key)?;
            let text = openssl(&["x509", "-in", &p.to_string_lossy(), "-noout", "-text"])?;
            Ok(text.contains("id-ecPublicKey") && text.contains("prime256v1"))
        })
        .unwrap();
    }
}

#[test]
fn key_encodings_and_switch_under_rotation_never() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("bc11").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let _ctl = Controller::start(cluster, n, &[]).unwrap();
    ca_issuer(cluster, n, dir.path()).unwrap();
    let cases = [
        (
            "pv",
            "    algorithm: ECDSA\n    encoding: PKCS8\n",
            "-----BEGIN PRIVATE KEY-----\n",
        ),
        (
            "ecdef",
            "    algorithm: ECDSA\n",
            "-----BEGIN EC PRIVATE KEY-----\n",
        ),
        (
            "rsa1",
            "    algorithm: RSA\n    encoding: PKCS1\n",
            "-----BEGIN RSA PRIVATE KEY-----\n",
        ),
    ];
    for (name, pk, _) in cases {
        cluster
            .apply(Some(n), &certificate(name, &format!("  dnsNames: [{name}.linkerd.svc]\n  usages: [server auth]\n  duration: 24h\n  renewBefore: 1h\n  privateKey:\n{pk}    rotationPolicy: Never\n")))
            .unwrap();
    }
    for (name, _, first_line) in cases {
        wait_ready(cluster, n, name, 60).unwrap();
        let key = secret_entry(cluster, n, &format!("{name}-tls"), "tls.key")
            .unwrap()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&key).starts_with(first_line),
            "{name}"
        );
        assert_eq!(super_count(&key, "-----BEGIN"), 1, "{name}: one PEM block");
    }
    {
        use rustls_pki_types::pem::PemObject;
        let key = secret_entry(cluster, n, "pv-tls", "tls.key")
            .unwrap()
            .unwrap();
        assert!(matches!(
            rustls_pki_types::PrivateKeyDer::from_pem_slice(&key).unwrap(),
            rustls_pki_types::PrivateKeyDer::Pkcs8(_)
        ));
    }
    // Switch ecdef to PKCS8 (still Never): BEGIN PRIVATE KEY with the same SPKI.
    let before = secret_entry(cluster, n, "ecdef-tls", "tls.key")
        .unwrap()
        .unwrap();
    let spki_before = spki_sha256_of_key(dir.path(), &before).unwrap();
    cluster
        .apply(Some(n), &certificate("ecdef", "  dnsNames: [ecdef.linkerd.svc]\n  usages: [server auth]\n  duration: 24h\n  renewBefore: 1h\n  privateKey:\n    algorithm: ECDSA\n    encoding: PKCS8\n    rotationPolicy: Never\n"))
        .unwrap();
    wait_for(Duration::from_secs(15), || {
        let key = secret_entry(cluster, n, "ecdef-tls", "tls.key")?.unwrap_or_default();
        Ok(String::from_utf8_lossy(&key).starts_with("-----BEGIN PRIVATE KEY-----\n"))
    })
    .unwrap();
    let after = secret_entry(cluster, n, "ecdef-tls", "tls.key")
        .unwrap()
        .unwrap();
    assert_eq!(spki_sha256_of_key(dir.path(), &after).unwrap(), spki_before);
}

fn super_count(hay: &[u8], needle: &str) -> usize {
    String::from_utf8_lossy(hay).matches(needle).count()
}

#[test]
fn san_edits_reissue_and_bad_specs_are_rejected_by_the_api_server() {
    let cluster = Cluster::shared().unwrap();
    install_crds(cluster).unwrap();
    let ns = cluster.namespace("bc17").unwrap();
    let n = ns.name();
    let dir = tempfile::tempdir().unwrap();
    let _ctl = Controller::start(cluster, n, &[]).unwrap();
    ca_issuer(cluster, n, dir.path()).unwrap();
    let spec = |ips: &str| {
        certificate(
            "sans",
            &format!(
                "  dnsNames: [\"*.svc.example.test\", svc.example.test]\n  ipAddresses: [{ips}]\n"
            ),
        )
    };
    cluster
        .apply(Some(n), &spec("\"10.0.0.1\", \"::1\""))
        .unwrap();
    wait_ready(cluster, n, "sans", 30).unwrap();
    let crt = secret_entry(cluster, n, "sans-tls", "tls.crt")
        .unwrap()
        .unwrap();
    let p = write(dir.path(), "sans.crt", &crt).unwrap();
    let sans = openssl(&[
        "x509",
        "-in",
        &p.to_string_lossy(),
        "-noout",
        "-ext",
        "subjectAltName",
    ])
    .unwrap();
    assert!(sans.contains("DNS:*.svc.example.test, DNS:svc.example.test, IP Address:10.0.0.1, IP Address:0:0:0:0:0:0:0:1"), "{sans}");
    let subject = openssl(&["x509", "-in", &p.to_string_lossy(), "-noout", "-subject"]).unwrap();
    assert!(!subject.contains("CN"), "no CN filled from SANs: {subject}");

    cluster
        .apply(Some(n), &spec("\"10.0.0.1\", \"::1\", \"10.0.0.2\""))
        .unwrap();
    wait_for(Duration::from_secs(15), || {
        Ok(events(cluster, n, "sans")
            .contains("Existing issued Secret is not up to date for spec: [spec.ipAddresses]"))
    })
    .unwrap();
    wait_for(Duration::from_secs(15), || {
        Ok(jsonpath(cluster, "certificate", "sans", n, "{.status.revision}")? == "2")
    })
    .unwrap();

    // The API server rejects invalid specs (CEL in the generated CRDs), naming the field.
    for (bad, expect) in [
        (spec("\"\""), "spec.ipAddresses"),
        (spec("\"10.0.0.256\""), "spec.ipAddresses"),
        (
            certificate(
                "bc01",
                "  dnsNames: [a.example.test]\n  duration: 2160h\n  renewBefore: 2160h\n",
            ),
            "renewBefore",
        ),
        (
            certificate("bc01b", "  dnsNames: [a.example.test]\n  renewBefore: 4m\n"),
            "renewBefore",
        ),
        (
            certificate("bc19", "  dnsNames: [a.example.test]\n  duration: 59m59s\n"),
            "duration",
        ),
        (
            certificate("bc18", &format!("  commonName: {}\n", "a".repeat(65))),
            "commonName",
        ),
        (
            certificate("bc18b", &format!("  commonName: {}\n", "é".repeat(33))),
            "commonName",
        ),
    ] {
        let err = cluster
            .apply(Some(n), &bad)
            .expect_err("the API server must reject this");
        assert!(
            format!("{err:#}").contains(expect),
            "expected a message naming {expect}: {err:#}"
        );
    }
    cluster
        .apply(
            Some(n),
            &certificate(
                "bc01ok",
                "  dnsNames: [a.example.test]\n  duration: 2160h\n  renewBefore: 2159h59m\n",
            ),
        )
        .unwrap();
    cluster
        .apply(
            Some(n),
            &certificate("bc18ok", &format!("  commonName: {}\n", "a".repeat(64))),
        )
        .unwrap();
    wait_ready(cluster, n, "bc01ok", 30).unwrap();
    let na = jsonpath(cluster, "certificate", "bc01ok", n, "{.status.notAfter}").unwrap();
    let rt = jsonpath(cluster, "certificate", "bc01ok", n, "{.status.renewalTime}").unwrap();
    assert_eq!(
        epoch(&na).unwrap() - epoch(&rt).unwrap(),
        2159 * 3600 + 59 * 60
    );
}
