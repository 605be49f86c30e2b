//! Error types of the PKI crate.
//!
//! Every [`PkiError`] is terminal for the input that caused it: retrying with the same bytes and
//! the same instant gives the same error. Messages say what is wrong and how to fix it.

use jiff::Timestamp;

/// A Go-style duration string could not be parsed.
///
/// The `Display` text is exactly what Go's `time.ParseDuration` returns, because cert-manager
/// users see these strings in `kubectl describe` and search for them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The string is not a duration at all (empty, stray characters, overflow).
    #[error("time: invalid duration {}", crate::duration::go_quote(.input))]
    Invalid {
        /// The whole input as given.
        input: String,
    },
    /// A number is not followed by a unit (`"10"`).
    #[error("time: missing unit in duration {}", crate::duration::go_quote(.input))]
    MissingUnit {
        /// The whole input as given.
        input: String,
    },
    /// A unit other than `ns`, `us`, `µs`, `ms`, `s`, `m`, `h` (`"90d"`).
    #[error(
        "time: unknown unit {} in duration {}",
        crate::duration::go_quote(.unit),
        crate::duration::go_quote(.input)
    )]
    UnknownUnit {
        /// The offending unit.
        unit: String,
        /// The whole input as given.
        input: String,
    },
}

/// Everything that can go wrong while handling keys, CSRs and certificates.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// The input is not well-formed PEM.
    #[error(
        "{what} is not valid PEM: {reason}; expected `-----BEGIN ...-----` / `-----END ...-----` blocks of base64"
    )]
    Pem {
        /// Which input (e.g. `private key`, `certificate bundle`).
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// The input holds no `CERTIFICATE` block.
    #[error(
        "{what} contains no CERTIFICATE PEM block; provide at least one PEM-encoded certificate"
    )]
    NoCertificate {
        /// Which input.
        what: String,
    },
    /// A `CERTIFICATE` block could not be decoded as an X.509 certificate.
    #[error("certificate #{index} in {what} is not a valid X.509 certificate: {reason}")]
    InvalidCertificate {
        /// Which input.
        what: String,
        /// 1-based position of the block in the input.
        index: usize,
        /// The decoder's complaint.
        reason: String,
    },
    /// The input holds no private-key block.
    #[error(
        "no private key found: expected a `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY` PEM block"
    )]
    NoPrivateKey,
    /// The key is encrypted with a passphrase; anchorage only handles unencrypted keys.
    #[error(
        "the private key is encrypted; decrypt it first (e.g. `openssl pkey -in key.pem -out plain.pem`) because anchorage only reads unencrypted keys"
    )]
    EncryptedKey,
    /// The key block could not be decoded.
    #[error("the {label} block is not a valid private key: {reason}")]
    InvalidKey {
        /// The PEM label.
        label: String,
        /// The decoder's complaint.
        reason: String,
    },
    /// The key type or size is not supported (RSA 2048..8192, ECDSA P-256/P-384/P-521, Ed25519).
    #[error(
        "unsupported key: {reason}; use RSA 2048..8192 bits, ECDSA P-256/P-384/P-521 or Ed25519"
    )]
    UnsupportedKey {
        /// What was found.
        reason: String,
    },
    /// The private key does not belong to the certificate or CSR.
    #[error(
        "the private key does not match the public key of {subject}; supply the key that was used to create it"
    )]
    KeyMismatch {
        /// Subject of the certificate (or `the certificate request`).
        subject: String,
    },
    /// The CSR is not valid DER/PEM or lacks required parts.
    #[error("invalid certificate request: {reason}")]
    InvalidCsr {
        /// What is wrong.
        reason: String,
    },
    /// The CSR's self-signature does not verify with its own public key.
    #[error(
        "the certificate request's signature does not verify with its public key; it was altered or signed with another key, create it again"
    )]
    CsrSignature,
    /// A certificate meant to sign is not a CA (RFC 5280 §4.2.1.9 / §4.2.1.3).
    #[error("{subject} cannot sign certificates: {reason}")]
    NotCa {
        /// Subject of the certificate.
        subject: String,
        /// Which property is missing.
        reason: String,
    },
    /// The certificates do not form one chain (cert-manager's wording, plus the stray subject).
    #[error(
        "certificate chain is malformed or broken: {subject} is not part of the chain that starts at the certificate matching the key; remove it or add the missing intermediates"
    )]
    BrokenChain {
        /// Subject of the certificate that does not fit.
        subject: String,
    },
    /// A CA certificate has passed its notAfter.
    #[error(
        "CA certificate {subject} expired at {not_after} (notAfter); replace the CA key pair before signing"
    )]
    CaExpired {
        /// Subject of the expired certificate.
        subject: String,
        /// Its notAfter (RFC 3339 in the message).
        not_after: Timestamp,
    },
    /// A CA certificate is not valid yet.
    #[error(
        "CA certificate {subject} is not yet valid: notBefore is {not_before}; check the clock or wait"
    )]
    CaNotYetValid {
        /// Subject of the certificate.
        subject: String,
        /// Its notBefore (RFC 3339 in the message).
        not_before: Timestamp,
    },
    /// The common name is longer than RFC 5280's `ub-common-name` (64).
    #[error(
        "commonName {value:?} is {bytes} bytes long: must have at most 64 bytes (RFC 5280 ub-common-name); put long names in a DNS SAN instead"
    )]
    CommonNameTooLong {
        /// The offending name.
        value: String,
        /// Its length in UTF-8 bytes.
        bytes: usize,
    },
    /// A subject attribute could not be encoded.
    #[error("subject {field} {value:?} cannot be encoded: {reason}")]
    InvalidSubject {
        /// Attribute name (e.g. `country`).
        field: &'static str,
        /// The value.
        value: String,
        /// Why.
        reason: String,
    },
    /// A subject alternative name is not encodable (RFC 5280 §4.2.1.6: IA5String, i.e. ASCII).
    #[error("subject alternative name {value:?} is invalid: {reason}")]
    InvalidSan {
        /// The offending value.
        value: String,
        /// Why.
        reason: String,
    },
    /// A usage string is not one of cert-manager's 23 key usages.
    #[error(
        "unknown key usage {value:?}; valid usages are cert-manager's: signing, digital signature, content commitment, key encipherment, key agreement, data encipherment, cert sign, crl sign, encipher only, decipher only, any, server auth, client auth, code signing, email protection, s/mime, ipsec end system, ipsec tunnel, ipsec user, timestamping, ocsp signing, microsoft sgc, netscape sgc"
    )]
    UnknownUsage {
        /// The offending string.
        value: String,
    },
    /// The new certificate would violate a pathLenConstraint of the CA chain (RFC 5280 §4.2.1.9).
    #[error(
        "path length limit exceeded: {subject} has pathlen:{path_len}, so it cannot have another CA below it at depth {depth}; sign from a CA with a larger pathlen or issue a leaf"
    )]
    PathLength {
        /// Subject of the constraining CA.
        subject: String,
        /// Its pathLenConstraint.
        path_len: u32,
        /// Number of CA certificates that would follow it.
        depth: u32,
    },
    /// The requested subject equals the subject of a CA in the chain; verifiers would mistake one
    /// for the other.
    #[error(
        "duplicate subject: {subject} is already the subject of a CA certificate in the issuing chain; choose a different subject name"
    )]
    DuplicateSubject {
        /// The duplicated subject.
        subject: String,
    },
    /// The requested validity period is empty or out of range.
    #[error("invalid validity period: {reason}")]
    InvalidValidity {
        /// What is wrong.
        reason: String,
    },
    /// OpenSSL failed in an operation that should not fail for valid input.
    #[error("OpenSSL failed while {context}: {source}")]
    OpenSsl {
        /// The operation.
        context: &'static str,
        /// OpenSSL's error queue.
        #[source]
        source: openssl::error::ErrorStack,
    },
}

impl PkiError {
    /// Wraps an OpenSSL error with the operation that was attempted.
    pub(crate) fn ssl(context: &'static str) -> impl FnOnce(openssl::error::ErrorStack) -> Self {
        move |source| PkiError::OpenSsl { context, source }
    }
}
