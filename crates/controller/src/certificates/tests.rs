//! Table tests for the pure parts: trigger chain, plan and failure backoff.

use std::collections::BTreeMap;

use anchorage_api::{Certificate, CertificateRequest, CertificateSpec, IssuerRef};
use anchorage_pki::{
    CaMaterial, CsrParams, EcCurve, KeyAlgorithm, KeyEncoding, KeyUsage, PrivateKey, SignParams,
};
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use super::plan::{self, InFlight, Plan};
use super::secret::{self, Payload};
use super::triggers::{self, SecretView};

fn t0() -> Timestamp {
    "2026-11-30T00:00:00Z".parse().unwrap()
}

fn ca(now: Timestamp) -> CaMaterial {
    let key = PrivateKey::generate(KeyAlgorithm::Ecdsa {
        curve: EcCurve::P256,
    })
    .unwrap();
    let csr = anchorage_pki::build_csr(
        &key,
        &CsrParams {
            common_name: Some("root.test".into()),
            is_ca: true,
            usages: vec![KeyUsage::parse("cert sign").unwrap()],
            ..Default::default()
        },
    )
    .unwrap();
    let parsed = anchorage_pki::parse_csr(&csr).unwrap();
    let mut params = SignParams::new(now, SignedDuration::from_hours(8760));
    params.is_ca = true;
    params.usages = vec![
        KeyUsage::parse("cert sign").unwrap(),
        KeyUsage::parse("crl sign").unwrap(),
    ];
    let issued = anchorage_pki::self_sign_csr(&parsed, &key, &params).unwrap();
    CaMaterial::load(
        &issued.certificate_pem,
        &key.to_pem(KeyEncoding::Pkcs8).unwrap(),
        None,
    )
    .unwrap()
}

fn cert(spec_yaml: &str) -> Certificate {
    let spec: CertificateSpec =
        serde_json::from_value(serde_json::from_str::<serde_json::Value>(spec_yaml).unwrap())
            .unwrap();
    let mut c = Certificate::new("c", spec);
    c.metadata.namespace = Some("ns".into());
    c.metadata.generation = Some(1);
    c.metadata.uid = Some("uid-1".into());
    c
}

fn base() -> Certificate {
    cert(
        r#"{"secretName":"c-tls","issuerRef":{"name":"ca","kind":"Issuer"},"dnsNames":["a.example.test"],"ipAddresses":["10.0.0.1"],"duration":"24h","renewBefore":"8h","privateKey":{"algorithm":"ECDSA"}}"#,
    )
}

/// Issues a Secret for `c` signed by `ca` at `now`.
fn issued_secret(c: &Certificate, ca: &CaMaterial, now: Timestamp) -> Secret {
    let key = PrivateKey::generate(super::spec::desired_key(&c.spec).unwrap()).unwrap();
    let csr = anchorage_pki::build_csr(&key, &super::csr_params(c)).unwrap();
    let parsed = anchorage_pki::parse_csr(&csr).unwrap();
    let mut params = SignParams::new(now, super::spec::duration(&c.spec).unwrap());
    params.usages = crate::usages::parse_all(&super::spec::usages(&c.spec));
    let issued = anchorage_pki::sign_csr(&parsed, ca, &params).unwrap();
    let leaf = anchorage_pki::parse_certificates(&issued.certificate_pem)
        .unwrap()
        .remove(0);
    secret::desired(
        c,
        None,
        &Payload {
            tls_crt: issued.certificate_pem,
            tls_key: key.to_pem(KeyEncoding::Pkcs1).unwrap(),
            ca_crt: issued.ca_pem,
        },
        &leaf,
    )
}

fn set_data(s: &mut Secret, k: &str, v: &[u8]) {
    s.data
        .get_or_insert_with(BTreeMap::new)
        .insert(k.into(), ByteString(v.to_vec()));
}

fn trigger_of(
    c: &Certificate,
    s: Option<&Secret>,
    now: Timestamp,
) -> Option<(&'static str, String)> {
    let view = SecretView::of(s);
    triggers::evaluate(&triggers::Input {
        name: "c",
        spec: &c.spec,
        secret: &view,
        current_request: None,
        now,
        backdate: SignedDuration::ZERO,
    })
    .map(|t| (t.reason, t.message))
}

