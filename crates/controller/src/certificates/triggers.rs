//! Issuance triggers: a chain of small pure checks, first hit wins (DESIGN.md §4; the order
//! and reasons are cert-manager's trigger policy chain).

use std::collections::{BTreeMap, BTreeSet};

use anchorage_api::constants as c;
use anchorage_api::{CertificateRequest, CertificateSpec};
use anchorage_pki::{CertInfo, KeyAlgorithm, PrivateKey};
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Secret;

use super::spec;
use crate::usages;

/// Why an issuance is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// cert-manager reason (`DoesNotExist`, `Renewing`, ...).
    pub reason: &'static str,
    /// Message for the Issuing condition and the event.
    pub message: String,
}

impl Trigger {
    fn new(reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }
}

/// A parsed view of the target Secret. Its `Debug` output never shows key bytes.
#[derive(Default)]
pub struct SecretView {
    /// Whether the Secret exists.
    pub exists: bool,
    /// tls.crt bytes (empty when missing).
    pub tls_crt: Vec<u8>,
    /// tls.key bytes (empty when missing).
    pub tls_key: Vec<u8>,
    /// ca.crt bytes (empty when missing).
    pub ca_crt: Vec<u8>,
    /// Parsed private key, or the parse error.
    pub key: Option<Result<PrivateKey, String>>,
    /// Parsed leaf (first certificate of tls.crt), or the parse error.
    pub leaf: Option<Result<CertInfo, String>>,
    /// The Secret's annotations.
    pub annotations: BTreeMap<String, String>,
}

impl std::fmt::Debug for SecretView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretView")
            .field("exists", &self.exists)
            .field("tls_crt_bytes", &self.tls_crt.len())
            .field(
                "tls_key",
                &if self.tls_key.is_empty() {
                    "<none>"
                } else {
                    "<redacted>"
                },
            )
            .field("ca_crt_bytes", &self.ca_crt.len())
            .field("key_valid", &self.key.as_ref().map(|k| k.is_ok()))
            .field(
                "leaf",
                &self
                    .leaf
                    .as_ref()
                    .map(|l| l.as_ref().map(|c| c.subject.clone())),
            )
            .finish_non_exhaustive()
    }
}

impl SecretView {
    /// Parses a Secret.
    pub fn of(secret: Option<&Secret>) -> Self {
        let Some(secret) = secret else {
            return Self::default();
        };
        let get = |k: &str| {
            secret
                .data
                .as_ref()
                .and_then(|d| d.get(k))
                .map(|b| b.0.clone())
                .unwrap_or_default()
        };
        let tls_crt = get("tls.crt");
        let tls_key = get("tls.key");
        let ca_crt = get("ca.crt");
        let key = (!tls_key.is_empty())
            .then(|| PrivateKey::from_pem(&tls_key).map_err(|e| e.to_string()));
        let leaf = (!tls_crt.is_empty()).then(|| {
            anchorage_pki::parse_certificates(&tls_crt)
                .map_err(|e| e.to_string())
                .and_then(|v| {
                    v.into_iter()
                        .next()
                        .ok_or_else(|| "no certificate".to_string())
                })
        });
        Self {
            exists: true,
            tls_crt,
            tls_key,
            ca_crt,
            key,
            leaf,
            annotations: secret.metadata.annotations.clone().unwrap_or_default(),
        }
    }

    /// The parsed key, when valid.
    pub fn valid_key(&self) -> Option<&PrivateKey> {
        self.key.as_ref().and_then(|k| k.as_ref().ok())
    }

    /// The parsed leaf, when valid.
    pub fn valid_leaf(&self) -> Option<&CertInfo> {
        self.leaf.as_ref().and_then(|l| l.as_ref().ok())
    }

    /// Whether the key and leaf are both valid and belong together.
    pub fn pair_matches(&self) -> bool {
        match (self.valid_key(), self.valid_leaf()) {
            (Some(k), Some(l)) => k.public_key_der().is_ok_and(|d| d == l.public_key_der),
            _ => false,
        }
    }
}

/// Inputs of the trigger checks.
#[derive(Debug)]
pub struct Input<'a> {
    /// The Certificate's name.
    pub name: &'a str,
    /// The Certificate's spec.
    pub spec: &'a CertificateSpec,
    /// The target Secret, parsed.
    pub secret: &'a SecretView,
    /// The CertificateRequest of the current revision, when still present.
    pub current_request: Option<&'a CertificateRequest>,
    /// Now.
    pub now: Timestamp,
    /// The signer's notBefore backdate (`--backdate`).
    pub backdate: SignedDuration,
}

