//! `Issuer` (namespaced) and `ClusterIssuer` (cluster-scoped): who signs Certificates.
//!
//! Both kinds share one spec type, [`IssuerSpec`], and one status type, [`IssuerStatus`], as in
//! cert-manager. `Issuer` is derived with kube's `CustomResource`; [`ClusterIssuer`](crate::ClusterIssuer) is written
//! out by hand (see [`crate::cluster_issuer`]) so that its `spec` is the very same `IssuerSpec`
//! type and the controller handles both kinds with one code path.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::condition::IssuerCondition;
use crate::constants::{GROUP, ISSUER_KIND};

/// Reference from a Certificate or CertificateRequest to its issuer (cert-manager's
/// `ObjectReference`).
#[derive(Serialize, Deserialize, Clone, Debug, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::schema::issuer_ref)]
pub struct IssuerRef {
    /// Name of the issuer. Required.
    #[schemars(transform = crate::schema::object_name)]
    pub name: String,
    /// Kind of the issuer: `Issuer` (default when empty) or `ClusterIssuer` for cert-manager's
    /// group; any kind for an external issuer group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::short_string)]
    pub kind: Option<String>,
    /// API group of the issuer; empty means `cert-manager.io`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::short_string)]
    pub group: Option<String>,
}

impl IssuerRef {
    /// A reference to a namespaced `Issuer` of group `cert-manager.io`.
    pub fn issuer(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: Some(ISSUER_KIND.into()),
            group: None,
        }
    }

    /// A reference to a `ClusterIssuer` of group `cert-manager.io`.
    pub fn cluster_issuer(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: Some(crate::constants::CLUSTER_ISSUER_KIND.into()),
            group: None,
        }
    }

    /// The kind, `"Issuer"` when unset or empty (cert-manager's default).
    pub fn kind_or_default(&self) -> &str {
        match self.kind.as_deref() {
            Some(kind) if !kind.is_empty() => kind,
            _ => ISSUER_KIND,
        }
    }

    /// The group, `"cert-manager.io"` when unset or empty (cert-manager's default).
    pub fn group_or_default(&self) -> &str {
        match self.group.as_deref() {
            Some(group) if !group.is_empty() => group,
            _ => GROUP,
        }
    }

    /// Whether the reference points at cert-manager's own group (the only one anchorage serves).
    pub fn is_cert_manager_group(&self) -> bool {
        self.group_or_default() == GROUP
    }

    /// Whether the reference names a `ClusterIssuer` of cert-manager's group.
    pub fn is_cluster_issuer(&self) -> bool {
        self.is_cert_manager_group()
            && self.kind_or_default() == crate::constants::CLUSTER_ISSUER_KIND
    }
}

/// A CA issuer: signs with the key pair in a `kubernetes.io/tls` Secret.
///
/// For an `Issuer` the Secret is in the Issuer's namespace; for a `ClusterIssuer` it is in the
/// controller's cluster resource namespace.
#[derive(Serialize, Deserialize, Clone, Debug, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::schema::plain)]
pub struct CaIssuer {
    /// Name of the Secret holding `tls.crt` (the CA certificate, optionally followed by its
    /// chain) and `tls.key` (its private key).
    #[schemars(transform = crate::schema::object_name)]
    pub secret_name: String,
    /// CRL distribution point URLs written into issued certificates (RFC 5280 §4.2.1.13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crl_distribution_points: Option<Vec<String>>,
    /// OCSP responder URLs written into issued certificates' Authority Information Access
    /// extension (RFC 5280 §4.2.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocsp_servers: Option<Vec<String>>,
    /// CA issuer URLs written into issued certificates' Authority Information Access extension
    /// (RFC 5280 §4.2.2.1).
    #[serde(
        default,
        rename = "issuingCertificateURLs",
        skip_serializing_if = "Option::is_none"
    )]
    pub issuing_certificate_urls: Option<Vec<String>>,
}

/// A self-signed issuer: each certificate is signed with its own private key.
#[derive(Serialize, Deserialize, Clone, Debug, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::schema::plain)]
pub struct SelfSignedIssuer {
    /// CRL distribution point URLs written into issued certificates (RFC 5280 §4.2.1.13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crl_distribution_points: Option<Vec<String>>,
}