#[test]
fn trigger_chain_table() {
    let now = t0();
    let ca = ca(now);
    let c = base();
    let good = issued_secret(&c, &ca, now);
    let other_key = PrivateKey::generate(KeyAlgorithm::Ecdsa {
        curve: EcCurve::P256,
    })
    .unwrap()
    .to_pem(KeyEncoding::Pkcs1)
    .unwrap();
    let rsa_key = PrivateKey::generate(KeyAlgorithm::Rsa { bits: 2048 })
        .unwrap()
        .to_pem(KeyEncoding::Pkcs1)
        .unwrap();

    let mut missing_key = good.clone();
    missing_key.data.as_mut().unwrap().remove("tls.key");
    let mut bad_key = good.clone();
    set_data(
        &mut bad_key,
        "tls.key",
        b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
    );
    let mut bad_crt = good.clone();
    set_data(&mut bad_crt, "tls.crt", b"not a certificate");
    let mut swapped = good.clone();
    set_data(&mut swapped, "tls.key", &other_key);
    let mut other_issuer = good.clone();
    other_issuer
        .metadata
        .annotations
        .as_mut()
        .unwrap()
        .insert("cert-manager.io/issuer-name".into(), "old".into());
    let mut other_cert = good.clone();
    other_cert
        .metadata
        .annotations
        .as_mut()
        .unwrap()
        .insert("cert-manager.io/certificate-name".into(), "gone".into());

    let mut more_ips = c.clone();
    more_ips.spec.ip_addresses = Some(vec!["10.0.0.1".into(), "10.0.0.2".into()]);
    let mut more_dns = c.clone();
    more_dns.spec.dns_names = Some(vec!["a.example.test".into(), "b.example.test".into()]);
    let rsa_spec = cert(
        r#"{"secretName":"c-tls","issuerRef":{"name":"ca"},"dnsNames":["a.example.test"],"ipAddresses":["10.0.0.1"],"duration":"24h","renewBefore":"8h"}"#,
    );
    let mut rsa_in_secret = good.clone();
    set_data(&mut rsa_in_secret, "tls.key", &rsa_key);

    let h = |n: i64| now.checked_add(SignedDuration::from_hours(n)).unwrap();
    type Case<'a> = (
        &'a str,
        &'a Certificate,
        Option<&'a Secret>,
        Timestamp,
        Option<&'a str>,
        &'a str,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "no secret",
            &c,
            None,
            now,
            Some("DoesNotExist"),
            "Issuing certificate as Secret does not exist",
        ),
        (
            "no key",
            &c,
            Some(&missing_key),
            now,
            Some("MissingData"),
            "does not contain a private key",
        ),
        (
            "garbage key",
            &c,
            Some(&bad_key),
            now,
            Some("InvalidKeyPair"),
            "invalid private key data",
        ),
        (
            "garbage cert",
            &c,
            Some(&bad_crt),
            now,
            Some("InvalidCertificate"),
            "invalid certificate",
        ),
        (
            "key swapped",
            &c,
            Some(&swapped),
            now,
            Some("SecretMismatch"),
            "does not match the certificate",
        ),
        (
            "algorithm changed",
            &rsa_spec,
            Some(&good),
            now,
            Some("SecretMismatch"),
            "[spec.privateKey.algorithm]",
        ),
        (
            "issuer changed",
            &c,
            Some(&other_issuer),
            now,
            Some("IncorrectIssuer"),
            "Issuer.cert-manager.io/old",
        ),
        (
            "cert name changed",
            &c,
            Some(&other_cert),
            now,
            Some("IncorrectCertificate"),
            "\"gone\"",
        ),
        (
            "ip added",
            &more_ips,
            Some(&good),
            now,
            Some("SecretMismatch"),
            "Existing issued Secret is not up to date for spec: [spec.ipAddresses]",
        ),
        (
            "dns added",
            &more_dns,
            Some(&good),
            now,
            Some("SecretMismatch"),
            "[spec.dnsNames]",
        ),
        ("fresh", &c, Some(&good), now, None, ""),
        (
            "just before renewal",
            &c,
            Some(&good),
            h(16) - SignedDuration::from_secs(1),
            None,
            "",
        ),
        (
            "renewal due",
            &c,
            Some(&good),
            h(16),
            Some("Renewing"),
            "Renewing certificate as renewal was scheduled at",
        ),
        (
            "expired",
            &c,
            Some(&good),
            h(25),
            Some("Expired"),
            "Certificate expired on",
        ),
    ];
    // Sanity: an RSA key in the Secret with an RSA spec is fine for the key check.
    assert!(
        trigger_of(&rsa_spec, Some(&rsa_in_secret), now)
            .is_some_and(|(r, _)| r == "SecretMismatch")
    );
    for (name, c, s, at, want, msg) in cases {
        let got = trigger_of(c, s, at);
        match (want, got) {
            (None, None) => {}
            (Some(r), Some((gr, gm))) => {
                assert_eq!(gr, r, "{name}: {gm}");
                assert!(gm.contains(msg), "{name}: {gm:?} should contain {msg:?}");
            }
            (w, g) => panic!("{name}: want {w:?}, got {g:?}"),
        }
    }
}