type Check = fn(&Input<'_>) -> Option<Trigger>;

/// The checks, in cert-manager's order.
pub const CHAIN: [(&str, Check); 8] = [
    ("DoesNotExist", does_not_exist),
    ("MissingData", missing_data),
    ("InvalidKeyPair", invalid_key_pair),
    ("PrivateKeySpec", private_key_spec),
    ("IncorrectIssuer", incorrect_issuer),
    ("IncorrectCertificate", incorrect_certificate),
    ("SecretMismatch", spec_mismatch),
    ("Renewing", renewing),
];

/// Runs the chain; the first hit wins.
pub fn evaluate(input: &Input<'_>) -> Option<Trigger> {
    CHAIN.iter().find_map(|(_, check)| check(input))
}

/// DoesNotExist: the Secret is missing.
pub fn does_not_exist(i: &Input<'_>) -> Option<Trigger> {
    (!i.secret.exists).then(|| {
        Trigger::new(
            c::reason::DOES_NOT_EXIST,
            "Issuing certificate as Secret does not exist",
        )
    })
}

/// MissingData: tls.crt or tls.key is empty.
pub fn missing_data(i: &Input<'_>) -> Option<Trigger> {
    if i.secret.tls_key.is_empty() {
        return Some(Trigger::new(
            c::reason::MISSING_DATA,
            "Issuing certificate as Secret does not contain a private key",
        ));
    }
    if i.secret.tls_crt.is_empty() {
        return Some(Trigger::new(
            c::reason::MISSING_DATA,
            "Issuing certificate as Secret does not contain a certificate",
        ));
    }
    None
}

/// InvalidKeyPair / InvalidCertificate / SecretMismatch (key does not match certificate).
pub fn invalid_key_pair(i: &Input<'_>) -> Option<Trigger> {
    if let Some(Err(e)) = &i.secret.key {
        return Some(Trigger::new(
            c::reason::INVALID_KEY_PAIR,
            format!("Issuing certificate as Secret contains invalid private key data: {e}"),
        ));
    }
    if let Some(Err(e)) = &i.secret.leaf {
        return Some(Trigger::new(
            c::reason::INVALID_CERTIFICATE,
            format!("Issuing certificate as Secret contains an invalid certificate: {e}"),
        ));
    }
    (!i.secret.pair_matches()).then(|| {
        Trigger::new(
            c::reason::SECRET_MISMATCH,
            "Issuing certificate as Secret contains a private key that does not match the certificate",
        )
    })
}

/// Fields of `spec.privateKey` that the existing key does not satisfy.
pub fn key_mismatch_fields(spec: &CertificateSpec, key: &PrivateKey) -> Vec<&'static str> {
    let Ok(want) = spec::desired_key(spec) else {
        return Vec::new();
    };
    let have = key.algorithm();
    let same_family = matches!(
        (&want, &have),
        (KeyAlgorithm::Rsa { .. }, KeyAlgorithm::Rsa { .. })
            | (KeyAlgorithm::Ecdsa { .. }, KeyAlgorithm::Ecdsa { .. })
            | (KeyAlgorithm::Ed25519, KeyAlgorithm::Ed25519)
    );
    if !same_family {
        vec!["spec.privateKey.algorithm"]
    } else if want != have {
        vec!["spec.privateKey.size"]
    } else {
        Vec::new()
    }
}

/// SecretMismatch: the key no longer matches spec.privateKey.
pub fn private_key_spec(i: &Input<'_>) -> Option<Trigger> {
    let key = i.secret.valid_key()?;
    let fields = key_mismatch_fields(i.spec, key);
    (!fields.is_empty()).then(|| {
        Trigger::new(
            c::reason::SECRET_MISMATCH,
            format!(
                "Existing private key is not up to date for spec: [{}]",
                fields.join(", ")
            ),
        )
    })
}

/// IncorrectIssuer: the Secret was issued by another issuer.
pub fn incorrect_issuer(i: &Input<'_>) -> Option<Trigger> {
    let a = &i.secret.annotations;
    let r = &i.spec.issuer_ref;
    let name = a
        .get(c::ANNOTATION_ISSUER_NAME)
        .map(String::as_str)
        .unwrap_or("");
    let kind = a
        .get(c::ANNOTATION_ISSUER_KIND)
        .map(String::as_str)
        .unwrap_or("");
    let group = a
        .get(c::ANNOTATION_ISSUER_GROUP)
        .map(String::as_str)
        .unwrap_or("");
    let kind_eq =
        kind == r.kind_or_default() || (kind.is_empty() && r.kind_or_default() == "Issuer");
    let group_eq = group == r.group_or_default() || (group.is_empty());
    (name != r.name || !kind_eq || !group_eq).then(|| {
        Trigger::new(
            c::reason::INCORRECT_ISSUER,
            format!(
                "Issuing certificate as Secret was previously issued by {}.{}/{}",
                if kind.is_empty() { "Issuer" } else { kind },
                if group.is_empty() { c::GROUP } else { group },
                name
            ),
        )
    })
}

