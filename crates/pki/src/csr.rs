//! PKCS#10 certificate signing requests (RFC 2986): building and parsing with signature check.

use std::net::IpAddr;

use openssl::asn1::Asn1Type;
use openssl::nid::Nid;
use openssl::pkey::{PKey, PKeyRef, Public};
use openssl::stack::Stack;
use openssl::x509::{X509Name, X509NameBuilder, X509ReqBuilder};

use crate::PkiError;
use crate::der::{self, Reader, TAG_INTEGER, TAG_OID, TAG_SEQUENCE, TAG_SET};
use crate::ext::{self, Sans};
use crate::key::{KeyAlgorithm, PrivateKey, public_key_from_spki};
use crate::pem::{encode_pem, parse_pem};
use crate::usage::{KeyUsage, split_usages, usages_from};

/// Upper bound of a commonName in bytes (RFC 5280 Appendix A `ub-common-name`, enforced by
/// cert-manager as `spec.commonName: Too long: must have at most 64 bytes`).
pub const MAX_COMMON_NAME_BYTES: usize = 64;

/// What to put in a CSR. The subject attributes mirror cert-manager's `spec.subject` plus
/// `spec.commonName`; SANs mirror `dnsNames`, `ipAddresses`, `uris`, `emailAddresses`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsrParams {
    /// Subject commonName; at most 64 UTF-8 bytes. `None` leaves CN out (it is never filled
    /// from a SAN).
    pub common_name: Option<String>,
    /// Subject organizationName (O) values.
    pub organization: Vec<String>,
    /// Subject countryName (C) values (PrintableString).
    pub countries: Vec<String>,
    /// Subject organizationalUnitName (OU) values.
    pub organizational_units: Vec<String>,
    /// Subject localityName (L) values.
    pub localities: Vec<String>,
    /// Subject stateOrProvinceName (ST) values.
    pub provinces: Vec<String>,
    /// Subject streetAddress values.
    pub street_addresses: Vec<String>,
    /// Subject postalCode values.
    pub postal_codes: Vec<String>,
    /// Subject serialNumber attribute (not the certificate serial).
    pub serial_number: Option<String>,
    /// dNSName SANs (ASCII; wildcards allowed).
    pub dns_names: Vec<String>,
    /// iPAddress SANs, encoded as 4 or 16 octets.
    pub ip_addresses: Vec<IpAddr>,
    /// uniformResourceIdentifier SANs.
    pub uris: Vec<String>,
    /// rfc822Name SANs.
    pub email_addresses: Vec<String>,
    /// Request a CA certificate (basicConstraints cA=TRUE; adds `cert sign`, like cert-manager).
    pub is_ca: bool,
    /// Requested usages (keyUsage / extKeyUsage).
    pub usages: Vec<KeyUsage>,
}

impl CsrParams {
    /// The SANs as one value.
    fn sans(&self) -> Sans {
        Sans {
            dns: self.dns_names.clone(),
            ips: self.ip_addresses.clone(),
            uris: self.uris.clone(),
            emails: self.email_addresses.clone(),
        }
    }
}

/// Checks the commonName length rule (bytes, not characters).
///
/// # Errors
/// [`PkiError::CommonNameTooLong`] above [`MAX_COMMON_NAME_BYTES`].
pub fn check_common_name(cn: &str) -> Result<(), PkiError> {
    if cn.len() > MAX_COMMON_NAME_BYTES {
        return Err(PkiError::CommonNameTooLong {
            value: cn.to_string(),
            bytes: cn.len(),
        });
    }
    Ok(())
}

