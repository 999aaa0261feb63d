//! `configMapGenerator` / `secretGenerator` helpers: kustomize's name-suffix hash and base64.
//!
//! kustomize names a generated object `<name>-<hash>`, where the hash is computed over a JSON
//! encoding of the object with sorted keys (`{"data":…,"kind":"ConfigMap","name":""}` — kustomize
//! v5 hashes the object with its name already cleared, so prefixes never change the hash — plus
//! `binaryData`/`immutable` when set; for a Secret `{"data":…,"kind":"Secret","name":…,"type":…}`
//! with base64 values), encoded as Go's `encoding/json` would (HTML characters escaped), hashed
//! with SHA-256; the first ten hex digits then have the vowel-like digits replaced so the suffix
//! can never spell a word (`0→g 1→h 3→k a→m e→t`). SHA-256 and base64 are small enough to carry
//! here rather than as dependencies.

use std::collections::BTreeMap;

/// Go `encoding/json` string encoding (escapes `<`, `>`, `&`, U+2028 and U+2029).
fn go_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn go_json_map(m: &BTreeMap<String, String>, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        go_json_string(k, out);
        out.push(':');
        go_json_string(v, out);
    }
    out.push('}');
}

/// The hash suffix of a generated ConfigMap (`data` values as text, `binary` base64).
pub fn configmap_hash(
    data: &BTreeMap<String, String>,
    binary: &BTreeMap<String, String>,
    immutable: Option<bool>,
) -> String {
    let mut s = String::from("{");
    if !binary.is_empty() {
        s.push_str("\"binaryData\":");
        go_json_map(binary, &mut s);
        s.push(',');
    }
    s.push_str("\"data\":");
    go_json_map(data, &mut s);
    if let Some(b) = immutable {
        s.push_str(&format!(",\"immutable\":{b}"));
    }
    s.push_str(",\"kind\":\"ConfigMap\",\"name\":\"\"}");
    encode_hash(&s)
}

/// The hash suffix of a generated Secret (`data` values already base64-encoded).
pub fn secret_hash(
    kind_type: &str,
    data: &BTreeMap<String, String>,
    immutable: Option<bool>,
) -> String {
    let mut s = String::from("{\"data\":");
    go_json_map(data, &mut s);
    if let Some(b) = immutable {
        s.push_str(&format!(",\"immutable\":{b}"));
    }
    s.push_str(",\"kind\":\"Secret\",\"name\":\"\",\"type\":");
    go_json_string(kind_type, &mut s);
    s.push('}');
    encode_hash(&s)
}

fn encode_hash(encoded: &str) -> String {
    let digest = sha256(encoded.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .take(10)
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// SHA-256 (FIPS 180-4).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for (i, c) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v[7] = v[6];
            v[6] = v[5];
            v[5] = v[4];
            v[4] = v[3].wrapping_add(t1);
            v[3] = v[2];
            v[2] = v[1];
            v[1] = v[0];
            v[0] = t1.wrapping_add(t2);
        }
        for (a, b) in h.iter_mut().zip(v) {
            *a = a.wrapping_add(b);
        }
    }
    let mut out = [0u8; 32];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_and_base64_known_answers() {
        let hex: String = sha256(b"abc").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(base64(b"secret"), "c2VjcmV0");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
    }

    /// Reference values from `kubectl kustomize` (kustomize v5.5.0).
    #[test]
    fn hashes_match_kustomize() {
        let data: BTreeMap<String, String> = [("e.env", "a=1\n"), ("x", "1"), ("y", "<a&b>")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(configmap_hash(&data, &BTreeMap::new(), None), "c7b9f9mbff");
        let s: BTreeMap<String, String> = [("p".to_string(), base64(b"secret"))].into();
        assert_eq!(secret_hash("Opaque", &s, None), "4k4899t6bh");
        let one: BTreeMap<String, String> = [("x".to_string(), "1".to_string())].into();
        assert_eq!(configmap_hash(&one, &BTreeMap::new(), None), "hmg6f82fh6");
    }
}
