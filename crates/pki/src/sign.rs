//! Issuing certificates from CSRs: with a CA (cert-manager's CA issuer) or self-signed
//! (cert-manager's SelfSigned issuer, step's root-ca / self-signed profiles).

use jiff::{SignedDuration, Timestamp};
use openssl::bn::{BigNum, MsbOption};

use crate::PkiError;
use crate::ca::CaMaterial;
use crate::csr::ParsedCsr;
use crate::der;
use crate::ext::{self, Sans};
use crate::key::{EcCurve, KeyAlgorithm, PrivateKey};
use crate::pem::encode_pem;
use crate::usage::{KeyUsage, split_usages};

/// Bits of randomness in a serial number: positive and at most 20 octets (RFC 5280 §4.1.2.2),
/// like cert-manager's 128+ bit random serials.
pub const SERIAL_BITS: i32 = 159;

/// How to issue one certificate. All durations are in (nano)seconds via [`SignedDuration`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignParams {
    /// Signing instant (inject a clock; never read the system time here).
    pub now: Timestamp,
    /// Requested lifetime: notAfter = `now + duration` (then clipped to the CA chain's notAfter).
    /// Must be positive.
    pub duration: SignedDuration,
    /// Clock-skew tolerance: notBefore = `now - backdate` (DESIGN.md §4; controller default
    /// 30 s, 0 for strict cert-manager parity).
    pub backdate: SignedDuration,
    /// Issue a CA certificate (basicConstraints cA=TRUE; keyCertSign is always added).
    pub is_ca: bool,
    /// keyUsage / extKeyUsage of the certificate (cert-manager strings).
    pub usages: Vec<KeyUsage>,
    /// basicConstraints pathLenConstraint for CA certificates (step: root-ca 1,
    /// intermediate-ca 0; cert-manager: none).
    pub path_len: Option<u32>,
    /// cRLDistributionPoints URLs (issuer `spec.ca.crlDistributionPoints`).
    pub crl_distribution_points: Vec<String>,
    /// authorityInfoAccess OCSP URLs (issuer `spec.ca.ocspServers`).
    pub ocsp_servers: Vec<String>,
    /// authorityInfoAccess caIssuers URLs (issuer `spec.ca.issuingCertificateURLs`).
    pub issuing_certificate_urls: Vec<String>,
}

impl SignParams {
    /// Parameters with no usages, no CA flag and no URLs.
    pub fn new(now: Timestamp, duration: SignedDuration) -> Self {
        SignParams {
            now,
            duration,
            backdate: SignedDuration::ZERO,
            is_ca: false,
            usages: Vec::new(),
            path_len: None,
            crl_distribution_points: Vec::new(),
            ocsp_servers: Vec::new(),
            issuing_certificate_urls: Vec::new(),
        }
    }
}

/// An issued certificate in cert-manager's Secret layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// `tls.crt`: the new certificate followed by the CA chain without a self-signed root
    /// (normalised PEM).
    pub certificate_pem: Vec<u8>,
    /// `ca.crt`: exactly one certificate, the top of the chain: the root if known, else the
    /// highest intermediate (for a self-signed certificate: itself).
    pub ca_pem: Vec<u8>,
    /// DER of the new certificate alone.
    pub certificate_der: Vec<u8>,
    /// notBefore of the new certificate (whole seconds).
    pub not_before: Timestamp,
    /// notAfter of the new certificate (whole seconds).
    pub not_after: Timestamp,
    /// notAfter was clipped to the CA chain's notAfter (controller: Warning event
    /// `ClippedToIssuerExpiry`).
    pub clipped: bool,
}

fn check_duration(d: SignedDuration) -> Result<(), PkiError> {
    if d <= SignedDuration::ZERO {
        return Err(PkiError::InvalidValidity {
            reason: format!(
                "the requested duration {} is not positive",
                crate::format_go_duration(d)
            ),
        });
    }
    Ok(())
}

fn add(t: Timestamp, d: SignedDuration) -> Result<Timestamp, PkiError> {
    t.checked_add(d).map_err(|e| PkiError::InvalidValidity {
        reason: format!("validity out of range: {e}"),
    })
}

fn random_serial() -> Result<BigNum, PkiError> {
    let mut bn = BigNum::new().map_err(PkiError::ssl("allocating a serial"))?;
    bn.rand(SERIAL_BITS, MsbOption::MAYBE_ZERO, false)
        .map_err(PkiError::ssl("generating a serial"))?;
    if bn.num_bits() == 0 {
        bn.add_word(1)
            .map_err(PkiError::ssl("generating a serial"))?;
    }
    Ok(bn)
}

struct Validity {
    not_before: Timestamp,
    not_after: Timestamp,
}