fn build_subject(p: &CsrParams) -> Result<X509Name, PkiError> {
    let mut b = X509NameBuilder::new().map_err(PkiError::ssl("creating a name"))?;
    // Go's pkix.Name.ToRDNSequence order, which cert-manager produces.
    let mut add = |field: &'static str, nid: Nid, ty: Asn1Type, v: &str| {
        b.append_entry_by_nid_with_type(nid, v, ty)
            .map_err(|e| PkiError::InvalidSubject {
                field,
                value: v.to_string(),
                reason: e.to_string(),
            })
    };
    for v in &p.countries {
        add("country", Nid::COUNTRYNAME, Asn1Type::PRINTABLESTRING, v)?;
    }
    for v in &p.provinces {
        add(
            "province",
            Nid::STATEORPROVINCENAME,
            Asn1Type::UTF8STRING,
            v,
        )?;
    }
    for v in &p.localities {
        add("locality", Nid::LOCALITYNAME, Asn1Type::UTF8STRING, v)?;
    }
    for v in &p.street_addresses {
        add(
            "street address",
            Nid::STREETADDRESS,
            Asn1Type::UTF8STRING,
            v,
        )?;
    }
    for v in &p.postal_codes {
        add("postal code", Nid::POSTALCODE, Asn1Type::UTF8STRING, v)?;
    }
    for v in &p.organization {
        add(
            "organization",
            Nid::ORGANIZATIONNAME,
            Asn1Type::UTF8STRING,
            v,
        )?;
    }
    for v in &p.organizational_units {
        add(
            "organizational unit",
            Nid::ORGANIZATIONALUNITNAME,
            Asn1Type::UTF8STRING,
            v,
        )?;
    }
    if let Some(cn) = &p.common_name {
        check_common_name(cn)?;
        add("common name", Nid::COMMONNAME, Asn1Type::UTF8STRING, cn)?;
    }
    if let Some(sn) = &p.serial_number {
        add(
            "serial number",
            Nid::SERIALNUMBER,
            Asn1Type::PRINTABLESTRING,
            sn,
        )?;
    }
    Ok(b.build())
}

/// Builds and signs a CSR, returned as PEM `CERTIFICATE REQUEST` (LF, 64 columns, one final
/// newline).
///
/// The request carries, as a PKCS#9 extensionRequest: basicConstraints (critical, cA as
/// requested), keyUsage (critical; `is_ca` adds keyCertSign like cert-manager) and extKeyUsage
/// when usages are given, and subjectAltName (critical when the subject is empty, RFC 5280
/// §4.2.1.6). The hash follows [`KeyAlgorithm::signature_digest`].
///
/// # Errors
/// [`PkiError::CommonNameTooLong`], [`PkiError::InvalidSubject`], [`PkiError::InvalidSan`],
/// [`PkiError::OpenSsl`].
pub fn build_csr(key: &PrivateKey, params: &CsrParams) -> Result<Vec<u8>, PkiError> {
    let subject = build_subject(params)?;
    let subject_empty = subject.entries().next().is_none();
    let mut b = X509ReqBuilder::new().map_err(PkiError::ssl("creating a CSR"))?;
    b.set_version(0)
        .map_err(PkiError::ssl("setting the CSR version"))?;
    b.set_subject_name(&subject)
        .map_err(PkiError::ssl("setting the CSR subject"))?;
    b.set_pubkey(key.pkey())
        .map_err(PkiError::ssl("setting the CSR key"))?;

    let (bits, ekus) = split_usages(&params.usages, params.is_ca);
    let mut exts = vec![ext::basic_constraints(params.is_ca, None)];
    if bits != 0 {
        exts.push(ext::key_usage(bits));
    }
    if !ekus.is_empty() {
        exts.push(ext::ext_key_usage(&ekus));
    }
    let sans = params.sans();
    if !sans.is_empty() {
        exts.push(ext::subject_alt_name(&sans, subject_empty)?);
    }
    let mut stack = Stack::new().map_err(PkiError::ssl("creating an extension stack"))?;
    for e in &exts {
        stack
            .push(e.to_openssl()?)
            .map_err(PkiError::ssl("adding an extension"))?;
    }
    b.add_extensions(&stack)
        .map_err(PkiError::ssl("adding CSR extensions"))?;
    b.sign(key.pkey(), key.algorithm().signature_digest())
        .map_err(PkiError::ssl("signing the CSR"))?;
    let der = b
        .build()
        .to_der()
        .map_err(PkiError::ssl("encoding the CSR"))?;
    Ok(encode_pem("CERTIFICATE REQUEST", &der))
}

