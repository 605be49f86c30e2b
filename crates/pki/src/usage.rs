//! cert-manager's 23 key-usage strings and their X.509 encoding (RFC 5280 §4.2.1.3 keyUsage,
//! §4.2.1.12 extKeyUsage), following cert-manager's `pkg/util/pki` mapping.

use crate::PkiError;
use crate::der;

/// One cert-manager usage string (`spec.usages`).
///
/// The first ten map to keyUsage bits, the rest to extKeyUsage purposes. `Signing` and
/// `DigitalSignature` both mean the digitalSignature bit; `SMime` and `EmailProtection` both mean
/// id-kp-emailProtection (cert-manager treats them as aliases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyUsage {
    /// `signing`: keyUsage digitalSignature (alias of `digital signature`).
    Signing,
    /// `digital signature`: keyUsage digitalSignature (bit 0).
    DigitalSignature,
    /// `content commitment`: keyUsage nonRepudiation / contentCommitment (bit 1).
    ContentCommitment,
    /// `key encipherment`: keyUsage keyEncipherment (bit 2).
    KeyEncipherment,
    /// `key agreement`: keyUsage keyAgreement (bit 4).
    KeyAgreement,
    /// `data encipherment`: keyUsage dataEncipherment (bit 3).
    DataEncipherment,
    /// `cert sign`: keyUsage keyCertSign (bit 5).
    CertSign,
    /// `crl sign`: keyUsage cRLSign (bit 6).
    CrlSign,
    /// `encipher only`: keyUsage encipherOnly (bit 7).
    EncipherOnly,
    /// `decipher only`: keyUsage decipherOnly (bit 8).
    DecipherOnly,
    /// `any`: extKeyUsage anyExtendedKeyUsage (2.5.29.37.0).
    Any,
    /// `server auth`: id-kp-serverAuth (1.3.6.1.5.5.7.3.1).
    ServerAuth,
    /// `client auth`: id-kp-clientAuth (1.3.6.1.5.5.7.3.2).
    ClientAuth,
    /// `code signing`: id-kp-codeSigning (1.3.6.1.5.5.7.3.3).
    CodeSigning,
    /// `email protection`: id-kp-emailProtection (1.3.6.1.5.5.7.3.4).
    EmailProtection,
    /// `s/mime`: id-kp-emailProtection (alias of `email protection`).
    SMime,
    /// `ipsec end system`: id-kp-ipsecEndSystem (1.3.6.1.5.5.7.3.5).
    IpsecEndSystem,
    /// `ipsec tunnel`: id-kp-ipsecTunnel (1.3.6.1.5.5.7.3.6).
    IpsecTunnel,
    /// `ipsec user`: id-kp-ipsecUser (1.3.6.1.5.5.7.3.7).
    IpsecUser,
    /// `timestamping`: id-kp-timeStamping (1.3.6.1.5.5.7.3.8).
    Timestamping,
    /// `ocsp signing`: id-kp-OCSPSigning (1.3.6.1.5.5.7.3.9).
    OcspSigning,
    /// `microsoft sgc`: Microsoft Server Gated Crypto (1.3.6.1.4.1.311.10.3.3).
    MicrosoftSgc,
    /// `netscape sgc`: Netscape Server Gated Crypto (2.16.840.1.113730.4.1).
    NetscapeSgc,
}

/// Where a usage is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// keyUsage BIT STRING bit number.
    Bit(u8),
    /// extKeyUsage purpose OID (dotted).
    Eku(&'static str),
}

impl KeyUsage {
    /// All 23 usages in cert-manager's order.
    pub const ALL: [KeyUsage; 23] = [
        KeyUsage::Signing,
        KeyUsage::DigitalSignature,
        KeyUsage::ContentCommitment,
        KeyUsage::KeyEncipherment,
        KeyUsage::KeyAgreement,
        KeyUsage::DataEncipherment,
        KeyUsage::CertSign,
        KeyUsage::CrlSign,
        KeyUsage::EncipherOnly,
        KeyUsage::DecipherOnly,
        KeyUsage::Any,
        KeyUsage::ServerAuth,
        KeyUsage::ClientAuth,
        KeyUsage::CodeSigning,
        KeyUsage::EmailProtection,
        KeyUsage::SMime,
        KeyUsage::IpsecEndSystem,
        KeyUsage::IpsecTunnel,
        KeyUsage::IpsecUser,
        KeyUsage::Timestamping,
        KeyUsage::OcspSigning,
        KeyUsage::MicrosoftSgc,
        KeyUsage::NetscapeSgc,
    ];