/// Spec of an `Issuer` or `ClusterIssuer`: exactly one issuer type must be set.
///
/// anchorage implements `ca` and `selfSigned`; `acme`, `vault` and `venafi` are accepted and
/// kept verbatim so existing cert-manager manifests apply, and the issuer reports
/// `Ready=False` with reason `UnsupportedIssuerType`.
// kube-derive repeats `type_`/`priority` per column; clippy mistakes them for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, JsonSchema, PartialEq, Default)]
#[kube(
    group = "cert-manager.io",
    version = "v1",
    kind = "Issuer",
    namespaced,
    status = "IssuerStatus",
    derive = "PartialEq",
    derive = "Default",
    shortname = "iss",
    category = "cert-manager",
    doc = "An Issuer represents a certificate issuing authority which can be referenced as part of `issuerRef` fields. It is scoped to a single namespace and can therefore only be referenced by resources within the same namespace.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Ready")].status"#
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
#[schemars(transform = crate::schema::issuer_spec)]
pub struct IssuerSpec {
    /// Sign with a CA key pair stored in a Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<CaIssuer>,
    /// Sign each certificate with its own private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_signed: Option<SelfSignedIssuer>,
    /// ACME issuer configuration (cert-manager); accepted and kept, not implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::opaque_object")]
    pub acme: Option<serde_json::Value>,
    /// Vault issuer configuration (cert-manager); accepted and kept, not implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::opaque_object")]
    pub vault: Option<serde_json::Value>,
    /// Venafi issuer configuration (cert-manager); accepted and kept, not implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::opaque_object")]
    pub venafi: Option<serde_json::Value>,
}

/// The issuer types an [`IssuerSpec`] can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IssuerType {
    /// `spec.ca`.
    Ca,
    /// `spec.selfSigned`.
    SelfSigned,
    /// `spec.acme` (not implemented by anchorage).
    Acme,
    /// `spec.vault` (not implemented by anchorage).
    Vault,
    /// `spec.venafi` (not implemented by anchorage).
    Venafi,
}

impl IssuerType {
    /// The spec field name, e.g. `selfSigned`.
    pub fn field_name(self) -> &'static str {
        match self {
            Self::Ca => "ca",
            Self::SelfSigned => "selfSigned",
            Self::Acme => "acme",
            Self::Vault => "vault",
            Self::Venafi => "venafi",
        }
    }

    /// Whether anchorage can sign with this issuer type (`ca`, `selfSigned`).
    pub fn is_supported(self) -> bool {
        matches!(self, Self::Ca | Self::SelfSigned)
    }
}

impl IssuerSpec {
    /// The issuer types set in this spec, in field order. A valid spec has exactly one.
    pub fn types(&self) -> Vec<IssuerType> {
        let mut out = Vec::with_capacity(1);
        if self.ca.is_some() {
            out.push(IssuerType::Ca);
        }
        if self.self_signed.is_some() {
            out.push(IssuerType::SelfSigned);
        }
        if self.acme.is_some() {
            out.push(IssuerType::Acme);
        }
        if self.vault.is_some() {
            out.push(IssuerType::Vault);
        }
        if self.venafi.is_some() {
            out.push(IssuerType::Venafi);
        }
        out
    }

    /// The single issuer type, or `None` when zero or several are set.
    pub fn issuer_type(&self) -> Option<IssuerType> {
        match self.types().as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

/// Observed state of an `Issuer` or `ClusterIssuer`.
#[derive(Serialize, Deserialize, Clone, Debug, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::schema::plain)]
pub struct IssuerStatus {
    /// Current conditions; `Ready` says whether the issuer can sign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::conditions_list)]
    pub conditions: Option<Vec<IssuerCondition>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_ref_defaults() {
        let bare = IssuerRef {
            name: "x".into(),
            ..IssuerRef::default()
        };
        assert_eq!(bare.kind_or_default(), "Issuer");
        assert_eq!(bare.group_or_default(), "cert-manager.io");
        assert!(!bare.is_cluster_issuer());
        let empty = IssuerRef {
            name: "x".into(),
            kind: Some(String::new()),
            group: Some(String::new()),
        };
        assert_eq!(empty.kind_or_default(), "Issuer");
        assert_eq!(empty.group_or_default(), "cert-manager.io");
        assert!(IssuerRef::cluster_issuer("x").is_cluster_issuer());
    }

    #[test]
    fn issuer_types() {
        let spec = IssuerSpec {
            self_signed: Some(SelfSignedIssuer::default()),
            ..IssuerSpec::default()
        };
        assert_eq!(spec.issuer_type(), Some(IssuerType::SelfSigned));
        assert_eq!(
            serde_json::to_value(&spec).ok(),
            Some(serde_json::json!({"selfSigned": {}}))
        );
        let two = IssuerSpec {
            ca: Some(CaIssuer::default()),
            ..spec
        };
        assert_eq!(two.issuer_type(), None);
        assert_eq!(IssuerSpec::default().types(), []);
    }
}