/// A parsed CSR whose self-signature has been verified.
#[derive(Debug, Clone)]
pub struct ParsedCsr {
    /// Subject rendered RFC 4514-style (`CN=x,O=y`).
    pub subject: String,
    /// Subject commonName, if present.
    pub common_name: Option<String>,
    /// dNSName SANs in request order.
    pub dns_names: Vec<String>,
    /// iPAddress SANs in request order.
    pub ip_addresses: Vec<IpAddr>,
    /// URI SANs in request order.
    pub uris: Vec<String>,
    /// rfc822Name SANs in request order.
    pub email_addresses: Vec<String>,
    /// basicConstraints cA flag, `None` when the request has no basicConstraints.
    pub is_ca: Option<bool>,
    /// Requested usages (canonical forms: `digital signature`, `email protection`).
    pub usages: Vec<KeyUsage>,
    /// SubjectPublicKeyInfo DER of the requested key.
    pub public_key_der: Vec<u8>,
    /// Algorithm of the requested key.
    pub key_algorithm: KeyAlgorithm,
    /// DER of the subject Name, copied verbatim into issued certificates.
    pub subject_der: Vec<u8>,
    /// The requested key, decoded once.
    public_key: PKey<Public>,
}

impl ParsedCsr {
    /// The requested public key.
    pub fn public_key(&self) -> &PKeyRef<Public> {
        &self.public_key
    }

    /// The subject as an OpenSSL name.
    pub(crate) fn subject_name(&self) -> Result<X509Name, PkiError> {
        X509Name::from_der(&self.subject_der).map_err(PkiError::ssl("decoding a subject"))
    }
}

fn bad(reason: impl Into<String>) -> PkiError {
    PkiError::InvalidCsr {
        reason: reason.into(),
    }
}

/// Parses a PEM CSR (`CERTIFICATE REQUEST` or `NEW CERTIFICATE REQUEST`) and verifies its
/// self-signature (RFC 2986 §3: proof of possession).
///
/// # Errors
/// [`PkiError::InvalidCsr`] if there is no CSR block or it does not decode;
/// [`PkiError::CsrSignature`] if the signature does not verify; [`PkiError::UnsupportedKey`].
pub fn parse_csr(pem: &[u8]) -> Result<ParsedCsr, PkiError> {
    let blocks = parse_pem(pem, "certificate request")?;
    let block = blocks
        .iter()
        .find(|b| b.label == "CERTIFICATE REQUEST" || b.label == "NEW CERTIFICATE REQUEST")
        .ok_or_else(|| bad("no `CERTIFICATE REQUEST` PEM block found"))?;
    parse_csr_der(&block.der)
}

/// [`parse_csr`] for DER input.
///
/// # Errors
/// As [`parse_csr`].
pub fn parse_csr_der(der_bytes: &[u8]) -> Result<ParsedCsr, PkiError> {
    let parts = csr_parts(der_bytes).map_err(|e| bad(format!("not a PKCS#10 request: {e}")))?;
    let public_key_der = parts.spki.to_vec();
    let public = public_key_from_spki(&public_key_der)?;
    verify_signature(&public, &parts)?;
    let key_algorithm = KeyAlgorithm::of(&public)?;
    let subject =
        X509Name::from_der(parts.subject).map_err(|e| bad(format!("malformed subject: {e}")))?;
    let info = csr_extensions(der_bytes).map_err(|e| bad(format!("malformed extensions: {e}")))?;
    Ok(ParsedCsr {
        subject: ext::name_to_string(&subject),
        common_name: ext::common_name(&subject),
        dns_names: info.sans.dns,
        ip_addresses: info.sans.ips,
        uris: info.sans.uris,
        email_addresses: info.sans.emails,
        is_ca: info.basic_constraints.map(|(ca, _)| ca),
        usages: usages_from(info.key_usage.unwrap_or(0), &info.ekus),
        public_key_der,
        key_algorithm,
        subject_der: parts.subject.to_vec(),
        public_key: public,
    })
}

/// The pieces of a CertificationRequest (RFC 2986 §4), borrowed from its DER.
struct CsrParts<'a> {
    /// The whole CertificationRequestInfo TLV: the signed bytes.
    info: &'a [u8],
    subject: &'a [u8],
    spki: &'a [u8],
    /// signatureAlgorithm OID content.
    sig_oid: &'a [u8],
    /// Signature value (BIT STRING content without the unused-bits octet).
    signature: &'a [u8],
}

