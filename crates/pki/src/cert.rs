//! Reading certificates and bundles: what `inspect` shows and what the controller compares.

use std::net::IpAddr;

use jiff::Timestamp;
use openssl::hash::MessageDigest;
use openssl::x509::{X509, X509Ref};

use crate::PkiError;
use crate::der::{self, Reader, TAG_SEQUENCE};
use crate::ext::{self, ExtInfo};
use crate::key::KeyAlgorithm;
use crate::pem::{encode_pem, parse_pem};
use crate::usage::{KeyUsage, usages_from};

/// Everything `inspect` and the controller's comparisons need from one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject, RFC 4514-style (`CN=x,O=y`).
    pub subject: String,
    /// Issuer, RFC 4514-style.
    pub issuer: String,
    /// Serial number as lower-case hex without separators.
    pub serial_hex: String,
    /// notBefore (whole seconds, UTC).
    pub not_before: Timestamp,
    /// notAfter (whole seconds, UTC).
    pub not_after: Timestamp,
    /// Subject commonName, if any.
    pub common_name: Option<String>,
    /// dNSName SANs in certificate order.
    pub dns_names: Vec<String>,
    /// iPAddress SANs in certificate order.
    pub ip_addresses: Vec<IpAddr>,
    /// URI SANs in certificate order.
    pub uris: Vec<String>,
    /// rfc822Name SANs in certificate order.
    pub email_addresses: Vec<String>,
    /// basicConstraints cA (false when the extension is absent).
    pub is_ca: bool,
    /// basicConstraints pathLenConstraint.
    pub path_len: Option<u32>,
    /// keyUsage + extKeyUsage as cert-manager usages (canonical forms, [`KeyUsage::ALL`] order).
    pub usages: Vec<KeyUsage>,
    /// Whether a keyUsage extension is present at all (absent = unrestricted, RFC 5280 §4.2.1.3).
    pub has_key_usage: bool,
    /// SubjectPublicKeyInfo DER.
    pub public_key_der: Vec<u8>,
    /// Key algorithm and size.
    pub key_algorithm: KeyAlgorithm,
    /// SHA-256 of the certificate DER, lower-case hex without separators (as `step certificate
    /// fingerprint` prints it).
    pub sha256_fingerprint: String,
    /// subjectKeyIdentifier.
    pub subject_key_id: Option<Vec<u8>>,
    /// authorityKeyIdentifier keyIdentifier.
    pub authority_key_id: Option<Vec<u8>>,
    /// Signature algorithm as OpenSSL names it (`ecdsa-with-SHA256`, `sha256WithRSAEncryption`,
    /// `ED25519`).
    pub signature_algorithm: String,
    /// The certificate DER.
    pub der: Vec<u8>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the extension list of a certificate from its DER (RFC 5280 §4.1: TBSCertificate
/// `[3] Extensions`).
pub(crate) fn cert_extensions(cert_der: &[u8]) -> Result<ExtInfo, &'static str> {
    let outer = der::single(cert_der, TAG_SEQUENCE)?;
    let tbs = Reader::new(outer.content).take(TAG_SEQUENCE)?;
    let mut r = Reader::new(tbs.content);
    while !r.is_empty() {
        let t = r.next_tlv()?;
        if t.tag == 0xa3 {
            let seq = der::single(t.content, TAG_SEQUENCE)?;
            return ext::parse_extensions(seq.content);
        }
    }
    Ok(ExtInfo::default())
}

/// The SubjectPublicKeyInfo TLV of a certificate (RFC 5280 §4.1.2.7), from its DER.
pub(crate) fn cert_spki(cert_der: &[u8]) -> Result<&[u8], &'static str> {
    let outer = der::single(cert_der, TAG_SEQUENCE)?;
    let tbs = Reader::new(outer.content).take(TAG_SEQUENCE)?;
    let mut r = Reader::new(tbs.content);
    let mut first = r.next_tlv()?;
    if first.tag == 0xa0 {
        first = r.next_tlv()?; // serialNumber after the explicit version
    }
    let _serial = first;
    r.take(TAG_SEQUENCE)?; // signature
    r.take(TAG_SEQUENCE)?; // issuer
    r.take(TAG_SEQUENCE)?; // validity
    r.take(TAG_SEQUENCE)?; // subject
    Ok(r.take(TAG_SEQUENCE)?.raw)
}

/// Decodes all `CERTIFICATE` blocks of a PEM input into OpenSSL certificates, in input order,
/// dropping exact (DER) duplicates. `what` names the input in messages.
///
/// # Errors
/// [`PkiError::Pem`], [`PkiError::NoCertificate`], [`PkiError::InvalidCertificate`].
pub fn load_certificates(pem: &[u8], what: &str) -> Result<Vec<X509>, PkiError> {
    let blocks = parse_pem(pem, what)?;
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut out = Vec::new();
    for (i, block) in blocks
        .iter()
        .filter(|b| b.label == "CERTIFICATE")
        .enumerate()
    {
        let cert = X509::from_der(&block.der).map_err(|e| PkiError::InvalidCertificate {
            what: what.to_string(),
            index: i + 1,
            reason: e.to_string(),
        })?;
        if !seen.contains(&block.der) {
            seen.push(block.der.clone());
            out.push(cert);
        }
    }
    if out.is_empty() {
        return Err(PkiError::NoCertificate {
            what: what.to_string(),
        });
    }
    Ok(out)
}

