//! `Certificate`: the desired X.509 certificate and the Secret to keep it in.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jiff::SignedDuration;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::condition::CertificateCondition;
use crate::constants::{
    DEFAULT_DURATION, DEFAULT_ECDSA_KEY_SIZE, DEFAULT_REVISION_HISTORY_LIMIT, DEFAULT_RSA_KEY_SIZE,
    DEFAULT_USAGES, KEY_ALGORITHM_ECDSA, KEY_ALGORITHM_ED25519, KEY_ALGORITHM_RSA,
    KEY_ENCODING_PKCS1, KEY_ENCODING_PKCS8, ROTATION_POLICY_ALWAYS, ROTATION_POLICY_NEVER,
    USAGE_CERT_SIGN,
};
use crate::duration::Duration;
use crate::issuer::IssuerRef;
use crate::validation::FieldError;

/// Desired state of a Certificate (cert-manager `CertificateSpec`).
///
/// Field names and defaults are cert-manager's. Fields anchorage does not implement
/// (`literalSubject`, `keystores`, `additionalOutputFormats`, `nameConstraints`, `otherNames`,
/// `encodeUsagesInRequest`) are accepted and kept so existing manifests apply.
// kube-derive repeats `type_`/`priority` per column; clippy mistakes them for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, JsonSchema, PartialEq, Default)]
#[kube(
    group = "cert-manager.io",
    version = "v1",
    kind = "Certificate",
    namespaced,
    status = "CertificateStatus",
    derive = "PartialEq",
    derive = "Default",
    shortname = "cert",
    shortname = "certs",
    category = "cert-manager",
    doc = "A Certificate resource should be created to ensure an up to date and signed X.509 certificate is stored in the Kubernetes Secret resource named in `spec.secretName`. The stored certificate will be renewed before it expires (as configured by `spec.renewBefore`).",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Ready")].status"#
    ),
    printcolumn(name = "Secret", type_ = "string", json_path = ".spec.secretName"),
    printcolumn(
        name = "Issuer",
        type_ = "string",
        json_path = ".spec.issuerRef.name",
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
#[schemars(transform = crate::schema::certificate_spec)]
pub struct CertificateSpec {
    /// Name of the `kubernetes.io/tls` Secret (same namespace) that receives `tls.crt`,
    /// `tls.key` and `ca.crt`. Required.
    #[schemars(transform = crate::schema::object_name)]
    pub secret_name: String,
    /// The issuer that signs this certificate. Required.
    pub issuer_ref: IssuerRef,
    /// Subject common name; at most 64 bytes (RFC 5280 `ub-common-name`). Discouraged for TLS,
    /// where SANs are used, but Linkerd's identity issuer sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::common_name)]
    pub common_name: Option<String>,
    /// Further subject attributes (organization, country, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<X509Subject>,
    /// An RFC 4514 subject string used verbatim instead of `commonName`/`subject`
    /// (cert-manager feature `LiteralCertificateSubject`); accepted, not implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub literal_subject: Option<String>,
    /// DNS subject alternative names (wildcards such as `*.example.com` allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_names: Option<Vec<String>>,
    /// IP address subject alternative names (IPv4 or IPv6 text form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::ip_addresses")]
    pub ip_addresses: Option<Vec<String>>,
    /// URI subject alternative names (e.g. SPIFFE IDs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uris: Option<Vec<String>>,
    /// Email subject alternative names (rfc822Name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_addresses: Option<Vec<String>>,
    /// Other-name SANs (`{oid, utf8Value}`); accepted, not implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::opaque_object_list")]
    pub other_names: Option<serde_json::Value>,
    /// Requested lifetime as a Go duration (e.g. `2160h`, `48h0m0s`). Default 2160h (90 days),
    /// minimum 1h. The issued lifetime may be shorter when the CA expires earlier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::certificate_duration)]
    pub duration: Option<Duration>,
    /// How long before expiry to renew, as a Go duration. Minimum 5m, must be less than
    /// `duration`. Default: one third of the issued lifetime. Mutually exclusive with
    /// `renewBeforePercentage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::certificate_renew_before)]
    pub renew_before: Option<Duration>,
    /// How long before expiry to renew, as a percentage of the issued lifetime (1..99).
    /// Mutually exclusive with `renewBefore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::renew_before_percentage)]
    pub renew_before_percentage: Option<i32>,
    /// Whether the certificate is a CA (BasicConstraints CA:TRUE); adds the `cert sign` usage.
    /// Default false.
    #[serde(default, rename = "isCA", skip_serializing_if = "Option::is_none")]
    pub is_ca: Option<bool>,
    /// Key usages and extended key usages, from cert-manager's 23 names (`digital signature`,
    /// `server auth`, ...). Default `digital signature`, `key encipherment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::usages")]
    pub usages: Option<Vec<String>>,
    /// Private key options: algorithm, size, encoding and rotation policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<CertificatePrivateKey>,
    /// Whether to encode the key usages in the CSR (cert-manager option); accepted, ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encode_usages_in_request: Option<bool>,
    /// Labels and annotations copied onto the Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_template: Option<SecretTemplate>,
    /// Keystores (JKS, PKCS#12) to add to the Secret; accepted, not implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::opaque_object")]
    pub keystores: Option<serde_json::Value>,
    /// Number of CertificateRequests kept per Certificate (oldest pruned first); minimum 1.
    /// Default 1 in anchorage (cert-manager keeps all when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::revision_history_limit)]
    pub revision_history_limit: Option<i32>,
    /// Extra Secret keys (`CombinedPEM`, `DER`); accepted, not implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::opaque_object_list")]
    pub additional_output_formats: Option<serde_json::Value>,
    /// X.509 name constraints for CA certificates (RFC 5280 §4.2.1.10); accepted, not
    /// implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::opaque_object")]
    pub name_constraints: Option<serde_json::Value>,
}

/// Subject attributes other than the common name (RFC 5280 §4.1.2.6).
#[derive(Serialize, Deserialize, Clone, Debug, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::schema::plain)]
pub struct X509Subject {
    /// Organizations (O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizations: Option<Vec<String>>,
    /// Countries (C).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub countries: Option<Vec<String>>,
    /// Organizational units (OU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizational_units: Option<Vec<String>>,
    /// Localities (L).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub localities: Option<Vec<String>>,
    /// States or provinces (ST).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provinces: Option<Vec<String>>,
    /// Street addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_addresses: Option<Vec<String>>,
    /// Postal codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_codes: Option<Vec<String>>,
    /// Subject serial number attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
}

/// Private key options of a Certificate (cert-manager `CertificatePrivateKey`).
///
/// Values are strings on the wire so that an object with an unknown value still deserializes
/// and can be reported; [`CertificateSpec::key_algorithm`] and friends parse them.
#[derive(Serialize, Deserialize, Clone, Debug, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::schema::private_key)]
pub struct CertificatePrivateKey {
    /// `Never` (reuse the key in the Secret) or `Always` (new key each issuance). Default
    /// `Always` (cert-manager >= 1.18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::rotation_policy)]
    pub rotation_policy: Option<String>,
    /// `PKCS1` (`BEGIN RSA/EC PRIVATE KEY`) or `PKCS8` (`BEGIN PRIVATE KEY`). Default `PKCS1`;
    /// Ed25519 keys are always PKCS#8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::key_encoding)]
    pub encoding: Option<String>,
    /// `RSA`, `ECDSA` or `Ed25519`. Default `RSA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::key_algorithm)]
    pub algorithm: Option<String>,
    /// Key size in bits: RSA 2048..8192 (default 2048); ECDSA 256, 384 or 521 (default 256);
    /// ignored for Ed25519. 0 means the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i32>,
}

/// Labels and annotations to copy onto the issued Secret.
#[derive(Serialize, Deserialize, Clone, Debug, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::schema::plain)]
pub struct SecretTemplate {
    /// Annotations added to the Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Labels added to the Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
}

/// Observed state of a Certificate (cert-manager `CertificateStatus`).
#[derive(Serialize, Deserialize, Clone, Debug, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::schema::plain)]
pub struct CertificateStatus {
    /// Current conditions: `Ready`, `Issuing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema::conditions_list)]
    pub conditions: Option<Vec<CertificateCondition>>,
    /// When the last issuance attempt failed; cleared on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure_time: Option<Time>,
    /// notBefore of the certificate in the Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Time>,
    /// notAfter of the certificate in the Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<Time>,
    /// When the certificate will be renewed (notAfter minus the renew-before window, truncated
    /// to the second).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_time: Option<Time>,
    /// Issuance counter: 1 after the first issuance, +1 per issuance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i32>,
    /// Name of the Secret holding the private key for the next issuance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_private_key_secret_name: Option<String>,
    /// Consecutive failed issuance attempts; reset to 0/unset on success. Drives the retry
    /// back-off (1h * 2^(n-1), at most 32h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_issuance_attempts: Option<i32>,
}

// ---------------------------------------------------------------------------------------------
// Key options as enums, and defaults
// ---------------------------------------------------------------------------------------------

/// Private key algorithm (`spec.privateKey.algorithm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum KeyAlgorithm {
    /// RSA (default).
    #[default]
    Rsa,
    /// ECDSA on P-256, P-384 or P-521.
    Ecdsa,
    /// Ed25519 (RFC 8410).
    Ed25519,
}

