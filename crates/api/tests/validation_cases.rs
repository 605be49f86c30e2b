//! Table tests of the pure validation for the behaviour cases BC-01, BC-17, BC-18 and BC-19
//! (durations part) in /work/shared/cases.md.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)] // test code

use anchorage_api::{CertificateSpec, Duration, FieldError, IssuerRef, validate_certificate_spec};
use jiff::SignedDuration;

/// `Certificate{secretName: c1, issuerRef: {name: ca, kind: Issuer}, dnsNames: [a.example.test]}`.
fn base() -> CertificateSpec {
    CertificateSpec {
        secret_name: "c1".into(),
        issuer_ref: IssuerRef::issuer("ca"),
        dns_names: Some(vec!["a.example.test".into()]),
        ..CertificateSpec::default()
    }
}

fn with_durations(duration: Option<&str>, renew_before: Option<&str>) -> CertificateSpec {
    CertificateSpec {
        duration: duration.map(Duration::from),
        renew_before: renew_before.map(Duration::from),
        ..base()
    }
}

fn lines(errors: &[FieldError]) -> Vec<String> {
    errors.iter().map(ToString::to_string).collect()
}

#[test]
fn bc01_renew_before_not_shorter_than_duration() {
    let cases: &[(Option<&str>, &str, Option<&str>)] = &[
        (
            Some("2160h"),
            "2160h",
            Some(
                r#"spec.renewBefore: Invalid value: "2160h0m0s": certificate duration 2160h0m0s must be greater than renewBefore 2160h0m0s"#,
            ),
        ),
        (
            Some("2160h"),
            "2161h",
            Some(
                r#"spec.renewBefore: Invalid value: "2161h0m0s": certificate duration 2160h0m0s must be greater than renewBefore 2161h0m0s"#,
            ),
        ),
        // duration omitted: the default 2160h applies
        (
            None,
            "2160h",
            Some(
                r#"spec.renewBefore: Invalid value: "2160h0m0s": certificate duration 2160h0m0s must be greater than renewBefore 2160h0m0s"#,
            ),
        ),
        (
            Some("2160h"),
            "4m",
            Some(
                r#"spec.renewBefore: Invalid value: "4m0s": certificate renewBefore must be greater than 5m0s"#,
            ),
        ),
        // control
        (Some("2160h"), "2159h59m", None),
    ];
    for (duration, renew_before, expected) in cases {
        let got = lines(&validate_certificate_spec(&with_durations(
            *duration,
            Some(renew_before),
        )));
        match expected {
            Some(msg) => assert_eq!(
                got,
                [*msg],
                "duration {duration:?} renewBefore {renew_before}"
            ),
            None => assert!(got.is_empty(), "control rejected: {got:?}"),
        }
    }
}