/// IncorrectCertificate: the Secret was issued for another Certificate (one that no longer
/// exists; live owners are refused before the chain runs).
pub fn incorrect_certificate(i: &Input<'_>) -> Option<Trigger> {
    let owner = i.secret.annotations.get(c::ANNOTATION_CERTIFICATE_NAME)?;
    (owner != i.name).then(|| {
        Trigger::new(
            c::reason::INCORRECT_CERTIFICATE,
            format!(
                "Issuing certificate as Secret was previously issued for Certificate \"{owner}\""
            ),
        )
    })
}

/// Spec fields the issued certificate (or the current request) no longer matches.
pub fn spec_mismatch_fields(i: &Input<'_>) -> Vec<&'static str> {
    let Some(leaf) = i.secret.valid_leaf() else {
        return Vec::new();
    };
    let s = i.spec;
    let mut out = Vec::new();
    if s.common_name.as_deref().filter(|n| !n.is_empty()) != leaf.common_name.as_deref() {
        out.push("spec.commonName");
    }
    let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
    if spec::set_of(&s.dns_names) != set(&leaf.dns_names) {
        out.push("spec.dnsNames");
    }
    if spec::ip_set(s) != leaf.ip_addresses.iter().copied().collect() {
        out.push("spec.ipAddresses");
    }
    if spec::set_of(&s.uris) != set(&leaf.uris) {
        out.push("spec.uris");
    }
    if spec::set_of(&s.email_addresses) != set(&leaf.email_addresses) {
        out.push("spec.emailAddresses");
    }
    if spec::is_ca(s) != leaf.is_ca {
        out.push("spec.isCA");
    }
    if let Some(cr) = i.current_request {
        let requested = cr.spec.usages.clone().unwrap_or_default();
        let want = spec::usages(s);
        let is_ca = spec::is_ca(s);
        if !requested.is_empty()
            && usages::canonical_set(&requested, is_ca) != usages::canonical_set(&want, is_ca)
        {
            out.push("spec.usages");
        }
        let requested_duration = cr.spec.duration.as_ref().and_then(|d| d.to_signed().ok());
        if let (Some(r), Ok(w)) = (requested_duration, spec::duration(s))
            && r != w
        {
            out.push("spec.duration");
        }
    }
    out
}

/// SecretMismatch: the issued certificate no longer matches the spec.
pub fn spec_mismatch(i: &Input<'_>) -> Option<Trigger> {
    let fields = spec_mismatch_fields(i);
    (!fields.is_empty()).then(|| {
        Trigger::new(
            c::reason::SECRET_MISMATCH,
            format!(
                "Existing issued Secret is not up to date for spec: [{}]",
                fields.join(", ")
            ),
        )
    })
}

/// The renewal instant of the Secret's certificate under this spec (DESIGN.md §4).
///
/// `backdate` is how far notBefore was set before issuance (the controller's `--backdate`):
/// renewBefore only counts when shorter than the time from issuance to notAfter, so a backdated
/// certificate is never due the moment it is issued (BC-03, BC-06).
pub fn renewal_time(
    spec: &CertificateSpec,
    leaf: &CertInfo,
    backdate: SignedDuration,
) -> Timestamp {
    anchorage_pki::renewal_time_with_backdate(
        leaf.not_before,
        leaf.not_after,
        backdate,
        spec::renew_before(spec),
        spec.renew_before_percentage,
    )
}

/// Renewing / Expired: the renewal time has come.
pub fn renewing(i: &Input<'_>) -> Option<Trigger> {
    let leaf = i.secret.valid_leaf()?;
    if i.now >= leaf.not_after {
        return Some(Trigger::new(
            c::reason::EXPIRED,
            format!("Certificate expired on {}", leaf.not_after),
        ));
    }
    let at = renewal_time(i.spec, leaf, i.backdate);
    (i.now >= at).then(|| {
        Trigger::new(
            c::reason::RENEWING,
            format!("Renewing certificate as renewal was scheduled at {at}"),
        )
    })
}