impl KeyAlgorithm {
    /// The manifest spelling: `RSA`, `ECDSA`, `Ed25519`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rsa => KEY_ALGORITHM_RSA,
            Self::Ecdsa => KEY_ALGORITHM_ECDSA,
            Self::Ed25519 => KEY_ALGORITHM_ED25519,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = FieldError;

    /// Parses the manifest spelling exactly (case-sensitive, as cert-manager's enum).
    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s {
            KEY_ALGORITHM_RSA => Ok(Self::Rsa),
            KEY_ALGORITHM_ECDSA => Ok(Self::Ecdsa),
            KEY_ALGORITHM_ED25519 => Ok(Self::Ed25519),
            other => Err(FieldError::not_supported(
                "spec.privateKey.algorithm",
                other,
                &[
                    KEY_ALGORITHM_RSA,
                    KEY_ALGORITHM_ECDSA,
                    KEY_ALGORITHM_ED25519,
                ],
            )),
        }
    }
}

/// Private key encoding in `tls.key` (`spec.privateKey.encoding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum KeyEncoding {
    /// PKCS#1 for RSA (`BEGIN RSA PRIVATE KEY`), SEC 1 for ECDSA (`BEGIN EC PRIVATE KEY`).
    #[default]
    Pkcs1,
    /// PKCS#8 (`BEGIN PRIVATE KEY`).
    Pkcs8,
}

