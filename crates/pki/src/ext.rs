//! X.509 v3 extensions (RFC 5280 §4.2): building their DER values and reading them back from
//! certificates and CSRs, plus the small conversions (times, names) shared by the modules.

use std::net::IpAddr;

use jiff::Timestamp;
use openssl::asn1::{Asn1Object, Asn1OctetString, Asn1Time, Asn1TimeRef};
use openssl::nid::Nid;
use openssl::x509::{X509Extension, X509NameRef};

use crate::PkiError;
use crate::der::{self, Reader, TAG_BOOLEAN, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE};

pub(crate) const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
pub(crate) const OID_KEY_USAGE: &str = "2.5.29.15";
pub(crate) const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
pub(crate) const OID_SAN: &str = "2.5.29.17";
pub(crate) const OID_SKID: &str = "2.5.29.14";
pub(crate) const OID_AKID: &str = "2.5.29.35";
pub(crate) const OID_CRL_DP: &str = "2.5.29.31";
pub(crate) const OID_AIA: &str = "1.3.6.1.5.5.7.1.1";
const OID_OCSP: &str = "1.3.6.1.5.5.7.48.1";
const OID_CA_ISSUERS: &str = "1.3.6.1.5.5.7.48.2";
/// PKCS#9 extensionRequest attribute (RFC 2985 §5.4.2).
pub(crate) const OID_EXTENSION_REQUEST: &str = "1.2.840.113549.1.9.14";

const GN_EMAIL: u8 = 0x81;
const GN_DNS: u8 = 0x82;
const GN_URI: u8 = 0x86;
const GN_IP: u8 = 0x87;

/// One extension ready to be added: OID, criticality and the DER of extnValue's content.
#[derive(Debug, Clone)]
pub(crate) struct Ext {
    pub(crate) oid: &'static str,
    pub(crate) critical: bool,
    pub(crate) value: Vec<u8>,
}

impl Ext {
    /// DER of the whole `Extension` SEQUENCE (RFC 5280 §4.1).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut parts = vec![oid_tlv(self.oid)];
        if self.critical {
            parts.push(der::tlv(TAG_BOOLEAN, &[0xff]));
        }
        parts.push(der::tlv(TAG_OCTET_STRING, &self.value));
        der::seq(&parts)
    }

    pub(crate) fn to_openssl(&self) -> Result<X509Extension, PkiError> {
        let oid = Asn1Object::from_str(self.oid).map_err(PkiError::ssl("creating an OID"))?;
        let value = Asn1OctetString::new_from_bytes(&self.value)
            .map_err(PkiError::ssl("creating an extension value"))?;
        X509Extension::new_from_der(&oid, self.critical, &value)
            .map_err(PkiError::ssl("creating an extension"))
    }
}

fn oid_tlv(dotted: &str) -> Vec<u8> {
    der::tlv(TAG_OID, &der::oid_content(dotted).unwrap_or_default())
}

/// basicConstraints, always critical (RFC 5280 §4.2.1.9 requires it for CAs; cert-manager marks
/// it critical for leaves too).
pub(crate) fn basic_constraints(is_ca: bool, path_len: Option<u32>) -> Ext {
    let mut parts = Vec::new();
    if is_ca {
        parts.push(der::tlv(TAG_BOOLEAN, &[0xff]));
        if let Some(p) = path_len {
            parts.push(der::uint(u64::from(p)));
        }
    }
    Ext {
        oid: OID_BASIC_CONSTRAINTS,
        critical: true,
        value: der::seq(&parts),
    }
}

/// keyUsage, critical (RFC 5280 §4.2.1.3 SHOULD).
pub(crate) fn key_usage(bits: u16) -> Ext {
    Ext {
        oid: OID_KEY_USAGE,
        critical: true,
        value: crate::usage::key_usage_der(bits),
    }
}