    /// The cert-manager string (`"digital signature"`, `"server auth"`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyUsage::Signing => "signing",
            KeyUsage::DigitalSignature => "digital signature",
            KeyUsage::ContentCommitment => "content commitment",
            KeyUsage::KeyEncipherment => "key encipherment",
            KeyUsage::KeyAgreement => "key agreement",
            KeyUsage::DataEncipherment => "data encipherment",
            KeyUsage::CertSign => "cert sign",
            KeyUsage::CrlSign => "crl sign",
            KeyUsage::EncipherOnly => "encipher only",
            KeyUsage::DecipherOnly => "decipher only",
            KeyUsage::Any => "any",
            KeyUsage::ServerAuth => "server auth",
            KeyUsage::ClientAuth => "client auth",
            KeyUsage::CodeSigning => "code signing",
            KeyUsage::EmailProtection => "email protection",
            KeyUsage::SMime => "s/mime",
            KeyUsage::IpsecEndSystem => "ipsec end system",
            KeyUsage::IpsecTunnel => "ipsec tunnel",
            KeyUsage::IpsecUser => "ipsec user",
            KeyUsage::Timestamping => "timestamping",
            KeyUsage::OcspSigning => "ocsp signing",
            KeyUsage::MicrosoftSgc => "microsoft sgc",
            KeyUsage::NetscapeSgc => "netscape sgc",
        }
    }

    /// Parses a cert-manager usage string (exact, lower case, as the CRD enum).
    ///
    /// # Errors
    /// [`PkiError::UnknownUsage`] listing the valid strings.
    pub fn parse(s: &str) -> Result<Self, PkiError> {
        KeyUsage::ALL
            .into_iter()
            .find(|u| u.as_str() == s)
            .ok_or_else(|| PkiError::UnknownUsage {
                value: s.to_string(),
            })
    }

    /// The canonical form of an alias (`signing` -> `digital signature`, `s/mime` ->
    /// `email protection`); other usages are returned unchanged. Comparisons of requested and
    /// issued usages should compare canonical forms, because the certificate cannot tell aliases
    /// apart.
    pub fn canonical(self) -> KeyUsage {
        match self {
            KeyUsage::Signing => KeyUsage::DigitalSignature,
            KeyUsage::SMime => KeyUsage::EmailProtection,
            other => other,
        }
    }

    pub(crate) fn encoding(self) -> Encoding {
        match self {
            KeyUsage::Signing | KeyUsage::DigitalSignature => Encoding::Bit(0),
            KeyUsage::ContentCommitment => Encoding::Bit(1),
            KeyUsage::KeyEncipherment => Encoding::Bit(2),
            KeyUsage::DataEncipherment => Encoding::Bit(3),
            KeyUsage::KeyAgreement => Encoding::Bit(4),
            KeyUsage::CertSign => Encoding::Bit(5),
            KeyUsage::CrlSign => Encoding::Bit(6),
            KeyUsage::EncipherOnly => Encoding::Bit(7),
            KeyUsage::DecipherOnly => Encoding::Bit(8),
            KeyUsage::Any => Encoding::Eku("2.5.29.37.0"),
            KeyUsage::ServerAuth => Encoding::Eku("1.3.6.1.5.5.7.3.1"),
            KeyUsage::ClientAuth => Encoding::Eku("1.3.6.1.5.5.7.3.2"),
            KeyUsage::CodeSigning => Encoding::Eku("1.3.6.1.5.5.7.3.3"),
            KeyUsage::EmailProtection | KeyUsage::SMime => Encoding::Eku("1.3.6.1.5.5.7.3.4"),
            KeyUsage::IpsecEndSystem => Encoding::Eku("1.3.6.1.5.5.7.3.5"),
            KeyUsage::IpsecTunnel => Encoding::Eku("1.3.6.1.5.5.7.3.6"),
            KeyUsage::IpsecUser => Encoding::Eku("1.3.6.1.5.5.7.3.7"),
            KeyUsage::Timestamping => Encoding::Eku("1.3.6.1.5.5.7.3.8"),
            KeyUsage::OcspSigning => Encoding::Eku("1.3.6.1.5.5.7.3.9"),
            KeyUsage::MicrosoftSgc => Encoding::Eku("1.3.6.1.4.1.311.10.3.3"),
            KeyUsage::NetscapeSgc => Encoding::Eku("2.16.840.1.113730.4.1"),
        }
    }
}

impl std::fmt::Display for KeyUsage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for KeyUsage {
    type Err = PkiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyUsage::parse(s)
    }
}

/// The keyUsage bits (bit n = 1 << n) and EKU OIDs (DER content) of a usage list, de-duplicated,
/// in a stable order. `is_ca` adds keyCertSign, like cert-manager.
pub(crate) fn split_usages(usages: &[KeyUsage], is_ca: bool) -> (u16, Vec<Vec<u8>>) {
    let mut bits: u16 = if is_ca { 1 << 5 } else { 0 };
    let mut ekus: Vec<Vec<u8>> = Vec::new();
    for u in usages {
        match u.encoding() {
            Encoding::Bit(b) => bits |= 1 << b,
            Encoding::Eku(oid) => {
                if let Some(content) = der::oid_content(oid)
                    && !ekus.contains(&content)
                {
                    ekus.push(content);
                }
            }
        }
    }
    (bits, ekus)
}