impl KeyEncoding {
    /// The manifest spelling: `PKCS1`, `PKCS8`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pkcs1 => KEY_ENCODING_PKCS1,
            Self::Pkcs8 => KEY_ENCODING_PKCS8,
        }
    }
}

impl fmt::Display for KeyEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyEncoding {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s {
            KEY_ENCODING_PKCS1 => Ok(Self::Pkcs1),
            KEY_ENCODING_PKCS8 => Ok(Self::Pkcs8),
            other => Err(FieldError::not_supported(
                "spec.privateKey.encoding",
                other,
                &[KEY_ENCODING_PKCS1, KEY_ENCODING_PKCS8],
            )),
        }
    }
}

/// Whether a renewal generates a new key (`spec.privateKey.rotationPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RotationPolicy {
    /// Reuse the key already in the Secret when it still matches the spec.
    Never,
    /// Generate a new key on every issuance (default).
    #[default]
    Always,
}

impl RotationPolicy {
    /// The manifest spelling: `Never`, `Always`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Never => ROTATION_POLICY_NEVER,
            Self::Always => ROTATION_POLICY_ALWAYS,
        }
    }
}

impl fmt::Display for RotationPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RotationPolicy {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s {
            ROTATION_POLICY_NEVER => Ok(Self::Never),
            ROTATION_POLICY_ALWAYS => Ok(Self::Always),
            other => Err(FieldError::not_supported(
                "spec.privateKey.rotationPolicy",
                other,
                &[ROTATION_POLICY_NEVER, ROTATION_POLICY_ALWAYS],
            )),
        }
    }
}

/// Parses an optional enum-like string; unset or empty means the default.
fn parse_or_default<T: FromStr<Err = FieldError> + Default>(
    value: Option<&str>,
) -> Result<T, FieldError> {
    match value {
        None | Some("") => Ok(T::default()),
        Some(v) => v.parse(),
    }
}

impl CertificateSpec {
    /// `spec.duration` parsed, or 2160h when unset (cert-manager `DefaultCertificateDuration`).
    ///
    /// # Errors
    /// `spec.duration: Invalid value: "<v>": <Go parse error>` when it does not parse. The
    /// minimum is checked by [`crate::validate_certificate_spec`], not here.
    pub fn effective_duration(&self) -> Result<SignedDuration, FieldError> {
        match &self.duration {
            None => Ok(DEFAULT_DURATION),
            Some(d) => d
                .parse()
                .map_err(|e| FieldError::invalid("spec.duration", d.as_str(), e.to_string())),
        }
    }

    /// `spec.renewBefore` parsed, `None` when unset.
    ///
    /// # Errors
    /// `spec.renewBefore: Invalid value: "<v>": <Go parse error>` when it does not parse.
    pub fn renew_before(&self) -> Result<Option<SignedDuration>, FieldError> {
        match &self.renew_before {
            None => Ok(None),
            Some(d) => d
                .parse()
                .map(Some)
                .map_err(|e| FieldError::invalid("spec.renewBefore", d.as_str(), e.to_string())),
        }
    }

    /// `spec.isCA`, false when unset.
    pub fn is_ca(&self) -> bool {
        self.is_ca.unwrap_or(false)
    }

    /// The usages to request: `spec.usages` if set and non-empty, else `digital signature`,
    /// `key encipherment` (cert-manager `DefaultKeyUsages`); `cert sign` is added when
    /// `isCA: true` and missing (cert-manager's `buildUsages`). Order is kept, duplicates are
    /// dropped.
    pub fn effective_usages(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut push = |u: &str| {
            if !out.iter().any(|have| have == u) {
                out.push(u.to_owned());
            }
        };
        match self.usages.as_deref() {
            Some(list) if !list.is_empty() => list.iter().for_each(|u| push(u)),
            _ => DEFAULT_USAGES.iter().for_each(|u| push(u)),
        }
        if self.is_ca() {
            push(USAGE_CERT_SIGN);
        }
        out
    }

