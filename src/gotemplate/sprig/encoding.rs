//! Sprig's encodings and checksums (strings.go, crypto.go's sums). A failed decode returns the
//! error's text as the result, as Sprig does: the template goes on.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use sha2::{Digest, Sha256, Sha512};

use super::{fixed, string_arg, Entry, Value};

pub(super) const FUNCTIONS: &[Entry] = &[
    ("b64enc", |args| text_function("b64enc", args, |text| BASE64.encode(text))),
    ("b64dec", |args| text_function("b64dec", args, base64_decode)),
    ("b32enc", |args| text_function("b32enc", args, |text| base32_encode(text.as_bytes()))),
    ("b32dec", |args| text_function("b32dec", args, base32_decode)),
    ("sha1sum", |args| text_function("sha1sum", args, |text| hex(&sha1(text.as_bytes())))),
    ("sha256sum", |args| text_function("sha256sum", args, |text| hex(&Sha256::digest(text.as_bytes())))),
    ("sha512sum", |args| text_function("sha512sum", args, |text| hex(&Sha512::digest(text.as_bytes())))),
    ("adler32sum", |args| text_function("adler32sum", args, |text| adler32(text.as_bytes()).to_string())),
];

fn text_function(name: &str, args: &[Value], change: impl Fn(&str) -> String) -> Result<Value, String> {
    let [text] = fixed(name, args)?;
    Ok(Value::string(change(string_arg(text)?)))
}

/// Decoded bytes as a Go string would print them (invalid UTF-8 shown replaced).
fn bytes_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// Go's `base64.StdEncoding.DecodeString`, quantum by quantum, so its errors name the input
/// byte Go's do (`illegal base64 data at input byte 4`); line breaks are skipped.
fn base64_decode(text: &str) -> String {
    let input = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < input.len() {
        match base64_quantum(input, at) {
            Ok((next, bytes)) => {
                out.extend(bytes);
                at = next;
            }
            Err(offset) => return format!("illegal base64 data at input byte {offset}"),
        }
    }
    bytes_text(out)
}