/// The AlgorithmIdentifier DER of the signature a key makes (RFC 5758 §3.2 ECDSA, RFC 4055 §5
/// RSA PKCS#1 v1.5 with NULL parameters, RFC 8410 §3 Ed25519), matching
/// [`crate::KeyAlgorithm::signature_digest`].
fn signature_algorithm(alg: KeyAlgorithm) -> Vec<u8> {
    let (oid, null) = match alg {
        KeyAlgorithm::Rsa { bits } if bits >= 4096 => ("1.2.840.113549.1.1.13", true),
        KeyAlgorithm::Rsa { bits } if bits >= 3072 => ("1.2.840.113549.1.1.12", true),
        KeyAlgorithm::Rsa { .. } => ("1.2.840.113549.1.1.11", true),
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        } => ("1.2.840.10045.4.3.2", false),
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P384,
        } => ("1.2.840.10045.4.3.3", false),
        KeyAlgorithm::Ecdsa {
            curve: EcCurve::P521,
        } => ("1.2.840.10045.4.3.4", false),
        KeyAlgorithm::Ed25519 => ("1.3.101.112", false),
    };
    let mut parts = vec![der::tlv(
        der::TAG_OID,
        &der::oid_content(oid).unwrap_or_default(),
    )];
    if null {
        parts.push(vec![0x05, 0x00]);
    }
    der::seq(&parts)
}

/// Encodes the TBSCertificate (RFC 5280 §4.1) and signs it with OpenSSL; returns the
/// Certificate DER. Encoding the structure ourselves avoids OpenSSL 3's per-certificate
/// provider look-ups in `X509_sign`, which cost more than the signature itself.
#[allow(clippy::too_many_arguments)]
fn build(
    csr: &ParsedCsr,
    subject_der: &[u8],
    subject_empty: bool,
    issuer_der: &[u8],
    signer: &PrivateKey,
    authority_key_id: Option<&[u8]>,
    validity: &Validity,
    params: &SignParams,
) -> Result<Vec<u8>, PkiError> {
    let (bits, ekus) = split_usages(&params.usages, params.is_ca);
    let mut exts = vec![ext::basic_constraints(
        params.is_ca,
        params.path_len.filter(|_| params.is_ca),
    )];
    if bits != 0 {
        exts.push(ext::key_usage(bits));
    }
    if !ekus.is_empty() {
        exts.push(ext::ext_key_usage(&ekus));
    }
    exts.push(ext::subject_key_id(&ext::key_identifier(
        &csr.public_key_der,
    )?));
    if let Some(id) = authority_key_id {
        exts.push(ext::authority_key_id(id));
    }
    let sans = Sans {
        dns: csr.dns_names.clone(),
        ips: csr.ip_addresses.clone(),
        uris: csr.uris.clone(),
        emails: csr.email_addresses.clone(),
    };
    if !sans.is_empty() {
        exts.push(ext::subject_alt_name(&sans, subject_empty)?);
    }
    if !params.crl_distribution_points.is_empty() {
        exts.push(ext::crl_distribution_points(
            &params.crl_distribution_points,
        )?);
    }
    if !params.ocsp_servers.is_empty() || !params.issuing_certificate_urls.is_empty() {
        exts.push(ext::authority_info_access(
            &params.ocsp_servers,
            &params.issuing_certificate_urls,
        )?);
    }

    let sig_alg = signature_algorithm(signer.algorithm());
    let serial = random_serial()?.to_vec();
    let mut serial_content = Vec::with_capacity(serial.len() + 1);
    if serial.first().is_some_and(|b| b & 0x80 != 0) {
        serial_content.push(0);
    }
    serial_content.extend_from_slice(&serial);
    let ext_list: Vec<Vec<u8>> = exts.iter().map(ext::Ext::encode).collect();
    let tbs = der::seq(&[
        der::tlv(0xa0, &der::uint(2)),
        der::tlv(der::TAG_INTEGER, &serial_content),
        sig_alg.clone(),
        issuer_der.to_vec(),
        der::seq(&[
            ext::der_time(validity.not_before),
            ext::der_time(validity.not_after),
        ]),
        subject_der.to_vec(),
        csr.public_key_der.clone(),
        der::tlv(0xa3, &der::seq(&ext_list)),
    ]);
    let signature = signer.sign(&tbs)?;
    let mut bits_content = Vec::with_capacity(signature.len() + 1);
    bits_content.push(0);
    bits_content.extend_from_slice(&signature);
    Ok(der::seq(&[
        tbs,
        sig_alg,
        der::tlv(der::TAG_BIT_STRING, &bits_content),
    ]))
}