/// extKeyUsage, non-critical (as cert-manager and step write it).
pub(crate) fn ext_key_usage(ekus: &[Vec<u8>]) -> Ext {
    let parts: Vec<Vec<u8>> = ekus.iter().map(|c| der::tlv(TAG_OID, c)).collect();
    Ext {
        oid: OID_EXT_KEY_USAGE,
        critical: false,
        value: der::seq(&parts),
    }
}

fn ia5(value: &str, kind: &str) -> Result<(), PkiError> {
    if value.is_empty() {
        return Err(PkiError::InvalidSan {
            value: value.to_string(),
            reason: format!("an empty {kind} is not allowed"),
        });
    }
    if !value.is_ascii() || value.bytes().any(|b| b.is_ascii_control()) {
        return Err(PkiError::InvalidSan {
            value: value.to_string(),
            reason: format!(
                "a {kind} must be printable ASCII (IA5String, RFC 5280 §4.2.1.6); encode internationalised names as punycode"
            ),
        });
    }
    Ok(())
}

/// The SAN names of a certificate or CSR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Sans {
    pub(crate) dns: Vec<String>,
    pub(crate) ips: Vec<IpAddr>,
    pub(crate) uris: Vec<String>,
    pub(crate) emails: Vec<String>,
}

impl Sans {
    pub(crate) fn is_empty(&self) -> bool {
        self.dns.is_empty() && self.ips.is_empty() && self.uris.is_empty() && self.emails.is_empty()
    }
}

/// subjectAltName (RFC 5280 §4.2.1.6): DNS names, then IPs (4 or 16 octets, never as dNSName),
/// URIs and e-mail addresses, in that order. Critical when the subject is empty, as the RFC
/// requires.
pub(crate) fn subject_alt_name(sans: &Sans, subject_empty: bool) -> Result<Ext, PkiError> {
    let mut parts = Vec::new();
    for d in &sans.dns {
        ia5(d, "DNS name")?;
        parts.push(der::tlv(GN_DNS, d.as_bytes()));
    }
    for ip in &sans.ips {
        let bytes = match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        parts.push(der::tlv(GN_IP, &bytes));
    }
    for u in &sans.uris {
        ia5(u, "URI")?;
        if !u.contains(':') {
            return Err(PkiError::InvalidSan {
                value: u.clone(),
                reason: "a URI SAN needs a scheme, e.g. spiffe://cluster.local/ns/x/sa/y".into(),
            });
        }
        parts.push(der::tlv(GN_URI, u.as_bytes()));
    }
    for e in &sans.emails {
        ia5(e, "e-mail address")?;
        if !e.contains('@') {
            return Err(PkiError::InvalidSan {
                value: e.clone(),
                reason: "an e-mail address needs an `@`".into(),
            });
        }
        parts.push(der::tlv(GN_EMAIL, e.as_bytes()));
    }
    Ok(Ext {
        oid: OID_SAN,
        critical: subject_empty,
        value: der::seq(&parts),
    })
}

/// subjectKeyIdentifier (RFC 5280 §4.2.1.2).
pub(crate) fn subject_key_id(id: &[u8]) -> Ext {
    Ext {
        oid: OID_SKID,
        critical: false,
        value: der::tlv(TAG_OCTET_STRING, id),
    }
}

/// authorityKeyIdentifier with keyIdentifier only (RFC 5280 §4.2.1.1).
pub(crate) fn authority_key_id(id: &[u8]) -> Ext {
    Ext {
        oid: OID_AKID,
        critical: false,
        value: der::seq(&[der::tlv(0x80, id)]),
    }
}

/// cRLDistributionPoints with one fullName URI per point (RFC 5280 §4.2.1.13).
pub(crate) fn crl_distribution_points(urls: &[String]) -> Result<Ext, PkiError> {
    let mut points = Vec::new();
    for u in urls {
        ia5(u, "CRL distribution point URL")?;
        let full_name = der::tlv(0xa0, &der::tlv(GN_URI, u.as_bytes()));
        points.push(der::seq(&[der::tlv(0xa0, &full_name)]));
    }
    Ok(Ext {
        oid: OID_CRL_DP,
        critical: false,
        value: der::seq(&points),
    })
}

