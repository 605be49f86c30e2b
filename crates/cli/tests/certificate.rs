//! End-to-end tests of `anchorage certificate ...`: the built binary, checked with the `openssl`
//! CLI as an independent verifier (BC-18, BC-19, BC-20, BC-21 and the seed guide's commands).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test]

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

const NOW: &str = "2026-11-30T00:00:00Z";

fn anchorage(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anchorage"))
        .current_dir(dir)
        .env("ANCHORAGE_FAKE_NOW", NOW)
        .arg("certificate")
        .args(args)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = anchorage(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a failing command and returns its stderr.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = anchorage(dir, args);
    assert_eq!(out.status.code(), Some(1), "{args:?} should fail with 1");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one-line error: {err}");
    assert!(!err.contains("panicked"));
    err
}

fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn x509_text(dir: &Path, file: &str) -> String {
    let (ok, text) = openssl(dir, &["x509", "-in", file, "-noout", "-text"]);
    assert!(ok, "{text}");
    text
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const INSECURE: [&str; 2] = ["--no-password", "--insecure"];

fn create(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["create"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&INSECURE);
    ok(dir, &args)
}

/// The seed guide's two commands, with step replaced by anchorage.
fn seed_root_and_issuer(dir: &Path) {
    create(
        dir,
        &[
            "root.linkerd.cluster.local",
            "ca.crt",
            "ca.key",
            "--profile",
            "root-ca",
        ],
    );
    create(
        dir,
        &[
            "identity.linkerd.cluster.local",
            "issuer.crt",
            "issuer.key",
            "--profile",
            "intermediate-ca",
            "--not-after",
            "8760h",
            "--ca",
            "ca.crt",
            "--ca-key",
            "ca.key",
        ],
    );
}

#[test]
fn seed_commands_produce_what_openssl_and_linkerd_expect() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    seed_root_and_issuer(dir);

    let (verified, out) = openssl(
        dir,
        &[
            "verify",
            "-attime",
            "1796083200",
            "-CAfile",
            "ca.crt",
            "issuer.crt",
        ],
    );
    assert!(verified, "{out}");

    let root = x509_text(dir, "ca.crt");
    assert!(root.contains("CA:TRUE, pathlen:1"), "{root}");
    assert!(root.contains("X509v3 Basic Constraints: critical"));
    assert!(
        root.contains("X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign\n")
    );
    assert!(!root.contains("Extended Key Usage"));
    assert!(root.contains("X509v3 Subject Key Identifier"));
    assert!(root.contains("NIST CURVE: P-256"));
    assert!(root.contains("Signature Algorithm: ecdsa-with-SHA256"));
    assert!(
        root.contains("Not After : Nov 27 00:00:00 2036 GMT"),
        "{root}"
    );

    let issuer = x509_text(dir, "issuer.crt");
    assert!(issuer.contains("CA:TRUE, pathlen:0"), "{issuer}");
    assert!(issuer.contains("Certificate Sign, CRL Sign\n"));
    assert!(issuer.contains("NIST CURVE: P-256"));
    assert!(issuer.contains("Signature Algorithm: ecdsa-with-SHA256"));
    assert!(
        issuer.contains("Not After : Nov 30 00:00:00 2027 GMT"),
        "{issuer}"
    );
    // AKI of the issuer == SKI of the root.
    let ski = |t: &str| {
        t.lines()
            .skip_while(|l| !l.contains("Subject Key Identifier"))
            .nth(1)
            .unwrap()
            .trim()
            .to_string()
    };
    let aki = issuer
        .lines()
        .skip_while(|l| !l.contains("Authority Key Identifier"))
        .nth(1)
        .unwrap()
        .trim()
        .trim_start_matches("keyid:")
        .to_string();
    assert_eq!(aki, ski(&root));

    for key in ["ca.key", "issuer.key"] {
        let meta = std::fs::metadata(dir.join(key)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{key}");
        let pem = std::fs::read_to_string(dir.join(key)).unwrap();
        assert!(pem.starts_with("-----BEGIN EC PRIVATE KEY-----\n"), "{pem}");
        assert!(pem.ends_with("-----END EC PRIVATE KEY-----\n"));
        let (ok, out) = openssl(dir, &["ec", "-in", key, "-noout", "-check"]);
        assert!(ok, "{out}");
    }
}

#[test]
fn every_profile_and_key_type_passes_openssl_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    seed_root_and_issuer(dir);
    let at = "1796040000"; // 2026-11-30T12:00:00Z
    // Leaves under the issuer, several key types.
    for (name, extra) in [
        ("ec", vec![]),
        ("p384", vec!["--curve", "P-384"]),
        ("rsa", vec!["--kty", "RSA", "--size", "2048"]),
        ("ed", vec!["--kty", "OKP", "--curve", "Ed25519"]),
    ] {
        let crt = format!("{name}.crt");
        let key = format!("{name}.key");
        let mut args = vec![
            "web.linkerd.svc",
            crt.as_str(),
            key.as_str(),
            "--profile",
            "leaf",
            "--ca",
            "issuer.crt",
            "--ca-key",
            "issuer.key",
            "--san",
            "web.linkerd.svc",
            "--san",
            "10.0.0.7",
        ];
        args.extend(extra);
        create(dir, &args);
        let (verified, out) = openssl(
            dir,
            &[
                "verify",
                "-attime",
                at,
                "-purpose",
                "sslserver",
                "-verify_hostname",
                "web.linkerd.svc",
                "-CAfile",
                "ca.crt",
                "-untrusted",
                "issuer.crt",
                &crt,
            ],
        );
        assert!(verified, "{name}: {out}");
        let text = x509_text(dir, &crt);
        assert!(text.contains("CA:FALSE"), "{text}");
        assert!(text.contains("TLS Web Server Authentication, TLS Web Client Authentication"));
        assert!(
            text.contains("DNS:web.linkerd.svc, IP Address:10.0.0.7"),
            "{text}"
        );
        if name == "rsa" {
            assert!(
                text.contains("Digital Signature, Key Encipherment\n"),
                "{text}"
            );
        } else {
            assert!(text.contains("Digital Signature\n"), "{text}");
        }
        assert!(
            text.contains("Not After : Dec  1 00:00:00 2026 GMT"),
            "{text}"
        );
    }
    // A leaf with no --san gets its subject as a DNS SAN (step's behaviour).
    create(
        dir,
        &[
            "svc.example.test",
            "d.crt",
            "d.key",
            "--ca",
            "issuer.crt",
            "--ca-key",
            "issuer.key",
        ],
    );
    assert!(x509_text(dir, "d.crt").contains("DNS:svc.example.test"));
    // Self-signed leaf and RSA / Ed25519 roots.
    create(
        dir,
        &[
            "self.example.test",
            "self.crt",
            "self.key",
            "--profile",
            "self-signed",
        ],
    );
    let (verified, out) = openssl(
        dir,
        &["verify", "-attime", at, "-CAfile", "self.crt", "self.crt"],
    );
    assert!(verified, "{out}");
    for (name, extra) in [
        ("rsa-root", vec!["--kty", "RSA", "--size", "3072"]),
        ("ed-root", vec!["--kty", "OKP"]),
        ("p521-root", vec!["--curve", "P-521"]),
    ] {
        let crt = format!("{name}.crt");
        let key = format!("{name}.key");
        let mut args = vec!["root", crt.as_str(), key.as_str(), "--profile", "root-ca"];
        args.extend(extra);
        create(dir, &args);
        let (verified, out) = openssl(dir, &["verify", "-attime", at, "-CAfile", &crt, &crt]);
        assert!(verified, "{name}: {out}");
        let text = x509_text(dir, &crt);
        match name {
            "rsa-root" => assert!(text.contains("sha384WithRSAEncryption"), "{text}"),
            "ed-root" => assert!(text.contains("ED25519"), "{text}"),
            _ => assert!(text.contains("ecdsa-with-SHA512"), "{text}"),
        }
    }
    let rsa_key = std::fs::read_to_string(dir.join("rsa.key")).unwrap();
    assert!(rsa_key.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    let ed_key = std::fs::read_to_string(dir.join("ed.key")).unwrap();
    assert!(ed_key.starts_with("-----BEGIN PRIVATE KEY-----\n"));
}

#[test]
fn bc18_long_common_name_is_refused_without_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    seed_root_and_issuer(dir);
    let before = files(dir);
    let cn65 = "a".repeat(65);
    let mut args = vec![
        "create",
        cn65.as_str(),
        "a.crt",
        "a.key",
        "--profile",
        "leaf",
        "--ca",
        "issuer.crt",
        "--ca-key",
        "issuer.key",
    ];
    args.extend(INSECURE);
    let err = fails(dir, &args);
    assert!(err.contains("at most 64 bytes"), "{err}");
    let cn66 = "é".repeat(33);
    args[1] = cn66.as_str();
    let err = fails(dir, &args);
    assert!(err.contains("66 bytes"), "{err}");
    assert_eq!(files(dir), before);
    // Exactly 64 bytes is fine and verbatim.
    let cn64 = "b".repeat(64);
    args[1] = cn64.as_str();
    ok(dir, &args);
    assert!(x509_text(dir, "a.crt").contains(&format!("CN = {cn64}")));
}

#[test]
fn bc19_not_after_values() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let asn1 = |file: &str| {
        let (ok, out) = openssl(dir, &["asn1parse", "-in", file]);
        assert!(ok, "{out}");
        out
    };
    create(
        dir,
        &[
            "r1",
            "r1.crt",
            "r1.key",
            "--profile",
            "root-ca",
            "--not-after",
            "87600h",
        ],
    );
    let out = asn1("r1.crt");
    assert!(out.contains("UTCTIME           :361127000000Z"), "{out}");
    create(
        dir,
        &[
            "r2",
            "r2.crt",
            "r2.key",
            "--profile",
            "root-ca",
            "--not-after",
            "262800h",
        ],
    );
    let out = asn1("r2.crt");
    assert!(out.contains("GENERALIZEDTIME   :20561122000000Z"), "{out}");
    create(
        dir,
        &[
            "r3",
            "r3.crt",
            "r3.key",
            "--profile",
            "root-ca",
            "--not-after",
            "2027-01-01T00:00:00+02:00",
        ],
    );
    let json = ok(dir, &["inspect", "r3.crt", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["not_after"], "2026-12-31T22:00:00Z");
    assert_eq!(v[0]["not_before"], NOW);

    let before = files(dir);
    let mut args = vec![
        "create",
        "r4",
        "r4.crt",
        "r4.key",
        "--profile",
        "root-ca",
        "--not-after",
        "90d",
    ];
    args.extend(INSECURE);
    let err = fails(dir, &args);
    assert!(
        err.contains(r#"time: unknown unit "d" in duration "90d""#),
        "{err}"
    );
    assert_eq!(files(dir), before);
}

#[test]
fn bc20_path_length_and_duplicate_subject_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    seed_root_and_issuer(dir);
    let before = files(dir);
    let mut step3 = vec![
        "create",
        "sub.linkerd.cluster.local",
        "sub.crt",
        "sub.key",
        "--profile",
        "intermediate-ca",
        "--ca",
        "issuer.crt",
        "--ca-key",
        "issuer.key",
    ];
    step3.extend(INSECURE);
    let err = fails(dir, &step3);
    assert!(
        err.contains("path length") && err.contains("pathlen:0"),
        "{err}"
    );
    let mut step4 = vec![
        "create",
        "root.linkerd.cluster.local",
        "dup.crt",
        "dup.key",
        "--profile",
        "intermediate-ca",
        "--ca",
        "ca.crt",
        "--ca-key",
        "ca.key",
    ];
    step4.extend(INSECURE);
    let err = fails(dir, &step4);
    assert!(err.contains("duplicate subject"), "{err}");
    assert_eq!(files(dir), before);
    // Profile / CA flag mismatches.
    let err = fails(
        dir,
        &[
            "create",
            "x",
            "x.crt",
            "x.key",
            "--profile",
            "leaf",
            "--no-password",
            "--insecure",
        ],
    );
    assert!(err.contains("--ca"), "{err}");
    let err = fails(
        dir,
        &[
            "create",
            "x",
            "x.crt",
            "x.key",
            "--profile",
            "root-ca",
            "--ca",
            "ca.crt",
            "--ca-key",
            "ca.key",
            "--no-password",
            "--insecure",
        ],
    );
    assert!(err.contains("self-signed"), "{err}");
    assert_eq!(files(dir), before);
}

#[test]
fn bc21_password_flags_and_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let err = fails(
        dir,
        &[
            "create",
            "r",
            "r.crt",
            "r.key",
            "--profile",
            "root-ca",
            "--no-password",
        ],
    );
    assert_eq!(
        err.trim_end(),
        "error: flag '--no-password' requires the '--insecure' flag"
    );
    let err = fails(
        dir,
        &["create", "r", "r.crt", "r.key", "--profile", "root-ca"],
    );
    assert!(err.contains("--no-password --insecure"), "{err}");
    assert!(files(dir).is_empty());

    create(dir, &["r", "r.crt", "r.key", "--profile", "root-ca"]);
    let key = std::fs::read(dir.join("r.key")).unwrap();
    let pem = String::from_utf8(key.clone()).unwrap();
    assert!(pem.starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
    assert_eq!(pem.matches("-----BEGIN").count(), 1);
    assert_eq!(
        std::fs::metadata(dir.join("r.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    // Re-running never overwrites without --force, and writes nothing.
    let crt = std::fs::read(dir.join("r.crt")).unwrap();
    let mut again = vec!["create", "r", "r.crt", "r.key", "--profile", "root-ca"];
    again.extend(INSECURE);
    let err = fails(dir, &again);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    let mut only_key = vec!["create", "r", "new.crt", "r.key", "--profile", "root-ca"];
    only_key.extend(INSECURE);
    fails(dir, &only_key);
    assert!(!dir.join("new.crt").exists());
    assert_eq!(std::fs::read(dir.join("r.key")).unwrap(), key);
    assert_eq!(std::fs::read(dir.join("r.crt")).unwrap(), crt);
    again.push("--force");
    ok(dir, &again);
    assert_ne!(std::fs::read(dir.join("r.key")).unwrap(), key);
    assert_eq!(
        std::fs::metadata(dir.join("r.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert_eq!(
        files(dir),
        vec!["r.crt", "r.key"],
        "no temporary files left"
    );
}

#[test]
fn inspect_bundle_fingerprint_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    seed_root_and_issuer(dir);
    // BC-02: renewal instants shown by inspect.
    let text = ok(dir, &["inspect", "issuer.crt", "--renew-before", "1440h"]);
    assert!(text.contains("Validity\n            Not Before: 2026-11-30T00:00:00Z\n            Not After : 2027-11-30T00:00:00Z"), "{text}");
    assert!(
        text.contains("Renewal   : 2027-10-01T00:00:00Z (renewBefore 1440h0m0s)"),
        "{text}"
    );
    assert!(text.contains("CA:TRUE, pathlen:0"));
    assert!(text.contains("Certificate Sign, CRL Sign"));
    let json = ok(dir, &["inspect", "issuer.crt", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["renewal_time"], "2027-07-31T08:00:00Z"); // NA - 2920h
    assert_eq!(v[0]["curve"], "P-256");
    assert_eq!(v[0]["usages"], serde_json::json!(["cert sign", "crl sign"]));
    // stdin
    let out = Command::new(env!("CARGO_BIN_EXE_anchorage"))
        .args(["certificate", "inspect", "-"])
        .env("ANCHORAGE_FAKE_NOW", NOW)
        .stdin(std::fs::File::open(dir.join("ca.crt")).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Subject: CN=root.linkerd.cluster.local")
    );

    // fingerprint == openssl's SHA-256 fingerprint
    let fp = ok(dir, &["fingerprint", "ca.crt"]);
    let (_, theirs) = openssl(
        dir,
        &["x509", "-in", "ca.crt", "-noout", "-fingerprint", "-sha256"],
    );
    let theirs = theirs
        .trim()
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "")
        .to_lowercase();
    assert_eq!(fp.trim(), theirs);

    // bundle: new anchor + original (with CRLF and a duplicate), normalised, de-duplicated.
    create(
        dir,
        &[
            "root.linkerd.cluster.local",
            "ca-new.crt",
            "ca-new.key",
            "--profile",
            "root-ca",
        ],
    );
    let orig = std::fs::read_to_string(dir.join("ca.crt")).unwrap();
    std::fs::write(
        dir.join("original-trust.crt"),
        format!("{}\r\n\r\n{orig}", orig.replace('\n', "\r\n")),
    )
    .unwrap();
    ok(
        dir,
        &["bundle", "ca-new.crt", "original-trust.crt", "bundle.crt"],
    );
    let bundle = std::fs::read_to_string(dir.join("bundle.crt")).unwrap();
    let new = std::fs::read_to_string(dir.join("ca-new.crt")).unwrap();
    assert_eq!(bundle, format!("{new}{orig}"));
    let err = fails(dir, &["bundle", "ca-new.crt", "bundle.crt"]);
    assert!(err.contains("already exists"), "{err}");
    // a leaf is refused
    create(
        dir,
        &[
            "leaf.test",
            "leaf.crt",
            "leaf.key",
            "--ca",
            "issuer.crt",
            "--ca-key",
            "issuer.key",
        ],
    );
    let err = fails(dir, &["bundle", "ca.crt", "leaf.crt", "b2.crt"]);
    assert!(err.contains("not a CA certificate"), "{err}");
    assert!(!dir.join("b2.crt").exists());
    // an expired anchor is bundled with a warning
    create(
        dir,
        &[
            "old",
            "old.crt",
            "old.key",
            "--profile",
            "root-ca",
            "--not-before",
            "2020-01-01T00:00:00Z",
            "--not-after",
            "2021-01-01T00:00:00Z",
        ],
    );
    let out = anchorage(dir, &["bundle", "ca.crt", "old.crt", "b3.crt"]);
    assert!(out.status.success());
    let warn = String::from_utf8_lossy(&out.stderr);
    assert!(
        warn.contains("CN=old") && warn.contains("expired at 2021-01-01T00:00:00Z"),
        "{warn}"
    );

    // verify
    std::fs::write(
        dir.join("chain.crt"),
        [
            std::fs::read(dir.join("leaf.crt")).unwrap(),
            std::fs::read(dir.join("issuer.crt")).unwrap(),
        ]
        .concat(),
    )
    .unwrap();
    ok(
        dir,
        &[
            "verify",
            "chain.crt",
            "--roots",
            "ca.crt",
            "--host",
            "leaf.test",
        ],
    );
    let err = fails(
        dir,
        &[
            "verify",
            "chain.crt",
            "--roots",
            "ca.crt",
            "--host",
            "other.test",
        ],
    );
    assert!(err.contains("hostname mismatch"), "{err}");
    let err = fails(dir, &["verify", "chain.crt", "--roots", "ca-new.crt"]);
    assert!(err.contains("did not verify"), "{err}");
}