#[test]
fn bc17_ip_addresses() {
    let spec = |ips: &[&str]| CertificateSpec {
        dns_names: Some(vec!["*.svc.example.test".into(), "svc.example.test".into()]),
        ip_addresses: Some(ips.iter().map(|s| (*s).to_owned()).collect()),
        ..base()
    };
    assert!(validate_certificate_spec(&spec(&["10.0.0.1", "::1"])).is_empty());
    assert!(validate_certificate_spec(&spec(&["10.0.0.1", "::1", "10.0.0.2"])).is_empty());
    assert_eq!(
        lines(&validate_certificate_spec(&spec(&[""]))),
        [r#"spec.ipAddresses[0]: Invalid value: "": invalid IP address"#]
    );
    assert_eq!(
        lines(&validate_certificate_spec(&spec(&["10.0.0.256"]))),
        [r#"spec.ipAddresses[0]: Invalid value: "10.0.0.256": invalid IP address"#]
    );
    assert_eq!(
        lines(&validate_certificate_spec(&spec(&["::1", "1.2.3"]))),
        [r#"spec.ipAddresses[1]: Invalid value: "1.2.3": invalid IP address"#]
    );
}

#[test]
fn bc18_common_name_counts_bytes() {
    let spec = |cn: String| CertificateSpec {
        common_name: Some(cn),
        dns_names: None,
        ..base()
    };
    let too_long = ["spec.commonName: Too long: must have at most 64 bytes"];
    assert_eq!(
        lines(&validate_certificate_spec(&spec("a".repeat(65)))),
        too_long
    );
    // 33 characters, 66 UTF-8 bytes
    let e33 = "é".repeat(33);
    assert_eq!(e33.chars().count(), 33);
    assert_eq!(lines(&validate_certificate_spec(&spec(e33))), too_long);
    assert!(validate_certificate_spec(&spec("a".repeat(64))).is_empty());

    // No commonName, an 85-character DNS name: accepted.
    let long_dns = format!("{}.example.test", "x".repeat(72));
    assert_eq!(long_dns.len(), 85);
    let spec = CertificateSpec {
        dns_names: Some(vec![long_dns]),
        ..base()
    };
    assert!(validate_certificate_spec(&spec).is_empty());
}

#[test]
fn bc19_duration_values() {
    let parsed: &[(&str, i64)] = &[
        ("8760h", 31_536_000),
        ("87600h", 315_360_000),
        ("1h30m", 5_400),
        ("1.5h", 5_400),
        ("1h", 3_600),
    ];
    for (text, secs) in parsed {
        let spec = with_durations(Some(text), None);
        assert_eq!(
            spec.effective_duration().expect("parses"),
            SignedDuration::from_secs(*secs),
            "{text}"
        );
        assert!(
            validate_certificate_spec(&spec).is_empty(),
            "{text} rejected"
        );
    }

    let below_minimum: &[(&str, &str)] =
        &[("59m59s", "59m59s"), ("1m", "1m0s"), ("-1h", "-1h0m0s")];
    for (text, go) in below_minimum {
        assert_eq!(
            lines(&validate_certificate_spec(&with_durations(
                Some(text),
                None
            ))),
            [format!(
                r#"spec.duration: Invalid value: "{go}": certificate duration must be greater than 1h0m0s"#
            )],
            "{text}"
        );
    }

    let unparseable: &[(&str, &str)] = &[
        ("90d", r#"time: unknown unit "d" in duration "90d""#),
        (" 24h", r#"time: invalid duration " 24h""#),
    ];
    for (text, go_error) in unparseable {
        let spec = with_durations(Some(text), None);
        assert_eq!(
            lines(&validate_certificate_spec(&spec)),
            [format!(
                r#"spec.duration: Invalid value: "{text}": {go_error}"#
            )]
        );
        let err = spec.effective_duration().expect_err("does not parse");
        assert_eq!(err.field, "spec.duration");
    }
}

#[test]
fn renew_before_percentage_rules() {
    let spec = |pct: i32, rb: Option<&str>| CertificateSpec {
        renew_before_percentage: Some(pct),
        renew_before: rb.map(Duration::from),
        ..base()
    };
    assert!(validate_certificate_spec(&spec(50, None)).is_empty());
    for pct in [0, 100, -5] {
        let got = lines(&validate_certificate_spec(&spec(pct, None)));
        assert_eq!(
            got,
            [format!(
                "spec.renewBeforePercentage: Invalid value: {pct}: renewBeforePercentage must be a value between 0 and 100"
            )]
        );
    }
    let got = lines(&validate_certificate_spec(&spec(50, Some("1h"))));
    assert_eq!(
        got,
        [
            r#"spec.renewBefore: Invalid value: "1h": renewBefore and renewBeforePercentage are mutually exclusive and cannot both be set"#
        ]
    );
    // 1% of 1h is 36s: below the 5m minimum
    let short = CertificateSpec {
        duration: Some("1h".into()),
        ..spec(1, None)
    };
    assert_eq!(
        lines(&validate_certificate_spec(&short)),
        [
            "spec.renewBeforePercentage: Invalid value: 1: certificate renewBeforePercentage must result in a renewBefore greater than 5m0s"
        ]
    );
}

#[test]
fn other_rules() {
    let empty = CertificateSpec::default();
    assert_eq!(
        lines(&validate_certificate_spec(&empty)),
        [
            "spec.secretName: Required value: must be specified",
            "spec.issuerRef.name: Required value: must be specified",
            r#"spec: Invalid value: "": at least one of commonName (from the commonName field or from a literalSubject), dnsNames, uriSANs, ipAddresses, emailSANs or otherNames must be set"#,
        ]
    );

    let external = CertificateSpec {
        issuer_ref: IssuerRef {
            name: "x".into(),
            kind: Some("AWSPCAClusterIssuer".into()),
            group: Some("awspca.cert-manager.io".into()),
        },
        ..base()
    };
    assert!(validate_certificate_spec(&external).is_empty());

    let limit = CertificateSpec {
        revision_history_limit: Some(0),
        ..base()
    };
    assert_eq!(
        lines(&validate_certificate_spec(&limit)),
        ["spec.revisionHistoryLimit: Invalid value: 0: must not be less than 1"]
    );

    let key = |algorithm: &str, size: Option<i32>| CertificateSpec {
        private_key: Some(anchorage_api::CertificatePrivateKey {
            algorithm: Some(algorithm.into()),
            size,
            ..Default::default()
        }),
        ..base()
    };
    assert!(validate_certificate_spec(&key("RSA", Some(4096))).is_empty());
    assert!(validate_certificate_spec(&key("ECDSA", Some(384))).is_empty());
    assert!(validate_certificate_spec(&key("Ed25519", Some(12))).is_empty());
    assert_eq!(
        lines(&validate_certificate_spec(&key("DSA", None))),
        [
            r#"spec.privateKey.algorithm: Unsupported value: "DSA": supported values: "RSA", "ECDSA", "Ed25519""#
        ]
    );
    assert_eq!(key("RSA", Some(4096)).key_size(), Ok(4096));
    assert_eq!(key("RSA", None).key_size(), Ok(2048));
    assert_eq!(key("ECDSA", Some(0)).key_size(), Ok(256));
    assert_eq!(
        key("Ed25519", None).key_encoding(),
        Ok(anchorage_api::KeyEncoding::Pkcs8)
    );
    assert!(key("ECDSA", Some(2048)).key_size().is_err());
}
