//! Minimal DER (X.690) writer and reader for the handful of structures OpenSSL's Rust binding
//! does not build or expose: extension values and the extension lists of CSRs and certificates.
//! No cryptography happens here.

pub(crate) const TAG_BOOLEAN: u8 = 0x01;
pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
pub(crate) const TAG_SET: u8 = 0x31;

/// Encodes one TLV.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// SEQUENCE of already-encoded elements.
pub(crate) fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(TAG_SEQUENCE, &parts.concat())
}

/// Non-negative INTEGER from a `u64`.
pub(crate) fn uint(v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    let mut content = Vec::new();
    if bytes[skip] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(&bytes[skip..]);
    tlv(TAG_INTEGER, &content)
}

/// Content octets of an OBJECT IDENTIFIER from its dotted form (`"2.5.29.15"`).
/// Returns `None` for a malformed OID; only called with constants.
pub(crate) fn oid_content(dotted: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u64> = dotted
        .split('.')
        .map(|a| a.parse::<u64>().ok())
        .collect::<Option<Vec<_>>>()?;
    if arcs.len() < 2 || arcs[0] > 2 {
        return None;
    }
    let mut out = Vec::new();
    let first = arcs[0] * 40 + arcs[1];
    for arc in std::iter::once(first).chain(arcs[2..].iter().copied()) {
        let mut chunk = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            chunk.push(0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        chunk.reverse();
        out.extend_from_slice(&chunk);
    }
    Some(out)
}

/// One decoded TLV borrowed from the input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u8,
    pub(crate) content: &'a [u8],
    /// The whole encoding: tag, length and content.
    pub(crate) raw: &'a [u8],
}

/// Iterates the TLVs of a constructed value's content.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(content: &'a [u8]) -> Self {
        Reader { rest: content }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Reads the next TLV; `Err` names what is malformed.
    pub(crate) fn next_tlv(&mut self) -> Result<Tlv<'a>, &'static str> {
        let start = self.rest;
        let (&tag, rest) = self.rest.split_first().ok_or("unexpected end of data")?;
        if tag & 0x1f == 0x1f {
            return Err("multi-byte tags are not supported");
        }
        let (&first, mut rest) = rest.split_first().ok_or("missing length")?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return Err("bad length");
            }
            let mut len = 0usize;
            for b in &rest[..n] {
                len = (len << 8) | usize::from(*b);
            }
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return Err("length exceeds data");
        }
        let (content, rest) = rest.split_at(len);
        let raw = &start[..start.len() - rest.len()];
        self.rest = rest;
        Ok(Tlv { tag, content, raw })
    }

    /// Reads the next TLV and checks its tag.
    pub(crate) fn take(&mut self, tag: u8) -> Result<Tlv<'a>, &'static str> {
        let t = self.next_tlv()?;
        if t.tag != tag {
            return Err("unexpected tag");
        }
        Ok(t)
    }
}

/// Parses a whole input that must be exactly one TLV with `tag`.
pub(crate) fn single(input: &[u8], tag: u8) -> Result<Tlv<'_>, &'static str> {
    let mut r = Reader::new(input);
    let t = r.take(tag)?;
    if !r.is_empty() {
        return Err("trailing data");
    }
    Ok(t)
}

/// Decodes a non-negative INTEGER content that fits in `u64`.
pub(crate) fn read_uint(content: &[u8]) -> Result<u64, &'static str> {
    if content.is_empty() || content[0] & 0x80 != 0 {
        return Err("negative or empty integer");
    }
    let trimmed: &[u8] = if content.len() > 1 && content[0] == 0 {
        &content[1..]
    } else {
        content
    };
    if trimmed.len() > 8 {
        return Err("integer too large");
    }
    Ok(trimmed
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_encoding_matches_openssl() {
        for dotted in [
            "2.5.29.15",
            "1.3.6.1.5.5.7.3.1",
            "1.3.6.1.4.1.311.10.3.3",
            "2.16.840.1.113730.4.1",
            "1.2.840.113549.1.9.14",
            "2.5.29.37.0",
        ] {
            let ours = oid_content(dotted).unwrap();
            let theirs = openssl::asn1::Asn1Object::from_str(dotted).unwrap();
            assert_eq!(ours, theirs.as_slice(), "{dotted}");
        }
    }

    #[test]
    fn lengths_and_integers_round_trip() {
        for len in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let content = vec![7u8; len];
            let enc = tlv(TAG_OCTET_STRING, &content);
            let t = single(&enc, TAG_OCTET_STRING).unwrap();
            assert_eq!(t.content.len(), len);
        }
        for v in [0u64, 1, 127, 128, 255, 256, u64::from(u32::MAX), u64::MAX] {
            let enc = uint(v);
            let t = single(&enc, TAG_INTEGER).unwrap();
            assert_eq!(read_uint(t.content).unwrap(), v);
        }
        assert_eq!(uint(0), vec![2, 1, 0]);
        assert_eq!(uint(128), vec![2, 2, 0, 128]);
    }

    #[test]
    fn reader_rejects_truncation() {
        assert!(Reader::new(&[0x30, 0x05, 0x01]).next_tlv().is_err());
        assert!(Reader::new(&[0x30]).next_tlv().is_err());
        assert!(single(&[0x04, 0x00, 0x00], TAG_OCTET_STRING).is_err());
    }
}
