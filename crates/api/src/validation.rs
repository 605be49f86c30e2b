//! Pure validation of specs, the same rules the generated CRDs enforce with OpenAPI and CEL.
//!
//! The controller calls these on every object it reads, because the CRDs in a cluster may have
//! been installed from elsewhere (e.g. cert-manager's, which rely on a webhook we do not run).
//! Messages follow cert-manager's webhook wording (`pkg/internal/apis/certmanager/validation`)
//! and Kubernetes' `field.Error` layout: `<field>: <Type>: <value>: <detail>`.

use std::fmt;
use std::net::IpAddr;

use jiff::SignedDuration;

use crate::certificate::{CertificateSpec, KeyAlgorithm};
use crate::certificate_request::CertificateRequestSpec;
use crate::constants::{
    CLUSTER_ISSUER_KIND, DEFAULT_DURATION, ECDSA_KEY_SIZES, GROUP, ISSUER_KIND, KNOWN_USAGES,
    MAX_COMMON_NAME_BYTES, MAX_RSA_KEY_SIZE, MIN_DURATION, MIN_RENEW_BEFORE, MIN_RSA_KEY_SIZE,
};
use crate::duration::Duration;
use crate::issuer::{IssuerRef, IssuerSpec};

/// One validation failure: the offending field's path and what is wrong with it.
///
/// `Display` is `"<field>: <message>"`, e.g.
/// `spec.ipAddresses[0]: Invalid value: "10.0.0.256": invalid IP address`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// JSON path of the field from the object root, e.g. `spec.renewBefore`,
    /// `spec.ipAddresses[0]`, `spec.privateKey.size`.
    pub field: String,
    /// What is wrong, starting with the Kubernetes error type (`Invalid value: ...`,
    /// `Required value: ...`, `Too long: ...`, `Unsupported value: ...`, `Forbidden: ...`).
    pub message: String,
}

/// Quotes a string as Go's `%q` does for the printable text found in manifests.
fn quote(value: &str) -> String {
    format!("{value:?}")
}

impl FieldError {
    /// `<field>: Invalid value: "<value>": <detail>` (Kubernetes `field.Invalid` of a string).
    pub fn invalid(field: impl Into<String>, value: &str, detail: impl fmt::Display) -> Self {
        Self {
            field: field.into(),
            message: format!("Invalid value: {}: {detail}", quote(value)),
        }
    }

    /// `<field>: Invalid value: <n>: <detail>` (Kubernetes `field.Invalid` of a number).
    pub fn invalid_number(field: impl Into<String>, value: i64, detail: impl fmt::Display) -> Self {
        Self {
            field: field.into(),
            message: format!("Invalid value: {value}: {detail}"),
        }
    }

    /// `<field>: Required value: <detail>`.
    pub fn required(field: impl Into<String>, detail: impl fmt::Display) -> Self {
        Self {
            field: field.into(),
            message: format!("Required value: {detail}"),
        }
    }

    /// `<field>: Forbidden: <detail>`.
    pub fn forbidden(field: impl Into<String>, detail: impl fmt::Display) -> Self {
        Self {
            field: field.into(),
            message: format!("Forbidden: {detail}"),
        }
    }

    /// `<field>: Too long: must have at most <max> bytes`.
    pub fn too_long(field: impl Into<String>, max_bytes: usize) -> Self {
        Self {
            field: field.into(),
            message: format!("Too long: must have at most {max_bytes} bytes"),
        }
    }

    /// `<field>: Unsupported value: "<value>": supported values: "a", "b"`.
    pub fn not_supported(field: impl Into<String>, value: &str, supported: &[&str]) -> Self {
        let list: Vec<String> = supported.iter().map(|s| quote(s)).collect();
        Self {
            field: field.into(),
            message: format!(
                "Unsupported value: {}: supported values: {}",
                quote(value),
                list.join(", ")
            ),
        }
    }
}

