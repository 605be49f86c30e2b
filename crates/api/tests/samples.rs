//! The seed guide's manifests (copied to config/samples/linkerd/) deserialize into our types,
//! pass validation, and serialize back without losing or changing a field.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)] // test code

mod common;

use anchorage_api::{
    Certificate, CertificateRequest, ClusterIssuer, Issuer, validate_certificate_request_spec,
    validate_certificate_spec, validate_issuer_spec,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Deserializes `doc` as `T`, serializes it back and checks nothing was lost.
fn round_trip<T: DeserializeOwned + Serialize>(doc: &Value, file: &str) -> T {
    let typed: T = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| panic!("{file}: does not deserialize: {e}\n{doc:#}"));
    let back = serde_json::to_value(&typed).expect("serializes");
    assert_eq!(&back, doc, "{file}: round trip changed the object");
    typed
}

#[test]
fn seed_manifests_round_trip_and_validate() {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for file in common::yaml_files("config/samples/linkerd") {
        let name = file.display().to_string();
        for doc in common::documents(&file) {
            let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
            if doc["apiVersion"] != "cert-manager.io/v1" {
                assert_eq!(doc["apiVersion"], "v1", "{name}: unexpected object");
                continue;
            }
            match kind.as_str() {
                "Certificate" => {
                    let c: Certificate = round_trip(&doc, &name);
                    let errors = validate_certificate_spec(&c.spec);
                    assert!(errors.is_empty(), "{name}: {errors:?}");
                }
                "Issuer" => {
                    let i: Issuer = round_trip(&doc, &name);
                    assert!(validate_issuer_spec(&i.spec).is_empty(), "{name}");
                }
                "ClusterIssuer" => {
                    let i: ClusterIssuer = round_trip(&doc, &name);
                    assert!(validate_issuer_spec(&i.spec).is_empty(), "{name}");
                }
                "CertificateRequest" => {
                    let r: CertificateRequest = round_trip(&doc, &name);
                    assert!(
                        validate_certificate_request_spec(&r.spec).is_empty(),
                        "{name}"
                    );
                }
                other => panic!("{name}: unexpected kind {other}"),
            }
            *counts.entry(kind).or_default() += 1;
        }
    }
    // The seed has 4 Issuers (1 trust anchor + 3 webhook) and 7 Certificates (1 identity + 6
    // webhook).
    assert_eq!(counts.get("Issuer"), Some(&4), "{counts:?}");
    assert_eq!(counts.get("Certificate"), Some(&7), "{counts:?}");
}

#[test]
fn identity_issuer_fields_are_read_as_the_seed_means_them() {
    let file =
        common::repo_root().join("config/samples/linkerd/02-identity-issuer-certificate.yaml");
    let docs = common::documents(&file);
    let cert: Certificate = serde_json::from_value(docs[0].clone()).expect("Certificate");
    let spec = &cert.spec;
    assert_eq!(cert.metadata.namespace.as_deref(), Some("linkerd"));
    assert_eq!(spec.secret_name, "linkerd-identity-issuer");
    assert_eq!(spec.issuer_ref.name, "linkerd-trust-anchor");
    assert_eq!(spec.issuer_ref.kind_or_default(), "Issuer");
    assert_eq!(spec.issuer_ref.group_or_default(), "cert-manager.io");
    assert_eq!(spec.is_ca, Some(true));
    assert_eq!(
        spec.effective_duration().expect("duration"),
        jiff::SignedDuration::from_hours(48)
    );
    assert_eq!(
        spec.renew_before().expect("renewBefore"),
        Some(jiff::SignedDuration::from_hours(25))
    );
    assert_eq!(
        spec.key_algorithm().expect("algorithm"),
        anchorage_api::KeyAlgorithm::Ecdsa
    );
    assert_eq!(spec.key_size().expect("size"), 256);
    assert_eq!(
        spec.key_encoding().expect("encoding"),
        anchorage_api::KeyEncoding::Pkcs1
    );
    assert_eq!(
        spec.rotation_policy().expect("policy"),
        anchorage_api::RotationPolicy::Always
    );
    assert_eq!(
        spec.effective_usages(),
        ["cert sign", "crl sign", "server auth", "client auth"]
    );
}

#[test]
fn policy_validator_asks_for_pkcs8() {
    let file = common::repo_root().join("config/samples/linkerd/12-webhook-certificates.yaml");
    let certs: Vec<Certificate> = common::documents(&file)
        .into_iter()
        .map(|d| serde_json::from_value(d).expect("Certificate"))
        .collect();
    let policy = certs
        .iter()
        .find(|c| c.metadata.name.as_deref() == Some("linkerd-policy-validator"))
        .expect("policy validator certificate");
    assert_eq!(
        policy.spec.key_encoding().expect("encoding"),
        anchorage_api::KeyEncoding::Pkcs8
    );
    assert_eq!(policy.spec.is_ca, Some(false));
    for c in &certs {
        assert_eq!(c.spec.effective_usages(), ["server auth"]);
    }
}