/// authorityInfoAccess with OCSP and caIssuers URIs (RFC 5280 §4.2.2.1).
pub(crate) fn authority_info_access(ocsp: &[String], issuers: &[String]) -> Result<Ext, PkiError> {
    let mut descs = Vec::new();
    for (oid, urls) in [(OID_OCSP, ocsp), (OID_CA_ISSUERS, issuers)] {
        for u in urls {
            ia5(u, "authority information access URL")?;
            descs.push(der::seq(&[oid_tlv(oid), der::tlv(GN_URI, u.as_bytes())]));
        }
    }
    Ok(Ext {
        oid: OID_AIA,
        critical: false,
        value: der::seq(&descs),
    })
}

/// What we read back from an extension list.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExtInfo {
    /// (cA, pathLenConstraint) when basicConstraints is present.
    pub(crate) basic_constraints: Option<(bool, Option<u32>)>,
    /// keyUsage bits (bit n = 1 << n) when present.
    pub(crate) key_usage: Option<u16>,
    /// extKeyUsage OIDs (DER content).
    pub(crate) ekus: Vec<Vec<u8>>,
    pub(crate) sans: Sans,
    pub(crate) skid: Option<Vec<u8>>,
    pub(crate) akid: Option<Vec<u8>>,
}

/// Parses `Extensions ::= SEQUENCE OF Extension` given the SEQUENCE's content.
pub(crate) fn parse_extensions(content: &[u8]) -> Result<ExtInfo, &'static str> {
    let oid = |d: &str| der::oid_content(d).unwrap_or_default();
    let (bc, ku, eku, san, skid, akid) = (
        oid(OID_BASIC_CONSTRAINTS),
        oid(OID_KEY_USAGE),
        oid(OID_EXT_KEY_USAGE),
        oid(OID_SAN),
        oid(OID_SKID),
        oid(OID_AKID),
    );
    let mut info = ExtInfo::default();
    let mut exts = Reader::new(content);
    while !exts.is_empty() {
        let ext = exts.take(TAG_SEQUENCE)?;
        let mut r = Reader::new(ext.content);
        let id = r.take(TAG_OID)?.content;
        let mut t = r.next_tlv()?;
        if t.tag == TAG_BOOLEAN {
            t = r.next_tlv()?;
        }
        if t.tag != TAG_OCTET_STRING {
            return Err("extension value is not an OCTET STRING");
        }
        let value = t.content;
        if id == bc.as_slice() {
            let s = der::single(value, TAG_SEQUENCE)?;
            let mut r = Reader::new(s.content);
            let mut ca = false;
            let mut path_len = None;
            while !r.is_empty() {
                let t = r.next_tlv()?;
                match t.tag {
                    TAG_BOOLEAN => ca = t.content.first().is_some_and(|b| *b != 0),
                    TAG_INTEGER => {
                        path_len =
                            Some(u32::try_from(der::read_uint(t.content)?).unwrap_or(u32::MAX))
                    }
                    _ => return Err("unexpected element in basicConstraints"),
                }
            }
            info.basic_constraints = Some((ca, path_len));
        } else if id == ku.as_slice() {
            let b = der::single(value, der::TAG_BIT_STRING)?;
            info.key_usage = Some(crate::usage::key_usage_bits(b.content));
        } else if id == eku.as_slice() {
            let s = der::single(value, TAG_SEQUENCE)?;
            let mut r = Reader::new(s.content);
            while !r.is_empty() {
                info.ekus.push(r.take(TAG_OID)?.content.to_vec());
            }
        } else if id == san.as_slice() {
            let s = der::single(value, TAG_SEQUENCE)?;
            let mut r = Reader::new(s.content);
            while !r.is_empty() {
                let g = r.next_tlv()?;
                let text = || String::from_utf8_lossy(g.content).into_owned();
                match g.tag {
                    GN_DNS => info.sans.dns.push(text()),
                    GN_URI => info.sans.uris.push(text()),
                    GN_EMAIL => info.sans.emails.push(text()),
                    GN_IP => match g.content.len() {
                        4 => {
                            let mut a = [0u8; 4];
                            a.copy_from_slice(g.content);
                            info.sans.ips.push(IpAddr::from(a));
                        }
                        16 => {
                            let mut a = [0u8; 16];
                            a.copy_from_slice(g.content);
                            info.sans.ips.push(IpAddr::from(a));
                        }
                        _ => return Err("iPAddress SAN is neither 4 nor 16 octets"),
                    },
                    _ => {}
                }
            }
        } else if id == skid.as_slice() {
            info.skid = Some(der::single(value, TAG_OCTET_STRING)?.content.to_vec());
        } else if id == akid.as_slice() {
            let s = der::single(value, TAG_SEQUENCE)?;
            let mut r = Reader::new(s.content);
            while !r.is_empty() {
                let t = r.next_tlv()?;
                if t.tag == 0x80 {
                    info.akid = Some(t.content.to_vec());
                }
            }
        }
    }
    Ok(info)
}