#[test]
fn failure_backoff_doubles_to_32h() {
    let cases = [
        (1, 1),
        (2, 2),
        (3, 4),
        (4, 8),
        (5, 16),
        (6, 32),
        (7, 32),
        (50, 32),
        (0, 1),
    ];
    for (n, hours) in cases {
        assert_eq!(
            plan::failure_backoff(n),
            SignedDuration::from_hours(hours),
            "n={n}"
        );
    }
}

fn request(
    name: &str,
    revision: i32,
    ready_reason: Option<&str>,
    created: Timestamp,
) -> CertificateRequest {
    let mut cr = CertificateRequest::new(name, Default::default());
    cr.metadata = ObjectMeta {
        name: Some(name.into()),
        namespace: Some("ns".into()),
        creation_timestamp: Some(Time(created)),
        annotations: Some(BTreeMap::from([(
            "cert-manager.io/certificate-revision".to_string(),
            revision.to_string(),
        )])),
        ..Default::default()
    };
    cr.spec.issuer_ref = IssuerRef::issuer("ca");
    if let Some(reason) = ready_reason {
        let status = if reason == "Issued" { "True" } else { "False" };
        cr.status = Some(anchorage_api::CertificateRequestStatus {
            conditions: Some(vec![anchorage_api::Condition {
                type_: "Ready".into(),
                status: status.into(),
                reason: Some(reason.into()),
                message: Some(format!("request is {reason}")),
                last_transition_time: None,
                observed_generation: None,
            }]),
            ..Default::default()
        });
    }
    cr
}

#[test]
fn plan_table() {
    let now = t0();
    let c = base();
    let empty = SecretView::default();
    let run = |c: &Certificate,
               in_flight: Option<InFlight<'_>>,
               invalid: Vec<String>,
               owned_by: Option<String>,
               now: Timestamp| {
        plan::plan(&plan::Input {
            cert: c,
            invalid,
            owned_by,
            secret: &empty,
            current_request: None,
            in_flight,
            now,
            backdate: SignedDuration::ZERO,
        })
    };
    // Invalid spec and foreign owner block.
    assert!(matches!(
        run(&c, None, vec!["spec.duration: bad".into()], None, now),
        Plan::Blocked {
            reason: "InvalidSpec",
            ..
        }
    ));
    assert!(matches!(
        run(&c, None, vec![], Some("other".into()), now),
        Plan::Blocked {
            reason: "SecretOwnedByOther",
            ..
        }
    ));
    // No Secret, nothing in flight: request.
    assert!(matches!(
        run(&c, None, vec![], None, now),
        Plan::Request {
            delete_first: None,
            ..
        }
    ));

    let pending_unseen = request("c-1", 1, None, now);
    let pending = request("c-1", 1, Some("Pending"), now);
    let issued = request("c-1", 1, Some("Issued"), now);
    let failed = request("c-1", 1, Some("Failed"), now);
    let f = |r: &CertificateRequest,
             key_known: bool,
             matches_spec: bool|
     -> Option<InFlight<'static>> {
        let r: &'static CertificateRequest = Box::leak(Box::new(r.clone()));
        Some(InFlight {
            request: r,
            key_known,
            matches_spec,
        })
    };
    assert_eq!(
        run(&c, f(&pending_unseen, true, true), vec![], None, now),
        Plan::AwaitSigner
    );
    assert!(matches!(
        run(&c, f(&pending, true, true), vec![], None, now),
        Plan::Wait { .. }
    ));
    assert_eq!(
        run(&c, f(&issued, true, true), vec![], None, now),
        Plan::Complete
    );
    // Orphans (key lost with a previous process) and stale requests are replaced.
    assert!(
        matches!(run(&c, f(&issued, false, true), vec![], None, now), Plan::Request { delete_first: Some(ref n), .. } if n == "c-1")
    );
    assert!(matches!(
        run(&c, f(&pending, false, true), vec![], None, now),
        Plan::Request {
            delete_first: Some(_),
            ..
        }
    ));
    assert!(matches!(
        run(&c, f(&pending, true, false), vec![], None, now),
        Plan::Request {
            delete_first: Some(_),
            ..
        }
    ));
    // A failure is recorded once, then backs off 1h.
    assert!(matches!(
        run(&c, f(&failed, true, true), vec![], None, now),
        Plan::RecordFailure { .. }
    ));
    let mut failed_cert = c.clone();
    failed_cert.status = Some(anchorage_api::CertificateStatus {
        last_failure_time: Some(Time(now)),
        failed_issuance_attempts: Some(1),
        conditions: Some(vec![anchorage_api::Condition {
            type_: "Issuing".into(),
            status: "False".into(),
            reason: Some("Failed".into()),
            message: None,
            last_transition_time: None,
            observed_generation: Some(1),
        }]),
        ..Default::default()
    });
    let later = |m: i64| now.checked_add(SignedDuration::from_mins(m)).unwrap();
    assert_eq!(
        run(
            &failed_cert,
            f(&failed, true, true),
            vec![],
            None,
            later(10)
        ),
        Plan::BackOff { until: later(60) }
    );
    assert!(matches!(
        run(
            &failed_cert,
            f(&failed, true, true),
            vec![],
            None,
            later(60)
        ),
        Plan::Request {
            delete_first: Some(_),
            ..
        }
    ));
    // A spec change (generation moved on) bypasses the backoff.
    let mut edited = failed_cert.clone();
    edited.metadata.generation = Some(2);
    assert!(matches!(
        run(&edited, f(&failed, true, true), vec![], None, later(10)),
        Plan::Request { .. }
    ));
}