fn csr_parts(csr: &[u8]) -> Result<CsrParts<'_>, &'static str> {
    let outer = der::single(csr, TAG_SEQUENCE)?;
    let mut top = Reader::new(outer.content);
    let info = top.take(TAG_SEQUENCE)?;
    let alg = top.take(TAG_SEQUENCE)?;
    let sig = top.take(der::TAG_BIT_STRING)?;
    if !top.is_empty() {
        return Err("trailing data after the signature");
    }
    let mut r = Reader::new(info.content);
    r.take(TAG_INTEGER)?;
    let subject = r.take(TAG_SEQUENCE)?.raw;
    let spki = r.take(TAG_SEQUENCE)?.raw;
    let sig_oid = Reader::new(alg.content).take(TAG_OID)?.content;
    let signature = match sig.content.split_first() {
        Some((0, rest)) => rest,
        _ => return Err("signature BIT STRING has unused bits"),
    };
    Ok(CsrParts {
        info: info.raw,
        subject,
        spki,
        sig_oid,
        signature,
    })
}

/// Verifies the CSR's self-signature with its own public key (proof of possession).
fn verify_signature(public: &PKeyRef<Public>, parts: &CsrParts<'_>) -> Result<(), PkiError> {
    use openssl::hash::MessageDigest;
    let oid = |d: &str| der::oid_content(d).unwrap_or_default();
    let digest = [
        ("1.2.840.10045.4.3.2", Some(MessageDigest::sha256())),
        ("1.2.840.10045.4.3.3", Some(MessageDigest::sha384())),
        ("1.2.840.10045.4.3.4", Some(MessageDigest::sha512())),
        ("1.2.840.10045.4.1", Some(MessageDigest::sha1())),
        ("1.2.840.113549.1.1.11", Some(MessageDigest::sha256())),
        ("1.2.840.113549.1.1.12", Some(MessageDigest::sha384())),
        ("1.2.840.113549.1.1.13", Some(MessageDigest::sha512())),
        ("1.2.840.113549.1.1.5", Some(MessageDigest::sha1())),
        ("1.3.101.112", None),
    ]
    .into_iter()
    .find(|(d, _)| oid(d) == parts.sig_oid)
    .map(|(_, md)| md)
    .ok_or_else(|| {
        bad("unsupported signature algorithm (use ECDSA, RSA PKCS#1 v1.5 or Ed25519)")
    })?;
    let ok = match (public.id(), digest) {
        (openssl::pkey::Id::EC, Some(md)) => {
            let ec = public
                .ec_key()
                .map_err(PkiError::ssl("reading an EC key"))?;
            let hash = openssl::hash::hash(md, parts.info).map_err(PkiError::ssl("hashing"))?;
            openssl::ecdsa::EcdsaSig::from_der(parts.signature)
                .and_then(|sig| sig.verify(&hash, &ec))
                .unwrap_or(false)
        }
        (openssl::pkey::Id::RSA, Some(md)) => openssl::sign::Verifier::new(md, public)
            .and_then(|mut v| v.verify_oneshot(parts.signature, parts.info))
            .unwrap_or(false),
        (openssl::pkey::Id::ED25519, None) => openssl::sign::Verifier::new_without_digest(public)
            .and_then(|mut v| v.verify_oneshot(parts.signature, parts.info))
            .unwrap_or(false),
        _ => false,
    };
    if !ok {
        // Clear anything OpenSSL queued while rejecting the signature.
        let _ = openssl::error::ErrorStack::get();
        return Err(PkiError::CsrSignature);
    }
    Ok(())
}