/// DER of a keyUsage extension value (RFC 5280 §4.2.1.3): a named-bit BIT STRING with trailing
/// zero bits removed.
pub(crate) fn key_usage_der(bits: u16) -> Vec<u8> {
    // Bit n of the ASN.1 BIT STRING is bit (7 - n % 8) of byte n / 8.
    let mut bytes = [0u8; 2];
    for n in 0..9u8 {
        if bits & (1 << n) != 0 {
            bytes[usize::from(n / 8)] |= 0x80 >> (n % 8);
        }
    }
    let highest = (0..9u8).rev().find(|n| bits & (1 << n) != 0);
    let content = match highest {
        None => vec![0u8],
        Some(h) => {
            let nbytes = usize::from(h / 8) + 1;
            let unused = 7 - (h % 8);
            let mut c = vec![unused];
            c.extend_from_slice(&bytes[..nbytes]);
            c
        }
    };
    der::tlv(der::TAG_BIT_STRING, &content)
}

/// Decodes a keyUsage BIT STRING content into bits (bit n = 1 << n).
pub(crate) fn key_usage_bits(bit_string_content: &[u8]) -> u16 {
    let mut bits = 0u16;
    for (i, byte) in bit_string_content.iter().skip(1).take(2).enumerate() {
        for j in 0..8u16 {
            let n = i as u16 * 8 + j;
            if n < 9 && byte & (0x80 >> j) != 0 {
                bits |= 1 << n;
            }
        }
    }
    bits
}

/// Usages (canonical forms) described by keyUsage bits and EKU OIDs, in [`KeyUsage::ALL`] order.
pub(crate) fn usages_from(bits: u16, ekus: &[Vec<u8>]) -> Vec<KeyUsage> {
    KeyUsage::ALL
        .into_iter()
        .filter(|u| *u == u.canonical())
        .filter(|u| match u.encoding() {
            Encoding::Bit(b) => bits & (1 << b) != 0,
            Encoding::Eku(oid) => der::oid_content(oid).is_some_and(|c| ekus.contains(&c)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_strings_round_trip() {
        assert_eq!(KeyUsage::ALL.len(), 23);
        for u in KeyUsage::ALL {
            assert_eq!(KeyUsage::parse(u.as_str()).unwrap(), u);
            assert_eq!(u.as_str().parse::<KeyUsage>().unwrap(), u);
        }
        let err = KeyUsage::parse("Server Auth").unwrap_err().to_string();
        assert!(err.contains("unknown key usage \"Server Auth\""), "{err}");
    }

    #[test]
    fn key_usage_encoding_matches_openssl() {
        use openssl::x509::extension::KeyUsage as Ku;
        // (ours, openssl builder) pairs
        let ours = key_usage_der((1 << 5) | (1 << 6));
        let theirs = Ku::new().key_cert_sign().crl_sign().build().unwrap();
        assert!(theirs.to_der().unwrap().ends_with(&ours));
        let ours = key_usage_der(1 | (1 << 2));
        let theirs = Ku::new()
            .digital_signature()
            .key_encipherment()
            .build()
            .unwrap();
        assert!(theirs.to_der().unwrap().ends_with(&ours));
        let ours = key_usage_der(1 << 8);
        let theirs = Ku::new().decipher_only().build().unwrap();
        assert!(theirs.to_der().unwrap().ends_with(&ours));
    }

    #[test]
    fn bits_round_trip() {
        for bits in [0u16, 1, 0x60, 0x1ff, 0x100, 0x81] {
            let enc = key_usage_der(bits);
            let t = der::single(&enc, der::TAG_BIT_STRING).unwrap();
            assert_eq!(key_usage_bits(t.content), bits, "{bits:#x}");
        }
    }

    #[test]
    fn ca_adds_cert_sign_and_aliases_collapse() {
        let (bits, ekus) = split_usages(
            &[
                KeyUsage::Signing,
                KeyUsage::DigitalSignature,
                KeyUsage::SMime,
                KeyUsage::EmailProtection,
            ],
            true,
        );
        assert_eq!(bits, 1 | (1 << 5));
        assert_eq!(ekus.len(), 1);
        assert_eq!(
            usages_from(bits, &ekus),
            vec![
                KeyUsage::DigitalSignature,
                KeyUsage::CertSign,
                KeyUsage::EmailProtection
            ]
        );
    }
}