    /// `spec.privateKey.algorithm`, RSA when unset or empty.
    ///
    /// # Errors
    /// `spec.privateKey.algorithm: Unsupported value: ...` for an unknown algorithm.
    pub fn key_algorithm(&self) -> Result<KeyAlgorithm, FieldError> {
        parse_or_default(
            self.private_key
                .as_ref()
                .and_then(|k| k.algorithm.as_deref()),
        )
    }

    /// Key size in bits: `spec.privateKey.size` when set and non-zero, else 2048 for RSA and
    /// 256 for ECDSA; 256 for Ed25519 (fixed by the algorithm; `size` is ignored).
    ///
    /// # Errors
    /// The algorithm's error, or `spec.privateKey.size: Invalid value` when the size does not
    /// suit the algorithm (RSA 2048..8192, ECDSA 256/384/521).
    pub fn key_size(&self) -> Result<u32, FieldError> {
        let algorithm = self.key_algorithm()?;
        let size = self.private_key.as_ref().and_then(|k| k.size).unwrap_or(0);
        if let Some(err) = crate::validation::check_key_size(algorithm, size) {
            return Err(err);
        }
        let size = u32::try_from(size).unwrap_or(0);
        Ok(match algorithm {
            KeyAlgorithm::Ed25519 => 256,
            KeyAlgorithm::Rsa if size == 0 => DEFAULT_RSA_KEY_SIZE,
            KeyAlgorithm::Ecdsa if size == 0 => DEFAULT_ECDSA_KEY_SIZE,
            _ => size,
        })
    }

    /// `spec.privateKey.encoding`, PKCS1 when unset; always PKCS8 for Ed25519 (there is no
    /// PKCS#1 form of an Ed25519 key).
    ///
    /// # Errors
    /// `spec.privateKey.encoding: Unsupported value: ...`, or the algorithm's error.
    pub fn key_encoding(&self) -> Result<KeyEncoding, FieldError> {
        let encoding = parse_or_default(
            self.private_key
                .as_ref()
                .and_then(|k| k.encoding.as_deref()),
        )?;
        Ok(match self.key_algorithm()? {
            KeyAlgorithm::Ed25519 => KeyEncoding::Pkcs8,
            _ => encoding,
        })
    }

    /// `spec.privateKey.rotationPolicy`, `Always` when unset (cert-manager >= 1.18 default).
    ///
    /// # Errors
    /// `spec.privateKey.rotationPolicy: Unsupported value: ...`.
    pub fn rotation_policy(&self) -> Result<RotationPolicy, FieldError> {
        parse_or_default(
            self.private_key
                .as_ref()
                .and_then(|k| k.rotation_policy.as_deref()),
        )
    }

    /// `spec.revisionHistoryLimit`, 1 when unset (DESIGN.md §3).
    pub fn revision_history_limit(&self) -> i32 {
        self.revision_history_limit
            .unwrap_or(DEFAULT_REVISION_HISTORY_LIMIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_defaults() {
        let mut spec = CertificateSpec::default();
        assert_eq!(
            spec.effective_usages(),
            ["digital signature", "key encipherment"]
        );
        spec.is_ca = Some(true);
        assert_eq!(
            spec.effective_usages(),
            ["digital signature", "key encipherment", "cert sign"]
        );
        spec.usages = Some(vec!["cert sign".into(), "crl sign".into()]);
        assert_eq!(spec.effective_usages(), ["cert sign", "crl sign"]);
    }

    #[test]
    fn key_defaults() {
        let spec = CertificateSpec::default();
        assert_eq!(spec.key_algorithm(), Ok(KeyAlgorithm::Rsa));
        assert_eq!(spec.key_size(), Ok(2048));
        assert_eq!(spec.key_encoding(), Ok(KeyEncoding::Pkcs1));
        assert_eq!(spec.rotation_policy(), Ok(RotationPolicy::Always));
        assert_eq!(spec.revision_history_limit(), 1);
        assert_eq!(spec.effective_duration(), Ok(DEFAULT_DURATION));
    }

    #[test]
    fn wire_names_are_cert_managers() {
        let spec = CertificateSpec {
            is_ca: Some(true),
            renew_before_percentage: Some(10),
            ..CertificateSpec::default()
        };
        let json = serde_json::to_value(&spec).expect("serializes");
        assert_eq!(json["isCA"], true);
        assert_eq!(json["renewBeforePercentage"], 10);
        assert_eq!(json["issuerRef"]["name"], "");
    }
}