/// Joins errors the way Kubernetes prints an aggregate: `[e1, e2]`, or just `e1` for one.
/// Handy for condition messages.
pub fn join_field_errors(errors: &[FieldError]) -> String {
    match errors {
        [] => String::new(),
        [one] => one.to_string(),
        many => {
            let parts: Vec<String> = many.iter().map(ToString::to_string).collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

/// A duration rendered as Go's `Duration.String()` (`2160h0m0s`).
fn go(d: SignedDuration) -> String {
    anchorage_pki::format_go_duration(d)
}

/// Parses an optional duration field, recording a Go-style error under `field`.
fn parse_duration(
    field: &str,
    value: Option<&Duration>,
    errors: &mut Vec<FieldError>,
) -> Option<SignedDuration> {
    let value = value?;
    match value.parse() {
        Ok(d) => Some(d),
        Err(e) => {
            errors.push(FieldError::invalid(field, value.as_str(), e));
            None
        }
    }
}

/// Checks an issuer reference (`<path>.name`, `<path>.kind`), as cert-manager's
/// `validateIssuerRef`.
pub fn validate_issuer_ref(issuer_ref: &IssuerRef, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if issuer_ref.name.is_empty() {
        errors.push(FieldError::required(
            format!("{path}.name"),
            "must be specified",
        ));
    }
    let group = issuer_ref.group.as_deref().unwrap_or("");
    let kind = issuer_ref.kind.as_deref().unwrap_or("");
    if (group.is_empty() || group == GROUP)
        && !matches!(kind, "" | ISSUER_KIND | CLUSTER_ISSUER_KIND)
    {
        errors.push(FieldError::invalid(
            format!("{path}.kind"),
            kind,
            "must be one of Issuer or ClusterIssuer",
        ));
    }
    errors
}

/// Checks a usage list against cert-manager's 23 known names.
fn validate_usages(usages: Option<&[String]>, errors: &mut Vec<FieldError>) {
    for (i, usage) in usages.unwrap_or_default().iter().enumerate() {
        if !KNOWN_USAGES.contains(&usage.as_str()) {
            errors.push(FieldError::not_supported(
                format!("spec.usages[{i}]"),
                usage,
                &KNOWN_USAGES,
            ));
        }
    }
}

/// The size check for one algorithm (`size` 0 means the default), as cert-manager's webhook.
pub(crate) fn check_key_size(algorithm: KeyAlgorithm, size: i32) -> Option<FieldError> {
    const FIELD: &str = "spec.privateKey.size";
    if size < 0 {
        return Some(FieldError::invalid_number(
            FIELD,
            i64::from(size),
            "must not be negative",
        ));
    }
    if size == 0 {
        return None;
    }
    let bits = u32::try_from(size).unwrap_or(0);
    match algorithm {
        KeyAlgorithm::Rsa if !(MIN_RSA_KEY_SIZE..=MAX_RSA_KEY_SIZE).contains(&bits) => {
            Some(FieldError::invalid_number(
                FIELD,
                i64::from(size),
                "must be between 2048 & 8192 for rsa keyAlgorithm",
            ))
        }
        KeyAlgorithm::Ecdsa if !ECDSA_KEY_SIZES.contains(&bits) => Some(FieldError {
            field: FIELD.into(),
            message: format!(
                "Unsupported value: {size}: supported values: \"256\", \"384\", \"521\""
            ),
        }),
        _ => None,
    }
}

/// Validates a Certificate spec; an empty list means valid.
///
/// Rules (cert-manager's webhook, plus DESIGN.md §3): `secretName` and `issuerRef.name`
/// required; `issuerRef.kind` Issuer|ClusterIssuer for cert-manager's group; at least one of
/// commonName/literalSubject, dnsNames, uris, ipAddresses, emailAddresses, otherNames;
/// commonName at most 64 bytes; every ipAddress parses; usages known; privateKey algorithm,
/// encoding, rotationPolicy known and size valid for the algorithm; duration parses and is at
/// least 1h (default 2160h); renewBefore parses, is at least 5m and less than the duration;
/// renewBefore and renewBeforePercentage exclusive; percentage in (0, 100) and yielding at
/// least 5m; revisionHistoryLimit at least 1.
pub fn validate_certificate_spec(spec: &CertificateSpec) -> Vec<FieldError> {
    let mut errors = Vec::new();

    if spec.secret_name.is_empty() {
        errors.push(FieldError::required("spec.secretName", "must be specified"));
    }
    errors.extend(validate_issuer_ref(&spec.issuer_ref, "spec.issuerRef"));

    validate_names(spec, &mut errors);
    validate_usages(spec.usages.as_deref(), &mut errors);
    validate_private_key(spec, &mut errors);
    validate_durations(spec, &mut errors);

    if let Some(limit) = spec.revision_history_limit
        && limit < 1
    {
        errors.push(FieldError::invalid_number(
            "spec.revisionHistoryLimit",
            i64::from(limit),
            "must not be less than 1",
        ));
    }
    errors
}

/// Subject names: presence, commonName length, IP syntax.
fn validate_names(spec: &CertificateSpec, errors: &mut Vec<FieldError>) {
    let non_empty = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|l| !l.is_empty());
    let has_common_name = spec.common_name.as_deref().is_some_and(|cn| !cn.is_empty())
        || spec
            .literal_subject
            .as_deref()
            .is_some_and(|s| !s.is_empty());
    let has_other_names = spec
        .other_names
        .as_ref()
        .and_then(serde_json::Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if !(has_common_name
        || non_empty(&spec.dns_names)
        || non_empty(&spec.uris)
        || non_empty(&spec.ip_addresses)
        || non_empty(&spec.email_addresses)
        || has_other_names)
    {
        errors.push(FieldError::invalid(
            "spec",
            "",
            "at least one of commonName (from the commonName field or from a literalSubject), dnsNames, uriSANs, ipAddresses, emailSANs or otherNames must be set",
        ));
    }

    if let Some(cn) = &spec.common_name
        && cn.len() > MAX_COMMON_NAME_BYTES
    {
        errors.push(FieldError::too_long(
            "spec.commonName",
            MAX_COMMON_NAME_BYTES,
        ));
    }

    for (i, ip) in spec.ip_addresses.iter().flatten().enumerate() {
        if ip.parse::<IpAddr>().is_err() {
            errors.push(FieldError::invalid(
                format!("spec.ipAddresses[{i}]"),
                ip,
                "invalid IP address",
            ));
        }
    }
}

/// Private key options.
fn validate_private_key(spec: &CertificateSpec, errors: &mut Vec<FieldError>) {
    let Some(pk) = &spec.private_key else {
        return;
    };
    match spec.key_algorithm() {
        Ok(algorithm) => {
            if let Some(err) = check_key_size(algorithm, pk.size.unwrap_or(0)) {
                errors.push(err);
            }
        }
        Err(err) => errors.push(err),
    }
    if let Some(Err(err)) = pk
        .encoding
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(str::parse::<crate::certificate::KeyEncoding>)
    {
        errors.push(err);
    }
    if let Err(err) = spec.rotation_policy() {
        errors.push(err);
    }
}

/// duration / renewBefore / renewBeforePercentage, as cert-manager's `ValidateDuration`.
fn validate_durations(spec: &CertificateSpec, errors: &mut Vec<FieldError>) {
    let duration = match &spec.duration {
        None => Some(DEFAULT_DURATION),
        some => parse_duration("spec.duration", some.as_ref(), errors),
    };
    let renew_before = parse_duration("spec.renewBefore", spec.renew_before.as_ref(), errors);

    if let Some(d) = duration
        && d < MIN_DURATION
    {
        errors.push(FieldError::invalid(
            "spec.duration",
            &go(d),
            format!(
                "certificate duration must be greater than {}",
                go(MIN_DURATION)
            ),
        ));
    }
    if let Some(rb) = renew_before {
        if rb < MIN_RENEW_BEFORE {
            errors.push(FieldError::invalid(
                "spec.renewBefore",
                &go(rb),
                format!(
                    "certificate renewBefore must be greater than {}",
                    go(MIN_RENEW_BEFORE)
                ),
            ));
        }
        if let Some(d) = duration
            && rb >= d
        {
            errors.push(FieldError::invalid(
                "spec.renewBefore",
                &go(rb),
                format!(
                    "certificate duration {} must be greater than renewBefore {}",
                    go(d),
                    go(rb)
                ),
            ));
        }
    }
    if let Some(pct) = spec.renew_before_percentage {
        if let Some(rb) = &spec.renew_before {
            errors.push(FieldError::invalid(
                "spec.renewBefore",
                rb.as_str(),
                "renewBefore and renewBeforePercentage are mutually exclusive and cannot both be set",
            ));
        }
        if pct <= 0 || pct >= 100 {
            errors.push(FieldError::invalid_number(
                "spec.renewBeforePercentage",
                i64::from(pct),
                "renewBeforePercentage must be a value between 0 and 100",
            ));
        } else if let Some(d) = duration {
            let nanos = d.as_nanos() * i128::from(pct) / 100;
            let rb = SignedDuration::from_nanos_i128(nanos);
            if rb < MIN_RENEW_BEFORE {
                errors.push(FieldError::invalid_number(
                    "spec.renewBeforePercentage",
                    i64::from(pct),
                    format!(
                        "certificate renewBeforePercentage must result in a renewBefore greater than {}",
                        go(MIN_RENEW_BEFORE)
                    ),
                ));
            }
        }
    }
}

/// Validates an Issuer or ClusterIssuer spec: exactly one issuer type (cert-manager's
/// `ValidateIssuerConfig` wording) and, for `ca`, a Secret name.
pub fn validate_issuer_spec(spec: &IssuerSpec) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match spec.types().len() {
        0 => errors.push(FieldError::required(
            "spec",
            "at least one issuer must be configured",
        )),
        1 => {}
        _ => errors.push(FieldError::forbidden(
            "spec",
            "may not specify more than one issuer type",
        )),
    }
    if let Some(ca) = &spec.ca
        && ca.secret_name.is_empty()
    {
        errors.push(FieldError::required(
            "spec.ca.secretName",
            "must be specified",
        ));
    }
    errors
}

/// Validates a CertificateRequest spec: a PEM CSR present, issuerRef, a parseable positive
/// duration, known usages. (Whether the CSR matches the spec is checked when signing.)
pub fn validate_certificate_request_spec(spec: &CertificateRequestSpec) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if spec.request.0.is_empty() {
        errors.push(FieldError::required("spec.request", "must be specified"));
    } else if !contains(&spec.request.0, b"-----BEGIN CERTIFICATE REQUEST-----") {
        errors.push(FieldError {
            field: "spec.request".into(),
            message: "Invalid value: \"<bytes>\": failed to decode csr: expected a PEM block of type CERTIFICATE REQUEST".into(),
        });
    }
    errors.extend(validate_issuer_ref(&spec.issuer_ref, "spec.issuerRef"));
    if let Some(d) = parse_duration("spec.duration", spec.duration.as_ref(), &mut errors)
        && d <= SignedDuration::ZERO
    {
        errors.push(FieldError::invalid(
            "spec.duration",
            &go(d),
            "duration must be positive",
        ));
    }
    validate_usages(spec.usages.as_deref(), &mut errors);
    errors
}

/// Whether `haystack` contains `needle`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