/// Describes one OpenSSL certificate.
///
/// # Errors
/// [`PkiError::InvalidCertificate`] for malformed extensions; [`PkiError::UnsupportedKey`];
/// [`PkiError::OpenSsl`].
pub fn cert_info(cert: &X509Ref) -> Result<CertInfo, PkiError> {
    let der_bytes = cert
        .to_der()
        .map_err(PkiError::ssl("encoding a certificate"))?;
    let bad = |reason: &str| PkiError::InvalidCertificate {
        what: ext::name_to_string(cert.subject_name()),
        index: 1,
        reason: reason.to_string(),
    };
    let info = cert_extensions(&der_bytes).map_err(bad)?;
    let public_key_der = cert_spki(&der_bytes).map_err(bad)?.to_vec();
    let public = crate::key::public_key_from_spki(&public_key_der)?;
    let serial = cert
        .serial_number()
        .to_bn()
        .map_err(PkiError::ssl("reading a serial number"))?
        .to_vec();
    let (is_ca, path_len) = info.basic_constraints.unwrap_or((false, None));
    Ok(CertInfo {
        subject: ext::name_to_string(cert.subject_name()),
        issuer: ext::name_to_string(cert.issuer_name()),
        serial_hex: if serial.is_empty() {
            "00".into()
        } else {
            hex(&serial)
        },
        not_before: ext::timestamp(cert.not_before())?,
        not_after: ext::timestamp(cert.not_after())?,
        common_name: ext::common_name(cert.subject_name()),
        dns_names: info.sans.dns,
        ip_addresses: info.sans.ips,
        uris: info.sans.uris,
        email_addresses: info.sans.emails,
        is_ca,
        path_len: if is_ca { path_len } else { None },
        usages: usages_from(info.key_usage.unwrap_or(0), &info.ekus),
        has_key_usage: info.key_usage.is_some(),
        public_key_der,
        key_algorithm: KeyAlgorithm::of(&public)?,
        sha256_fingerprint: hex(&cert
            .digest(MessageDigest::sha256())
            .map_err(PkiError::ssl("hashing a certificate"))?),
        subject_key_id: info.skid,
        authority_key_id: info.akid,
        signature_algorithm: cert.signature_algorithm().object().to_string(),
        der: der_bytes,
    })
}

/// Describes every certificate of a PEM bundle, in input order (exact duplicates dropped).
/// Tolerates CRLF, blank lines and text around the blocks.
///
/// # Errors
/// [`PkiError::NoCertificate`] when there is no `CERTIFICATE` block; others as [`cert_info`].
pub fn parse_certificates(pem: &[u8]) -> Result<Vec<CertInfo>, PkiError> {
    load_certificates(pem, "certificate input")?
        .iter()
        .map(|c| cert_info(c))
        .collect()
}

/// Re-encodes the certificates of a bundle in input order, de-duplicated by DER, as normalised
/// PEM (LF, 64 columns, no blank lines, exactly one final newline: what Linkerd's Go decoder
/// needs). Non-certificate blocks are dropped.
///
/// # Errors
/// As [`load_certificates`].
pub fn normalize_pem_bundle(pem: &[u8]) -> Result<Vec<u8>, PkiError> {
    let certs = load_certificates(pem, "certificate bundle")?;
    let mut out = Vec::new();
    for c in certs {
        let d = c
            .to_der()
            .map_err(PkiError::ssl("encoding a certificate"))?;
        out.extend_from_slice(&encode_pem("CERTIFICATE", &d));
    }
    Ok(out)
}

/// Whether the certificate is self-signed: subject equals issuer and its own key verifies its
/// signature (RFC 5280 §6.1: a trust anchor candidate).
pub(crate) fn is_self_signed(cert: &X509Ref) -> bool {
    let same_name = matches!(
        cert.subject_name().try_cmp(cert.issuer_name()),
        Ok(std::cmp::Ordering::Equal)
    );
    same_name
        && cert
            .public_key()
            .and_then(|k| cert.verify(&k))
            .unwrap_or(false)
}

/// Whether `issuer` issued `child`: names match and `issuer`'s key verifies `child`'s signature.
pub(crate) fn issued_by(child: &X509Ref, issuer: &X509Ref) -> bool {
    let name_ok = matches!(
        child.issuer_name().try_cmp(issuer.subject_name()),
        Ok(std::cmp::Ordering::Equal)
    );
    name_ok
        && issuer
            .public_key()
            .and_then(|k| child.verify(&k))
            .unwrap_or(false)
}
