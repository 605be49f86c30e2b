//! Status conditions shared by all four kinds (cert-manager's `CertificateCondition`,
//! `CertificateRequestCondition` and `IssuerCondition` have the same shape).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::constants::{STATUS_FALSE, STATUS_TRUE, STATUS_UNKNOWN};

/// One status condition, e.g. `{type: Ready, status: "True", reason: Issued}`.
///
/// Condition types and reasons are cert-manager's (see the `constants` module).
#[derive(Serialize, Deserialize, Clone, Debug, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::schema::plain)]
pub struct Condition {
    /// Type of the condition, e.g. `Ready`, `Issuing`, `Approved`, `Denied`, `InvalidRequest`.
    #[serde(rename = "type")]
    #[schemars(transform = crate::schema::short_string)]
    pub type_: String,
    /// Status of the condition: `True`, `False` or `Unknown`.
    #[schemars(transform = crate::schema::condition_status)]
    pub status: String,
    /// Machine-readable CamelCase reason for the last transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable details of the last transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the condition last changed status (RFC 3339, second precision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    /// `metadata.generation` of the object when the condition was set; a condition older than
    /// the current generation is out of date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// A Certificate condition (`Ready`, `Issuing`).
pub type CertificateCondition = Condition;
/// A CertificateRequest condition (`Ready`, `Approved`, `Denied`, `InvalidRequest`).
pub type CertificateRequestCondition = Condition;
/// An Issuer or ClusterIssuer condition (`Ready`).
pub type IssuerCondition = Condition;

impl Condition {
    /// A condition with the given type, status, reason and message, without timestamps.
    pub fn new(
        type_: impl Into<String>,
        status: impl Into<String>,
        reason: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            type_: type_.into(),
            status: status.into(),
            reason: Some(reason.into()),
            message: Some(message.into()),
            last_transition_time: None,
            observed_generation: None,
        }
    }

    /// `status == "True"`.
    pub fn is_true(&self) -> bool {
        self.status == STATUS_TRUE
    }

    /// `status == "False"`.
    pub fn is_false(&self) -> bool {
        self.status == STATUS_FALSE
    }

    /// `status == "Unknown"` (or any other value, which cert-manager treats as unknown).
    pub fn is_unknown(&self) -> bool {
        self.status == STATUS_UNKNOWN || !(self.is_true() || self.is_false())
    }
}

/// The condition of the given type in `conditions`, if present.
pub fn find_condition<'a>(
    conditions: Option<&'a [Condition]>,
    type_: &str,
) -> Option<&'a Condition> {
    conditions?.iter().find(|c| c.type_ == type_)
}

/// Whether `conditions` holds a condition of the given type with status `True`.
pub fn condition_is_true(conditions: Option<&[Condition]>, type_: &str) -> bool {
    find_condition(conditions, type_).is_some_and(Condition::is_true)
}
