//! Building the target Secret (pure). One write carries tls.crt, tls.key and ca.crt together,
//! plus the managed annotations and label (DESIGN.md §4 "Secret").

use std::collections::BTreeMap;

use anchorage_api::Certificate;
use anchorage_api::constants as c;
use anchorage_pki::{CertInfo, KeyEncoding};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;

/// `kubernetes.io/tls`.
pub const TLS_SECRET_TYPE: &str = "kubernetes.io/tls";

/// The three data entries. Its `Debug` output never shows key bytes.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Payload {
    /// tls.crt: leaf + intermediates, PEM.
    pub tls_crt: Vec<u8>,
    /// tls.key: private key PEM in the requested encoding.
    pub tls_key: Vec<u8>,
    /// ca.crt: top of the chain, PEM; omitted when empty.
    pub ca_crt: Vec<u8>,
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payload")
            .field("tls_crt_bytes", &self.tls_crt.len())
            .field("tls_key", &"<redacted>")
            .field("ca_crt_bytes", &self.ca_crt.len())
            .finish()
    }
}

/// The encoding of a PEM private key, from its first BEGIN line.
pub fn pem_key_encoding(pem: &[u8]) -> Option<KeyEncoding> {
    let text = std::str::from_utf8(pem).ok()?;
    let begin = text.lines().find(|l| l.starts_with("-----BEGIN "))?;
    match begin.trim() {
        "-----BEGIN PRIVATE KEY-----" => Some(KeyEncoding::Pkcs8),
        "-----BEGIN RSA PRIVATE KEY-----" | "-----BEGIN EC PRIVATE KEY-----" => {
            Some(KeyEncoding::Pkcs1)
        }
        _ => None,
    }
}

/// Managed annotations for an issued certificate (cert-manager's keys).
pub fn managed_annotations(cert: &Certificate, leaf: &CertInfo) -> BTreeMap<String, String> {
    let r = &cert.spec.issuer_ref;
    let join = |v: &[String]| v.join(",");
    let mut a = BTreeMap::new();
    a.insert(c::ANNOTATION_CERTIFICATE_NAME.to_string(), cert.name_any());
    a.insert(c::ANNOTATION_ISSUER_NAME.to_string(), r.name.clone());
    a.insert(
        c::ANNOTATION_ISSUER_KIND.to_string(),
        r.kind_or_default().to_string(),
    );
    a.insert(
        c::ANNOTATION_ISSUER_GROUP.to_string(),
        r.group_or_default().to_string(),
    );
    a.insert(
        c::ANNOTATION_COMMON_NAME.to_string(),
        leaf.common_name.clone().unwrap_or_default(),
    );
    a.insert(c::ANNOTATION_ALT_NAMES.to_string(), join(&leaf.dns_names));
    a.insert(
        c::ANNOTATION_IP_SANS.to_string(),
        leaf.ip_addresses
            .iter()
            .map(|ip| ip.to_string())
            .collect::<Vec<_>>()
            .join(","),
    );
    a.insert(c::ANNOTATION_URI_SANS.to_string(), join(&leaf.uris));
    a.insert(
        c::ANNOTATION_EMAIL_SANS.to_string(),
        join(&leaf.email_addresses),
    );
    a
}

/// The Secret we want: the existing one (if any) with our data entries, managed metadata
/// and secretTemplate applied. Unrelated labels, annotations and data keys are kept.
pub fn desired(
    cert: &Certificate,
    existing: Option<&Secret>,
    payload: &Payload,
    leaf: &CertInfo,
) -> Secret {
    let mut secret = existing.cloned().unwrap_or_else(|| Secret {
        metadata: ObjectMeta {
            name: Some(cert.spec.secret_name.clone()),
            namespace: cert.namespace(),
            ..Default::default()
        },
        type_: Some(TLS_SECRET_TYPE.to_string()),
        ..Default::default()
    });
    if secret.type_.is_none() {
        secret.type_ = Some(TLS_SECRET_TYPE.to_string());
    }
    let mut annotations = secret.metadata.annotations.take().unwrap_or_default();
    let mut labels = secret.metadata.labels.take().unwrap_or_default();
    if let Some(t) = cert.spec.secret_template.as_ref() {
        annotations.extend(t.annotations.clone().unwrap_or_default());
        labels.extend(t.labels.clone().unwrap_or_default());
    }
    annotations.extend(managed_annotations(cert, leaf));
    labels.insert(c::LABEL_FAO.to_string(), "true".to_string());
    secret.metadata.annotations = Some(annotations);
    secret.metadata.labels = Some(labels);
    let data = secret.data.get_or_insert_with(BTreeMap::new);
    data.insert("tls.crt".into(), ByteString(payload.tls_crt.clone()));
    data.insert("tls.key".into(), ByteString(payload.tls_key.clone()));
    if payload.ca_crt.is_empty() {
        data.remove("ca.crt");
    } else {
        data.insert("ca.crt".into(), ByteString(payload.ca_crt.clone()));
    }
    secret
}

/// Whether writing `desired` would change `existing` (metadata we manage, type or data).
pub fn differs(existing: &Secret, desired: &Secret) -> bool {
    existing.metadata.labels != desired.metadata.labels
        || existing.metadata.annotations != desired.metadata.annotations
        || existing.metadata.owner_references != desired.metadata.owner_references
        || existing.data != desired.data
        || existing.type_ != desired.type_
}
