//! `CertificateRequest`: one signing request (a PEM CSR) for one Certificate revision.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::condition::CertificateRequestCondition;
use crate::duration::Duration;
use crate::issuer::IssuerRef;

/// Desired state of a CertificateRequest (cert-manager `CertificateRequestSpec`).
///
/// Immutable once created: the CRD rejects any change (`self == oldSelf`), as cert-manager's
/// webhook does.
// kube-derive repeats `type_`/`priority` per column; clippy mistakes them for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, JsonSchema, PartialEq, Default)]
#[kube(
    group = "cert-manager.io",
    version = "v1",
    kind = "CertificateRequest",
    namespaced,
    status = "CertificateRequestStatus",
    derive = "PartialEq",
    derive = "Default",
    shortname = "cr",
    shortname = "crs",
    category = "cert-manager",
    doc = "A CertificateRequest is used to request a signed certificate from one of the configured issuers. All fields within the CertificateRequest's `spec` are immutable after creation. A CertificateRequest will either succeed or fail, as denoted by its `Ready` status condition and its `status.failureTime` field.",
    printcolumn(
        name = "Approved",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Approved")].status"#
    ),
    printcolumn(
        name = "Denied",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Denied")].status"#
    ),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Ready")].status"#
    ),
    printcolumn(name = "Issuer", type_ = "string", json_path = ".spec.issuerRef.name"),
    printcolumn(
        name = "Requester",
        type_ = "string",
        json_path = ".spec.username",
        priority = 1
    ),
    printcolumn(
        name = "Status",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Ready")].message"#,
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp",
        description = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC."
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::schema::certificate_request_spec)]
pub struct CertificateRequestSpec {
    /// The PEM-encoded PKCS#10 CSR (`-----BEGIN CERTIFICATE REQUEST-----`), base64-encoded on
    /// the wire. Required.
    #[schemars(schema_with = "crate::schema::request_bytes")]
    pub request: ByteString,
    /// Requested lifetime as a Go duration; default 2160h. The issuer may shorten it (e.g. to
    /// the CA's notAfter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    /// The issuer that should sign the request. Required.
    pub issuer_ref: IssuerRef,
    /// Whether to issue a CA certificate. Default false.
    #[serde(default, rename = "isCA", skip_serializing_if = "Option::is_none")]
    pub is_ca: Option<bool>,
    /// Requested key usages (cert-manager names); default `digital signature`,
    /// `key encipherment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::usages")]
    pub usages: Option<Vec<String>>,
    /// Name of the user who created the request (set by cert-manager's webhook; informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::requester_string)]
    pub username: Option<String>,
    /// UID of the user who created the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::requester_string)]
    pub uid: Option<String>,
    /// Groups of the user who created the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::requester_list")]
    pub groups: Option<Vec<String>>,
    /// Extra attributes of the user who created the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::requester_extra")]
    pub extra: Option<BTreeMap<String, Vec<String>>>,
}

/// Observed state of a CertificateRequest (cert-manager `CertificateRequestStatus`).
#[derive(Serialize, Deserialize, Clone, Debug, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::schema::plain)]
pub struct CertificateRequestStatus {
    /// Current conditions: `Ready`, `Approved`, `Denied`, `InvalidRequest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::conditions_list)]
    pub conditions: Option<Vec<CertificateRequestCondition>>,
    /// The signed certificate followed by intermediates, PEM, base64 on the wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::byte_string")]
    pub certificate: Option<ByteString>,
    /// The CA certificate of the issuer (top of the chain), PEM, base64 on the wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::byte_string")]
    pub ca: Option<ByteString>,
    /// When the request failed terminally; no further signing is attempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_time: Option<Time>,
}

impl CertificateRequestSpec {
    /// `spec.isCA`, false when unset.
    pub fn is_ca(&self) -> bool {
        self.is_ca.unwrap_or(false)
    }
}
