//! Every manifest in config/samples/invalid/ is rejected by the pure Rust validation with the
//! field and message its header announces (the API server rejects the same files through the
//! CRDs' OpenAPI and CEL rules).

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)] // test code

mod common;

use anchorage_api::{
    Certificate, ClusterIssuer, FieldError, Issuer, validate_certificate_spec, validate_issuer_spec,
};

/// The value of a `# <key>: <value>` header line.
fn header<'a>(text: &'a str, key: &str) -> &'a str {
    let prefix = format!("# {key}: ");
    text.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("missing `{prefix}` header"))
}

#[test]
fn invalid_samples_are_rejected_with_the_announced_message() {
    let files = common::yaml_files("config/samples/invalid");
    assert!(
        files.len() >= 20,
        "expected the invalid cases, found {}",
        files.len()
    );
    for file in files {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file).expect("readable");
        let field = header(&text, "expect-field");
        let rust = header(&text, "expect-rust");
        let doc = common::documents(&file).remove(0);
        let errors: Vec<FieldError> = match doc["kind"].as_str() {
            Some("Certificate") => {
                let c: Certificate = serde_json::from_value(doc).expect("deserializes");
                validate_certificate_spec(&c.spec)
            }
            Some("Issuer") => {
                let i: Issuer = serde_json::from_value(doc).expect("deserializes");
                validate_issuer_spec(&i.spec)
            }
            Some("ClusterIssuer") => {
                let i: ClusterIssuer = serde_json::from_value(doc).expect("deserializes");
                validate_issuer_spec(&i.spec)
            }
            other => panic!("{name}: unexpected kind {other:?}"),
        };
        assert!(
            errors
                .iter()
                .any(|e| e.field == field && e.to_string().starts_with(rust)),
            "{name}: expected `{rust}`, got {errors:#?}"
        );
    }
}