/// Key identifier per RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING
/// (without the unused-bits octet), computed from SubjectPublicKeyInfo DER.
pub(crate) fn key_identifier(spki_der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let bad = |reason: &str| PkiError::InvalidKey {
        label: "PUBLIC KEY".into(),
        reason: reason.to_string(),
    };
    let spki = der::single(spki_der, TAG_SEQUENCE).map_err(bad)?;
    let mut r = Reader::new(spki.content);
    r.take(TAG_SEQUENCE).map_err(bad)?;
    let bits = r.take(der::TAG_BIT_STRING).map_err(bad)?;
    let key = bits.content.get(1..).unwrap_or_default();
    Ok(openssl::sha::sha1(key).to_vec())
}

/// `Timestamp` -> `Asn1Time` (whole seconds; UTCTime before 2050, GeneralizedTime from 2050 on,
/// RFC 5280 §4.1.2.5, which OpenSSL chooses itself).
#[cfg(test)]
pub(crate) fn asn1_time(t: Timestamp) -> Result<Asn1Time, PkiError> {
    Asn1Time::from_unix(t.as_second()).map_err(PkiError::ssl("encoding a time"))
}

/// DER of a Time (RFC 5280 §4.1.2.5): UTCTime `YYMMDDHHMMSSZ` for 1950..=2049, GeneralizedTime
/// `YYYYMMDDHHMMSSZ` otherwise; whole seconds, UTC.
pub(crate) fn der_time(t: Timestamp) -> Vec<u8> {
    let dt = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let year = i32::from(dt.year());
    let rest = format!(
        "{:02}{:02}{:02}{:02}{:02}Z",
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    if (1950..2050).contains(&year) {
        der::tlv(0x17, format!("{:02}{rest}", year % 100).as_bytes())
    } else {
        der::tlv(0x18, format!("{year:04}{rest}").as_bytes())
    }
}

/// `Asn1Time` -> `Timestamp`.
pub(crate) fn timestamp(t: &Asn1TimeRef) -> Result<Timestamp, PkiError> {
    let epoch = Asn1Time::from_unix(0).map_err(PkiError::ssl("encoding the epoch"))?;
    let diff = epoch.diff(t).map_err(PkiError::ssl("reading a time"))?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    Timestamp::from_second(secs).map_err(|e| PkiError::InvalidValidity {
        reason: format!("time out of range: {e}"),
    })
}

/// Renders a distinguished name RFC 4514-style (`CN=x,O=y`, most specific first), as Go's
/// `pkix.Name.String` and `openssl -nameopt RFC2253` do. An empty name renders as `""`.
pub(crate) fn name_to_string(name: &X509NameRef) -> String {
    let mut parts: Vec<String> = Vec::new();
    for entry in name.entries() {
        let nid = entry.object().nid();
        let key = match nid {
            Nid::STREETADDRESS => "STREET".to_string(),
            Nid::SERIALNUMBER => "SERIALNUMBER".to_string(),
            Nid::POSTALCODE => "POSTALCODE".to_string(),
            _ => nid
                .short_name()
                .map(str::to_string)
                .unwrap_or_else(|_| entry.object().to_string()),
        };
        let value = entry
            .data()
            .to_string()
            .unwrap_or_else(|_| String::from_utf8_lossy(entry.data().as_slice()).into_owned());
        parts.push(format!("{key}={}", escape_rfc4514(&value)));
    }
    if parts.is_empty() {
        return "\"\"".to_string();
    }
    parts.reverse();
    parts.join(",")
}

fn escape_rfc4514(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let last = v.chars().count().saturating_sub(1);
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The first commonName of a name, if any.
pub(crate) fn common_name(name: &X509NameRef) -> Option<String> {
    name.entries_by_nid(Nid::COMMONNAME).next().map(|e| {
        e.data()
            .to_string()
            .unwrap_or_else(|_| String::from_utf8_lossy(e.data().as_slice()).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_round_trip() {
        let sans = Sans {
            dns: vec!["*.svc.example.test".into(), "svc.example.test".into()],
            ips: vec!["10.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
            uris: vec!["spiffe://cluster.local/ns/a/sa/b".into()],
            emails: vec!["a@example.test".into()],
        };
        let exts = [
            basic_constraints(true, Some(1)),
            key_usage(0x60),
            ext_key_usage(&[der::oid_content("1.3.6.1.5.5.7.3.1").unwrap()]),
            subject_alt_name(&sans, false).unwrap(),
            subject_key_id(&[1, 2, 3]),
            authority_key_id(&[4, 5, 6]),
        ];
        let mut list = Vec::new();
        for e in &exts {
            let mut parts = vec![oid_tlv(e.oid)];
            if e.critical {
                parts.push(der::tlv(TAG_BOOLEAN, &[0xff]));
            }
            parts.push(der::tlv(TAG_OCTET_STRING, &e.value));
            list.push(der::seq(&parts));
            // OpenSSL accepts each one.
            e.to_openssl().unwrap();
        }
        let info = parse_extensions(&list.concat()).unwrap();
        assert_eq!(info.basic_constraints, Some((true, Some(1))));
        assert_eq!(info.key_usage, Some(0x60));
        assert_eq!(info.ekus.len(), 1);
        assert_eq!(info.sans, sans);
        assert_eq!(info.skid, Some(vec![1, 2, 3]));
        assert_eq!(info.akid, Some(vec![4, 5, 6]));
    }

    #[test]
    fn bad_sans_are_rejected() {
        let bad = |dns: &str| {
            subject_alt_name(
                &Sans {
                    dns: vec![dns.to_string()],
                    ..Sans::default()
                },
                false,
            )
            .is_err()
        };
        assert!(bad(""));
        assert!(bad("é.example"));
        assert!(bad("a\nb"));
        assert!(!bad("a.example"));
    }

    #[test]
    fn time_conversions() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2026-11-30T00:00:00Z",
            "2049-12-31T23:59:59Z",
            "2050-01-01T00:00:00Z",
            "2056-11-22T00:00:00Z",
        ] {
            let t: Timestamp = s.parse().unwrap();
            assert_eq!(timestamp(&asn1_time(t).unwrap()).unwrap(), t);
        }
        let t = |s: &str| der_time(s.parse().unwrap());
        assert_eq!(t("2036-11-27T00:00:00Z"), b"\x17\x0d361127000000Z");
        assert_eq!(t("2049-12-31T23:59:59Z"), b"\x17\x0d491231235959Z");
        assert_eq!(t("2050-01-01T00:00:00Z"), b"\x18\x0f20500101000000Z");
        assert_eq!(t("1949-12-31T23:59:59Z"), b"\x18\x0f19491231235959Z");
        assert_eq!(t("1950-01-01T00:00:00Z"), b"\x17\x0d500101000000Z");
    }
}