#[test]
fn rotation_never_with_mismatched_key_cannot_regenerate() {
    let now = t0();
    let ca = ca(now);
    let rsa = cert(
        r#"{"secretName":"c-tls","issuerRef":{"name":"ca"},"dnsNames":["a.example.test"],"privateKey":{"algorithm":"RSA"}}"#,
    );
    let secret = issued_secret(&rsa, &ca, now);
    let ec_never = cert(
        r#"{"secretName":"c-tls","issuerRef":{"name":"ca"},"dnsNames":["a.example.test"],"privateKey":{"algorithm":"ECDSA","size":256,"rotationPolicy":"Never"}}"#,
    );
    let view = SecretView::of(Some(&secret));
    let p = plan::plan(&plan::Input {
        cert: &ec_never,
        invalid: vec![],
        owned_by: None,
        secret: &view,
        current_request: None,
        in_flight: None,
        now,
        backdate: SignedDuration::ZERO,
    });
    match p {
        Plan::CannotRegenerateKey { trigger, fields } => {
            assert_eq!(trigger.reason, "SecretMismatch");
            assert_eq!(
                trigger.message,
                "Existing private key is not up to date for spec: [spec.privateKey.algorithm]"
            );
            assert_eq!(fields, vec!["spec.privateKey.algorithm"]);
        }
        other => panic!("want CannotRegenerateKey, got {other:?}"),
    }
}

#[test]
fn secret_writer_keeps_foreign_metadata_and_restores_managed() {
    let now = t0();
    let ca = ca(now);
    let c = base();
    let mut s = issued_secret(&c, &ca, now);
    s.metadata
        .annotations
        .as_mut()
        .unwrap()
        .insert("example.com/note".into(), "kept".into());
    s.metadata
        .labels
        .as_mut()
        .unwrap()
        .remove("controller.cert-manager.io/fao");
    let view = SecretView::of(Some(&s));
    let leaf = view.valid_leaf().unwrap().clone();
    let want = secret::desired(
        &c,
        Some(&s),
        &Payload {
            tls_crt: view.tls_crt.clone(),
            tls_key: view.tls_key.clone(),
            ca_crt: view.ca_crt.clone(),
        },
        &leaf,
    );
    assert!(secret::differs(&s, &want));
    assert_eq!(
        want.metadata.labels.as_ref().unwrap()["controller.cert-manager.io/fao"],
        "true"
    );
    assert_eq!(
        want.metadata.annotations.as_ref().unwrap()["example.com/note"],
        "kept"
    );
    assert_eq!(
        want.metadata.annotations.as_ref().unwrap()["cert-manager.io/ip-sans"],
        "10.0.0.1"
    );
    assert_eq!(want.type_.as_deref(), Some("kubernetes.io/tls"));
    assert!(!secret::differs(&want, &want.clone()));
    assert_eq!(
        secret::pem_key_encoding(b"-----BEGIN PRIVATE KEY-----\nx\n"),
        Some(KeyEncoding::Pkcs8)
    );
    assert_eq!(
        secret::pem_key_encoding(b"-----BEGIN EC PRIVATE KEY-----\nx\n"),
        Some(KeyEncoding::Pkcs1)
    );
}