fn base64_value(byte: u8) -> Option<u32> {
    match byte {
        b'A'..=b'Z' => Some(u32::from(byte - b'A')),
        b'a'..=b'z' => Some(u32::from(byte - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(byte - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

fn skip_line_breaks(input: &[u8], mut at: usize) -> usize {
    while at < input.len() && matches!(input[at], b'\n' | b'\r') {
        at += 1;
    }
    at
}

/// Go's `decodeQuantum`: up to four characters from `at`; the position after them and the
/// bytes they hold, or the offset of the error.
fn base64_quantum(input: &[u8], mut at: usize) -> Result<(usize, Vec<u8>), usize> {
    let mut values = [0u32; 4];
    let mut length = 4;
    let mut j = 0;
    while j < 4 {
        if at == input.len() {
            if j == 0 {
                return Ok((at, Vec::new()));
            }
            return Err(at - j);
        }
        let byte = input[at];
        at += 1;
        if let Some(value) = base64_value(byte) {
            values[j] = value;
            j += 1;
            continue;
        }
        if matches!(byte, b'\n' | b'\r') {
            continue;
        }
        if byte != b'=' || j < 2 {
            return Err(at - 1);
        }
        if j == 2 {
            // The second "=" of "==".
            at = skip_line_breaks(input, at);
            if at == input.len() {
                return Err(input.len());
            }
            if input[at] != b'=' {
                return Err(at - 1);
            }
            at += 1;
        }
        at = skip_line_breaks(input, at);
        if at < input.len() {
            return Err(at);
        }
        length = j;
        break;
    }
    let bits = values[0] << 18 | values[1] << 12 | values[2] << 6 | values[3];
    let bytes = [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8];
    Ok((at, bytes[..length - 1].to_vec()))
}

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Go's `base32.StdEncoding.EncodeToString`: RFC 4648, padded with `=`.
fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for block in bytes.chunks(5) {
        let mut buffer = [0u8; 5];
        buffer[..block.len()].copy_from_slice(block);
        let bits = buffer.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
        let characters = (block.len() * 8).div_ceil(5);
        for index in 0..8 {
            if index < characters {
                out.push(BASE32_ALPHABET[(bits >> (35 - index * 5) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `base32.StdEncoding.DecodeString` (line breaks dropped first), with Go's error offsets.
fn base32_decode(text: &str) -> String {
    let input: Vec<u8> = text.bytes().filter(|b| *b != b'\r' && *b != b'\n').collect();
    let illegal = |offset: usize| format!("illegal base32 data at input byte {offset}");
    let total = input.len();
    let mut rest: &[u8] = &input;
    let mut out = Vec::new();
    let mut end = false;
    while !rest.is_empty() && !end {
        let mut values = [0u64; 8];
        let mut length = 8;
        let mut j = 0;
        while j < 8 {
            let Some((&byte, after)) = rest.split_first() else {
                return illegal(total - j);
            };
            rest = after;
            if byte == b'=' && j >= 2 && rest.len() < 8 {
                if rest.len() + j < 7 {
                    return illegal(total);
                }
                if let Some(k) = (0..7 - j).find(|k| rest.get(*k).is_some_and(|b| *b != b'=')) {
                    return illegal(total - rest.len() + k - 1);
                }
                if matches!(j, 1 | 3 | 6) {
                    return illegal(total - rest.len() - 1);
                }
                length = j;
                end = true;
                break;
            }
            match BASE32_ALPHABET.iter().position(|c| *c == byte) {
                Some(value) => values[j] = value as u64,
                None => return illegal(total - rest.len() - 1),
            }
            j += 1;
        }
        let bits = values.iter().fold(0u64, |acc, v| acc << 5 | v);
        out.extend((0..length * 5 / 8).map(|index| (bits >> (32 - index * 8)) as u8));
    }
    bytes_text(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Go's `adler32.Checksum`.
fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for byte in bytes {
        a = (a + u32::from(*byte)) % 65521;
        b = (b + a) % 65521;
    }
    b << 16 | a
}

/// SHA-1 (FIPS 180-4), for `sha1sum`: no SHA-1 crate is among hldc's dependencies.
fn sha1(message: &[u8]) -> [u8; 20] {
    let mut state: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut padded = message.to_vec();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&((message.len() as u64) * 8).to_be_bytes());
    for block in padded.chunks(64) {
        let mut words = [0u32; 80];
        for (index, word) in block.chunks(4).enumerate() {
            words[index] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for index in 16..80 {
            words[index] = (words[index - 3] ^ words[index - 8] ^ words[index - 14] ^ words[index - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = state;
        for (index, word) in words.iter().enumerate() {
            let (mix, constant) = match index {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let next = a.rotate_left(5).wrapping_add(mix).wrapping_add(e).wrapping_add(constant).wrapping_add(*word);
            (e, d, c, b, a) = (d, c, b.rotate_left(30), a, next);
        }
        for (slot, add) in state.iter_mut().zip([a, b, c, d, e]) {
            *slot = slot.wrapping_add(add);
        }
    }
    let mut digest = [0u8; 20];
    for (chunk, word) in digest.chunks_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn encodings_as_helm_renders_them() {
        check("b64enc", &[s("hello")], "aGVsbG8=");
        check("b64dec", &[s("aGVsbG8=")], "hello");
        check("b64dec", &[s("aGVs\nbG8=")], "hello");
        check("b64dec", &[s("aGVsbG8")], "illegal base64 data at input byte 4");
        check("b64dec", &[s("a*Vsbg==")], "illegal base64 data at input byte 1");
        check("b32enc", &[s("hello")], "NBSWY3DP");
        check("b32enc", &[s("hi")], "NBUQ====");
        check("b32dec", &[s("NBSWY3DP")], "hello");
        check("b32dec", &[s("NBUQ====")], "hi");
        check("b32dec", &[s("NBU!====")], "illegal base32 data at input byte 3");
        check("b64dec", &[s("aGVsbA==x")], "illegal base64 data at input byte 8");
        check("b64dec", &[s("aGVsbA=")], "illegal base64 data at input byte 7");
        check("b32dec", &[s("NBSWY3D")], "illegal base32 data at input byte 0");
        check("b32dec", &[s("NBSWY3DP====")], "illegal base32 data at input byte 8");
        check("sha1sum", &[s("hello")], "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
        check("sha1sum", &[s("")], "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        check("sha256sum", &[s("hello")], "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        check(
            "sha512sum",
            &[s("")],
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
        );
        check("adler32sum", &[s("hello")], "103547413");
    }
}