/// Signs a CSR with a CA (cert-manager's CA issuer).
///
/// The certificate is X.509 v3 with a random positive serial of up to [`SERIAL_BITS`] bits, the
/// CSR's subject verbatim (no CN is invented from SANs), notBefore = `now - backdate`, notAfter
/// = `now + duration` clipped to [`CaMaterial::chain_not_after`] (`clipped` says so),
/// basicConstraints (critical; pathlen only for CAs), keyUsage (critical; `is_ca` adds
/// keyCertSign) and extKeyUsage from `params.usages`, the CSR's SANs (IPs as 4/16-octet
/// iPAddress), subjectKeyIdentifier, authorityKeyIdentifier = the CA's key id, and CRL / OCSP /
/// caIssuers URLs when given. The hash follows the CA key
/// ([`crate::KeyAlgorithm::signature_digest`]).
///
/// # Errors
/// - [`PkiError::CaExpired`] / [`PkiError::CaNotYetValid`] when any chain certificate is outside
///   its validity at `now` (BC-05);
/// - [`PkiError::PathLength`] when a CA certificate would violate a pathLenConstraint of the
///   chain (RFC 5280 §4.2.1.9; BC-20 step 3);
/// - [`PkiError::DuplicateSubject`] when the CSR's subject equals a chain certificate's subject
///   (BC-20 step 4);
/// - [`PkiError::InvalidValidity`] for a non-positive duration or a clipped period that is empty;
/// - [`PkiError::InvalidSan`], [`PkiError::OpenSsl`].
pub fn sign_csr(csr: &ParsedCsr, ca: &CaMaterial, params: &SignParams) -> Result<Issued, PkiError> {
    check_duration(params.duration)?;
    ca.check_valid_at(params.now)?;
    for (depth, info) in ca.chain_info().iter().enumerate() {
        if let Some(limit) = info.path_len.filter(|_| info.is_ca) {
            let following = depth as u32 + u32::from(params.is_ca);
            if following > limit {
                return Err(PkiError::PathLength {
                    subject: info.subject.clone(),
                    path_len: limit,
                    depth: following,
                });
            }
        }
    }
    let subject = csr.subject_name()?;
    if subject.entries().next().is_some() {
        for cert in ca.chain() {
            if matches!(
                cert.subject_name().try_cmp(&subject),
                Ok(std::cmp::Ordering::Equal)
            ) {
                return Err(PkiError::DuplicateSubject {
                    subject: csr.subject.clone(),
                });
            }
        }
    }
    let not_before = add(params.now, -params.backdate)?;
    let requested = add(params.now, params.duration)?;
    let limit = ca.chain_not_after();
    let (not_after, clipped) = if requested > limit {
        (limit, true)
    } else {
        (requested, false)
    };
    let validity = Validity {
        not_before: Timestamp::from_second(not_before.as_second()).unwrap_or(not_before),
        not_after: Timestamp::from_second(not_after.as_second()).unwrap_or(not_after),
    };
    if validity.not_after <= validity.not_before {
        return Err(PkiError::InvalidValidity {
            reason: format!(
                "notAfter {} would not be after notBefore {}",
                validity.not_after, validity.not_before
            ),
        });
    }
    let leaf_der = build(
        csr,
        &csr.subject_der,
        subject.entries().next().is_none(),
        ca.subject_der(),
        ca.key(),
        Some(ca.key_id()),
        &validity,
        params,
    )?;
    let mut certificate_pem = encode_pem("CERTIFICATE", &leaf_der);
    certificate_pem.extend_from_slice(ca.tls_chain_pem());
    Ok(Issued {
        certificate_pem,
        ca_pem: ca.ca_pem().to_vec(),
        certificate_der: leaf_der,
        not_before: validity.not_before,
        not_after: validity.not_after,
        clipped,
    })
}

/// Self-signs a CSR with its own key (cert-manager's SelfSigned issuer; step's root-ca and
/// self-signed profiles). No authorityKeyIdentifier is written (RFC 5280 §4.2.1.1 allows
/// omitting it for self-signed certificates). `tls.crt` and `ca.crt` are both the certificate.
///
/// # Errors
/// [`PkiError::KeyMismatch`] when `key` is not the CSR's key; [`PkiError::InvalidValidity`];
/// [`PkiError::InvalidSan`]; [`PkiError::OpenSsl`].
pub fn self_sign_csr(
    csr: &ParsedCsr,
    key: &PrivateKey,
    params: &SignParams,
) -> Result<Issued, PkiError> {
    check_duration(params.duration)?;
    if key.public_key_der()? != csr.public_key_der {
        return Err(PkiError::KeyMismatch {
            subject: format!("the certificate request for {}", csr.subject),
        });
    }
    let not_before = add(params.now, -params.backdate)?;
    let not_after = add(params.now, params.duration)?;
    let validity = Validity {
        not_before: Timestamp::from_second(not_before.as_second()).unwrap_or(not_before),
        not_after: Timestamp::from_second(not_after.as_second()).unwrap_or(not_after),
    };
    let subject = csr.subject_name()?;
    let der_bytes = build(
        csr,
        &csr.subject_der,
        subject.entries().next().is_none(),
        &csr.subject_der,
        key,
        None,
        &validity,
        params,
    )?;
    let pem = encode_pem("CERTIFICATE", &der_bytes);
    Ok(Issued {
        certificate_pem: pem.clone(),
        ca_pem: pem,
        certificate_der: der_bytes,
        not_before: validity.not_before,
        not_after: validity.not_after,
        clipped: false,
    })
}
