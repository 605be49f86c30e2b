//! Shape of the generated CRDs: names, scope, columns and the validation rules they carry.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)] // test code

use anchorage_api::crds;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::Value;

fn crd(name: &str) -> CustomResourceDefinition {
    crds()
        .into_iter()
        .find(|c| c.metadata.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no CRD {name}"))
}

fn schema(c: &CustomResourceDefinition) -> Value {
    let s = c.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref());
    serde_json::to_value(s).expect("schema serializes")
}

/// All CEL rules in a schema tree, as (JSON pointer of the node, rule).
fn rules(node: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::Array(list)) = map.get("x-kubernetes-validations") {
                for r in list {
                    out.push((
                        path.to_owned(),
                        r["rule"].as_str().unwrap_or_default().to_owned(),
                    ));
                    assert!(
                        r.get("message").is_some() || r.get("messageExpression").is_some(),
                        "rule without message at {path}"
                    );
                }
            }
            for (k, v) in map {
                rules(v, &format!("{path}/{k}"), out);
            }
        }
        Value::Array(list) => list.iter().for_each(|v| rules(v, path, out)),
        _ => {}
    }
}

/// Pointers of `nullable: true` nodes under `spec`.
fn nullables(node: &Value, path: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = node {
        if map.get("nullable") == Some(&Value::Bool(true)) {
            out.push(path.to_owned());
        }
        for (k, v) in map {
            nullables(v, &format!("{path}/{k}"), out);
        }
    }
}

#[test]
fn four_crds_with_cert_manager_names() {
    let expected = [
        (
            "certificates.cert-manager.io",
            "Certificate",
            "Namespaced",
            vec!["cert", "certs"],
        ),
        (
            "certificaterequests.cert-manager.io",
            "CertificateRequest",
            "Namespaced",
            vec!["cr", "crs"],
        ),
        (
            "issuers.cert-manager.io",
            "Issuer",
            "Namespaced",
            vec!["iss"],
        ),
        (
            "clusterissuers.cert-manager.io",
            "ClusterIssuer",
            "Cluster",
            vec!["ciss"],
        ),
    ];
    let all = crds();
    assert_eq!(all.len(), 4);
    for ((name, kind, scope, short), c) in expected.iter().zip(&all) {
        assert_eq!(c.metadata.name.as_deref(), Some(*name));
        assert_eq!(c.spec.group, "cert-manager.io");
        assert_eq!(c.spec.names.kind, *kind);
        assert_eq!(&c.spec.scope, scope);
        assert_eq!(
            c.spec.names.short_names.as_ref(),
            Some(&short.iter().map(|s| s.to_string()).collect())
        );
        assert_eq!(
            c.spec.names.categories.as_deref(),
            Some(&["cert-manager".to_owned()][..])
        );
        let v = &c.spec.versions[0];
        assert_eq!((v.name.as_str(), v.served, v.storage), ("v1", true, true));
        assert!(
            v.subresources
                .as_ref()
                .and_then(|s| s.status.as_ref())
                .is_some(),
            "{name}: status subresource"
        );
    }
}

#[test]
fn printer_columns_match_cert_manager() {
    let columns = |name: &str| -> Vec<(String, i32)> {
        crd(name).spec.versions[0]
            .additional_printer_columns
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.name, c.priority.unwrap_or(0)))
            .collect()
    };
    let owned = |v: &[(&str, i32)]| {
        v.iter()
            .map(|(n, p)| ((*n).to_owned(), *p))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        columns("certificates.cert-manager.io"),
        owned(&[
            ("Ready", 0),
            ("Secret", 0),
            ("Issuer", 1),
            ("Status", 1),
            ("Age", 0)
        ])
    );
    assert_eq!(
        columns("certificaterequests.cert-manager.io"),
        owned(&[
            ("Approved", 0),
            ("Denied", 0),
            ("Ready", 0),
            ("Issuer", 0),
            ("Requester", 1),
            ("Status", 1),
            ("Age", 0)
        ])
    );
    for name in ["issuers.cert-manager.io", "clusterissuers.cert-manager.io"] {
        assert_eq!(
            columns(name),
            owned(&[("Ready", 0), ("Status", 1), ("Age", 0)])
        );
    }
}

#[test]
fn validation_rules_are_in_place() {
    let mut cert_rules = Vec::new();
    rules(
        &schema(&crd("certificates.cert-manager.io")),
        "",
        &mut cert_rules,
    );
    let has = |needle: &str| cert_rules.iter().any(|(_, r)| r.contains(needle));
    for needle in [
        "duration('1h')",
        "duration('5m')",
        "duration(self.renewBefore) <",
        "has(self.renewBeforePercentage))",
        "bytes(self).size() <= 64",
        "isIP(self)",
        "self.size >= 2048",
        "self.size in [256, 384, 521]",
        "'Issuer', 'ClusterIssuer'",
        "has(self.dnsNames)",
    ] {
        assert!(
            has(needle),
            "missing rule containing {needle}: {cert_rules:#?}"
        );
    }

    let mut cr_rules = Vec::new();
    rules(
        &schema(&crd("certificaterequests.cert-manager.io")),
        "",
        &mut cr_rules,
    );
    assert!(
        cr_rules
            .iter()
            .any(|(p, r)| p == "/properties/spec" && r == "self == oldSelf")
    );

    for name in ["issuers.cert-manager.io", "clusterissuers.cert-manager.io"] {
        let mut r = Vec::new();
        rules(&schema(&crd(name)), "", &mut r);
        assert!(
            r.iter()
                .any(|(p, rule)| p == "/properties/spec" && rule.contains("has(self.selfSigned)")),
            "{name}"
        );
    }
}

#[test]
fn specs_are_not_nullable_and_lists_walked_by_rules_are_bounded() {
    for c in crds() {
        let s = schema(&c);
        let mut found = Vec::new();
        nullables(&s["properties"]["spec"], "spec", &mut found);
        nullables(
            &s["properties"]["status"]["properties"],
            "status",
            &mut found,
        );
        assert!(
            found.is_empty(),
            "{:?}: nullable fields {found:?}",
            c.metadata.name
        );
    }
    let s = schema(&crd("certificates.cert-manager.io"));
    let spec = &s["properties"]["spec"]["properties"];
    assert_eq!(spec["ipAddresses"]["maxItems"], 100);
    assert_eq!(spec["ipAddresses"]["items"]["maxLength"], 64);
    assert_eq!(spec["duration"]["maxLength"], 64);
    assert_eq!(
        spec["usages"]["items"]["enum"].as_array().map(Vec::len),
        Some(23)
    );
    assert_eq!(spec["issuerRef"]["required"], serde_json::json!(["name"]));
}

#[test]
fn issuer_schemas_are_identical() {
    let issuer = schema(&crd("issuers.cert-manager.io"));
    let cluster = schema(&crd("clusterissuers.cert-manager.io"));
    assert_eq!(issuer["properties"], cluster["properties"]);
    assert_eq!(
        issuer["properties"]["spec"]["properties"]["acme"]["x-kubernetes-preserve-unknown-fields"],
        true
    );
}
