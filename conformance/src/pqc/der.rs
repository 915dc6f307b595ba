//! Just enough DER to read SubjectPublicKeyInfo and PKCS#8.

/// One DER TLV: (tag, contents, rest). Only the forms SPKI and PKCS#8 use.
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize);
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

fn oid_string(body: &[u8]) -> Option<String> {
    let (&first, rest) = body.split_first()?;
    let mut arcs = vec![(first / 40) as u64, (first % 40) as u64];
    let mut acc = 0u64;
    for &b in rest {
        acc = (acc << 7) | (b & 0x7f) as u64;
        if b & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
        }
    }
    Some(
        arcs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// AlgorithmIdentifier → (dotted OID, whether parameters follow).
fn algorithm(der: &[u8]) -> Option<(String, bool)> {
    let (tag, body, _) = tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, oid, params) = tlv(body)?;
    (tag == 0x06).then_some(())?;
    Some((oid_string(oid)?, !params.is_empty()))
}

/// A DER SubjectPublicKeyInfo → (algorithm OID, whether the algorithm has
/// parameters, the public key bits). `None` if it is not one.
pub fn parse_spki(der: &[u8]) -> Option<(String, bool, Vec<u8>)> {
    let (tag, body, rest) = tlv(der)?;
    (tag == 0x30 && rest.is_empty()).then_some(())?;
    let (_, _, after_alg) = tlv(body)?;
    let (oid, params) = algorithm(body)?;
    let (tag, bits, rest) = tlv(after_alg)?;
    (tag == 0x03 && rest.is_empty() && bits.first() == Some(&0)).then_some(())?;
    Some((oid, params, bits[1..].to_vec()))
}

/// A DER PKCS#8 PrivateKeyInfo / OneAsymmetricKey → (algorithm OID, the
/// privateKey OCTET STRING contents). `None` if it is not one.
pub fn parse_pkcs8(der: &[u8]) -> Option<(String, Vec<u8>)> {
    let (tag, body, rest) = tlv(der)?;
    (tag == 0x30 && rest.is_empty()).then_some(())?;
    let (tag, _version, rest) = tlv(body)?;
    (tag == 0x02).then_some(())?;
    let (oid, _) = algorithm(rest)?;
    let (_, _, rest) = tlv(rest)?;
    let (tag, key, _) = tlv(rest)?;
    (tag == 0x04).then_some(())?;
    Some((oid, key.to_vec()))
}
