//! anchorage-api: the `cert-manager.io/v1` API types served by anchorage.
//!
//! - Kinds: [`Certificate`], [`CertificateRequest`], [`Issuer`] and [`ClusterIssuer`] (both
//!   issuers share [`IssuerSpec`] / [`IssuerStatus`]), with serde names exactly as cert-manager's
//!   so existing manifests apply unchanged.
//! - [`Duration`]: Go-style duration strings, parsed by `anchorage-pki`.
//! - [`constants`]: condition types, reasons, event reasons, annotation and label keys, defaults.
//! - [`validation`]: pure checks with cert-manager's messages, mirroring the CEL rules the
//!   generated CRDs ([`crds`]) carry, so the API server rejects bad specs without a webhook.
//!
//! No I/O and no API client here.

pub mod certificate;
pub mod certificate_request;
pub mod cluster_issuer;
pub mod condition;
pub mod constants;
pub mod crd;
pub mod duration;
pub mod issuer;
mod schema;
pub mod validation;

pub use certificate::{
    Certificate, CertificatePrivateKey, CertificateSpec, CertificateStatus, KeyAlgorithm,
    KeyEncoding, RotationPolicy, SecretTemplate, X509Subject,
};
pub use certificate_request::{
    CertificateRequest, CertificateRequestSpec, CertificateRequestStatus,
};
pub use cluster_issuer::ClusterIssuer;
pub use condition::{
    CertificateCondition, CertificateRequestCondition, Condition, IssuerCondition,
    condition_is_true, find_condition,
};
pub use crd::{crd_file_name, crds};
pub use duration::{Duration, DurationError};
pub use issuer::{
    CaIssuer, Issuer, IssuerRef, IssuerSpec, IssuerStatus, IssuerType, SelfSignedIssuer,
};
pub use validation::{
    FieldError, join_field_errors, validate_certificate_request_spec, validate_certificate_spec,
    validate_issuer_ref, validate_issuer_spec,
};