/// Reads the extensionRequest attribute of a CertificationRequest.
fn csr_extensions(csr: &[u8]) -> Result<ext::ExtInfo, &'static str> {
    let outer = der::single(csr, TAG_SEQUENCE)?;
    let info = Reader::new(outer.content).take(TAG_SEQUENCE)?;
    let mut r = Reader::new(info.content);
    r.take(TAG_INTEGER)?; // version
    r.take(TAG_SEQUENCE)?; // subject
    r.take(TAG_SEQUENCE)?; // subjectPKInfo
    if r.is_empty() {
        return Ok(ext::ExtInfo::default());
    }
    let attrs = r.take(0xa0)?;
    let want = der::oid_content(ext::OID_EXTENSION_REQUEST).unwrap_or_default();
    let mut attrs = Reader::new(attrs.content);
    while !attrs.is_empty() {
        let attr = attrs.take(TAG_SEQUENCE)?;
        let mut a = Reader::new(attr.content);
        let oid = a.take(TAG_OID)?;
        if oid.content != want.as_slice() {
            continue;
        }
        let values = a.take(TAG_SET)?;
        let exts = Reader::new(values.content).take(TAG_SEQUENCE)?;
        return ext::parse_extensions(exts.content);
    }
    Ok(ext::ExtInfo::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::EcCurve;

    fn p256() -> PrivateKey {
        PrivateKey::generate(KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        })
        .unwrap()
    }

    #[test]
    fn round_trip() {
        let key = p256();
        let params = CsrParams {
            common_name: Some("identity.linkerd.cluster.local".into()),
            organization: vec!["Linkerd".into()],
            dns_names: vec!["a.example.test".into()],
            ip_addresses: vec!["10.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
            uris: vec!["spiffe://x/y".into()],
            email_addresses: vec!["a@b.test".into()],
            is_ca: true,
            usages: vec![
                KeyUsage::CrlSign,
                KeyUsage::ServerAuth,
                KeyUsage::ClientAuth,
            ],
            ..CsrParams::default()
        };
        let pem = build_csr(&key, &params).unwrap();
        assert!(pem.starts_with(b"-----BEGIN CERTIFICATE REQUEST-----\n"));
        let csr = parse_csr(&pem).unwrap();
        assert_eq!(
            csr.common_name.as_deref(),
            Some("identity.linkerd.cluster.local")
        );
        assert_eq!(csr.subject, "CN=identity.linkerd.cluster.local,O=Linkerd");
        assert_eq!(csr.dns_names, params.dns_names);
        assert_eq!(csr.ip_addresses, params.ip_addresses);
        assert_eq!(csr.uris, params.uris);
        assert_eq!(csr.email_addresses, params.email_addresses);
        assert_eq!(csr.is_ca, Some(true));
        assert_eq!(
            csr.usages,
            vec![
                KeyUsage::CertSign,
                KeyUsage::CrlSign,
                KeyUsage::ServerAuth,
                KeyUsage::ClientAuth
            ]
        );
        assert_eq!(csr.public_key_der, key.public_key_der().unwrap());
    }

    #[test]
    fn bc18_common_name_bytes() {
        let key = p256();
        let with_cn = |cn: String| {
            build_csr(
                &key,
                &CsrParams {
                    common_name: Some(cn),
                    ..CsrParams::default()
                },
            )
        };
        let err = with_cn("a".repeat(65)).unwrap_err();
        assert!(
            err.to_string().contains("must have at most 64 bytes"),
            "{err}"
        );
        assert!(matches!(
            with_cn("é".repeat(33)),
            Err(PkiError::CommonNameTooLong { bytes: 66, .. })
        ));
        let cn64 = "b".repeat(64);
        let csr = parse_csr(&with_cn(cn64.clone()).unwrap()).unwrap();
        assert_eq!(csr.common_name, Some(cn64));
        // Long SAN, no CN: accepted and CN stays empty.
        let long = format!("{}.example.test", "c".repeat(72));
        assert_eq!(long.len(), 85);
        let csr = parse_csr(
            &build_csr(
                &key,
                &CsrParams {
                    dns_names: vec![long.clone()],
                    ..CsrParams::default()
                },
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(csr.common_name, None);
        assert_eq!(csr.dns_names, vec![long]);
    }

    #[test]
    fn tampered_signature_is_rejected() {
        let key = p256();
        let pem = build_csr(
            &key,
            &CsrParams {
                common_name: Some("x".into()),
                ..CsrParams::default()
            },
        )
        .unwrap();
        let blocks = parse_pem(&pem, "t").unwrap();
        let mut der_bytes = blocks[0].der.clone();
        // Flip a byte inside the CN value ("x").
        let pos = der_bytes.iter().position(|b| *b == b'x').unwrap();
        der_bytes[pos] = b'y';
        assert!(matches!(
            parse_csr_der(&der_bytes),
            Err(PkiError::CsrSignature)
        ));
        assert!(matches!(
            parse_csr(b"not a csr"),
            Err(PkiError::InvalidCsr { .. })
        ));
    }

    #[test]
    fn other_key_types() {
        for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::Rsa { bits: 2048 }] {
            let key = PrivateKey::generate(alg).unwrap();
            let csr = parse_csr(
                &build_csr(
                    &key,
                    &CsrParams {
                        common_name: Some("x".into()),
                        ..CsrParams::default()
                    },
                )
                .unwrap(),
            )
            .unwrap();
            assert_eq!(csr.key_algorithm, alg);
            assert_eq!(csr.is_ca, Some(false));
        }
    }
}
