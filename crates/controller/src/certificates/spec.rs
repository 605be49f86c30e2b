//! Effective values of a Certificate spec, mapped onto `anchorage-pki` types. The defaults
//! themselves live in `anchorage-api` ([`CertificateSpec`]'s helpers); this module only adapts
//! them for the reconciler.

use std::collections::BTreeSet;
use std::net::IpAddr;

use anchorage_api::{self as api, CertificateSpec};
use anchorage_pki::{EcCurve, KeyAlgorithm, KeyEncoding};
use jiff::SignedDuration;

pub use anchorage_api::RotationPolicy;

/// The key algorithm the spec asks for (RSA 2048 by default; ECDSA 256 by default).
pub fn desired_key(spec: &CertificateSpec) -> Result<KeyAlgorithm, String> {
    let algorithm = spec.key_algorithm().map_err(|e| e.to_string())?;
    let size = spec.key_size().map_err(|e| e.to_string())?;
    Ok(match algorithm {
        api::KeyAlgorithm::Rsa => KeyAlgorithm::Rsa { bits: size },
        api::KeyAlgorithm::Ecdsa => KeyAlgorithm::Ecdsa {
            curve: match size {
                384 => EcCurve::P384,
                521 => EcCurve::P521,
                _ => EcCurve::P256,
            },
        },
        api::KeyAlgorithm::Ed25519 => KeyAlgorithm::Ed25519,
    })
}

/// The requested key encoding (PKCS1 by default, meaning SEC1 for EC; Ed25519 is PKCS#8).
pub fn desired_encoding(spec: &CertificateSpec) -> KeyEncoding {
    match spec.key_encoding() {
        Ok(api::KeyEncoding::Pkcs8) => KeyEncoding::Pkcs8,
        _ => KeyEncoding::Pkcs1,
    }
}

/// The rotation policy (Always by default; an invalid value is reported by validation).
pub fn rotation_policy(spec: &CertificateSpec) -> RotationPolicy {
    spec.rotation_policy().unwrap_or(RotationPolicy::Always)
}

/// spec.duration, default 2160h.
pub fn duration(spec: &CertificateSpec) -> Result<SignedDuration, String> {
    spec.effective_duration().map_err(|e| e.to_string())
}

/// spec.renewBefore, when set and parseable.
pub fn renew_before(spec: &CertificateSpec) -> Option<SignedDuration> {
    spec.renew_before().ok().flatten()
}

/// The usages to request (defaults applied; isCA adds `cert sign`).
pub fn usages(spec: &CertificateSpec) -> Vec<String> {
    spec.effective_usages()
}

/// spec.isCA (default false).
pub fn is_ca(spec: &CertificateSpec) -> bool {
    spec.is_ca()
}

/// spec.revisionHistoryLimit (default 1, minimum 1).
pub fn revision_history_limit(spec: &CertificateSpec) -> usize {
    spec.revision_history_limit().max(1) as usize
}

/// A list field as a set of strings.
pub fn set_of(v: &Option<Vec<String>>) -> BTreeSet<String> {
    v.iter().flatten().cloned().collect()
}

/// spec.ipAddresses parsed (invalid entries are reported by validation and skipped here).
pub fn ip_set(spec: &CertificateSpec) -> BTreeSet<IpAddr> {
    spec.ip_addresses
        .iter()
        .flatten()
        .filter_map(|s| s.parse().ok())
        .collect()
}
