//! Sprig's functions of chance: `randAlphaNum` and its kin, `randBytes`, `randInt`, `uuidv4`,
//! `shuffle`; and the source of every random byte the native engine draws (the crypto
//! functions' keys, serials, salts and IVs too).
//!
//! The source is the operating system's (OpenSSL's generator), as helm's is: two renders
//! differ. Under `helm.deterministic` the chart engine installs a seeded stream around each
//! template's execution ([`seeded`]): the executor runs one render on one thread, so a scoped
//! per-thread source reaches every function the template calls (`include`d ones too) without
//! threading it through the function signatures; the guard puts the previous source back.

use std::cell::RefCell;

use base64::Engine;

use super::{fixed, int_arg, string_arg, Entry, Value};

pub const FUNCTIONS: &[Entry] = &[
    ("randAlphaNum", rand_alpha_num),
    ("randAlpha", rand_alpha),
    ("randNumeric", rand_numeric),
    ("randAscii", rand_ascii),
    ("randBytes", rand_bytes),
    ("randInt", rand_int),
    ("uuidv4", uuidv4),
    ("shuffle", shuffle),
];

/// A stream of bytes drawn from a seed: SHA-256 of the seed and a block counter, block after
/// block. Same seed, same bytes, on every machine.
struct Stream {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl Stream {
    fn new(seed: [u8; 32]) -> Stream {
        Stream { seed, counter: 0, block: [0; 32], used: 32 }
    }

    fn fill(&mut self, out: &mut [u8]) {
        for byte in out {
            if self.used == self.block.len() {
                let mut input = self.seed.to_vec();
                input.extend_from_slice(&self.counter.to_be_bytes());
                self.block = openssl::sha::sha256(&input);
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
    }
}

thread_local! {
    static SEEDED: RefCell<Option<Stream>> = const { RefCell::new(None) };
}

/// The seed of one template's stream under `helm.deterministic`: the release, the template's
/// full path and the values, so that a template elsewhere in the chart changes nothing here.
pub fn seed(release: &str, template: &str, values: &str) -> [u8; 32] {
    let mut input = Vec::new();
    for part in [release, template, values] {
        // Length-prefixed: ("ab", "c") and ("a", "bc") seed differently.
        input.extend_from_slice(&(part.len() as u64).to_be_bytes());
        input.extend_from_slice(part.as_bytes());
    }
    openssl::sha::sha256(&input)
}

/// While alive, every random byte on this thread comes from `seed`'s stream.
#[must_use]
pub struct Seeded {
    previous: Option<Stream>,
}

pub fn seeded(seed: [u8; 32]) -> Seeded {
    Seeded { previous: SEEDED.with(|source| source.replace(Some(Stream::new(seed)))) }
}

impl Drop for Seeded {
    fn drop(&mut self) {
        let previous = self.previous.take();
        SEEDED.with(|source| *source.borrow_mut() = previous);
    }
}

/// Whether chance is seeded here: what needs the clock refuses to run then.
pub fn is_seeded() -> bool {
    SEEDED.with(|source| source.borrow().is_some())
}

/// Random bytes: the seeded stream's, else the operating system's.
pub fn fill(out: &mut [u8]) -> Result<(), String> {
    SEEDED.with(|source| match source.borrow_mut().as_mut() {
        Some(stream) => {
            stream.fill(out);
            Ok(())
        }
        None => openssl::rand::rand_bytes(out).map_err(|error| error.to_string()),
    })
}

/// A uniform integer in `0..bound` (bound > 0), by rejection as Go's `rand.Int` draws.
pub fn below(bound: u64) -> Result<u64, String> {
    let limit = u64::MAX - u64::MAX % bound;
    loop {
        let mut bytes = [0; 8];
        fill(&mut bytes)?;
        let candidate = u64::from_be_bytes(bytes);
        if candidate < limit {
            return Ok(candidate % bound);
        }
    }
}

/// goutils' `CryptoRandom`: `count` characters drawn uniformly from `alphabet`; Sprig turns
/// its error on a negative count into "".
fn random_text(args: &[Value], name: &str, alphabet: &[u8]) -> Result<Value, String> {
    let [count] = fixed(name, args)?;
    let count = int_arg(count)?;
    let mut text = String::new();
    for _ in 0..count.max(0) {
        text.push(alphabet[below(alphabet.len() as u64)? as usize] as char);
    }
    Ok(Value::string(text))
}

const DIGITS: &[u8] = b"0123456789";
const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn rand_alpha_num(args: &[Value]) -> Result<Value, String> {
    random_text(args, "randAlphaNum", ALPHANUMERIC)
}

fn rand_alpha(args: &[Value]) -> Result<Value, String> {
    random_text(args, "randAlpha", LETTERS)
}

fn rand_numeric(args: &[Value]) -> Result<Value, String> {
    random_text(args, "randNumeric", DIGITS)
}

/// Printable ASCII, space to tilde (goutils' range 32..127).
fn rand_ascii(args: &[Value]) -> Result<Value, String> {
    let printable: Vec<u8> = (32..127).collect();
    random_text(args, "randAscii", &printable)
}

/// `count` random bytes, base64 (standard alphabet, padded).
fn rand_bytes(args: &[Value]) -> Result<Value, String> {
    let [count] = fixed("randBytes", args)?;
    let count =
        usize::try_from(int_arg(count)?).map_err(|_| "runtime error: makeslice: len out of range".to_string())?;
    let mut bytes = vec![0; count];
    fill(&mut bytes)?;
    Ok(Value::string(base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// `rand.Intn(max-min) + min`: Go panics on an empty range, which the template reports.
fn rand_int(args: &[Value]) -> Result<Value, String> {
    let [min, max] = fixed("randInt", args)?;
    let (min, max) = (int_arg(min)?, int_arg(max)?);
    let span = max.checked_sub(min).filter(|span| *span > 0).ok_or("invalid argument to Intn")?;
    Ok(Value::Int(min + below(span as u64)? as i64))
}

/// A random (version 4, RFC 4122 variant) UUID in its canonical lower-case form.
fn uuidv4(args: &[Value]) -> Result<Value, String> {
    fixed::<0>("uuidv4", args)?;
    let mut bytes = [0u8; 16];
    fill(&mut bytes)?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Value::string(format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])))
}

/// xstrings' `Shuffle`: the string's characters in a random order (Fisher-Yates).
fn shuffle(args: &[Value]) -> Result<Value, String> {
    let [text] = fixed("shuffle", args)?;
    let mut chars: Vec<char> = string_arg(text)?.chars().collect();
    for i in (1..chars.len()).rev() {
        let j = below(i as u64 + 1)? as usize;
        chars.swap(i, j);
    }
    Ok(Value::string(chars.into_iter().collect::<String>()))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, fails, i, s};
    use super::*;

    fn text(name: &str, args: &[Value]) -> String {
        call(name, args).unwrap().as_str().unwrap().to_string()
    }

    #[test]
    fn random_text_has_the_length_and_the_alphabet_asked() {
        for (name, alphabet) in [("randAlphaNum", ALPHANUMERIC), ("randAlpha", LETTERS), ("randNumeric", DIGITS)] {
            let drawn = text(name, &[i(200)]);
            assert_eq!(drawn.len(), 200, "{name}");
            assert!(drawn.bytes().all(|b| alphabet.contains(&b)), "{name}: {drawn}");
        }
        let ascii = text("randAscii", &[i(200)]);
        assert!(ascii.len() == 200 && ascii.bytes().all(|b| (32..127).contains(&b)), "{ascii}");
        assert_eq!(text("randAlphaNum", &[i(0)]), "");
        assert_eq!(text("randAlphaNum", &[i(-3)]), "");
        // Go checks the declared `int`: a float64 from values does not fit.
        fails("randAlphaNum", &[Value::Float(3.0)], "expected int");
    }

    #[test]
    fn two_draws_differ_without_a_seed() {
        assert_ne!(text("randAlphaNum", &[i(32)]), text("randAlphaNum", &[i(32)]));
        assert_ne!(text("uuidv4", &[]), text("uuidv4", &[]));
    }

    #[test]
    fn bytes_ints_uuids_and_shuffles_keep_their_shape() {
        let encoded = text("randBytes", &[i(24)]);
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(&encoded).unwrap().len(), 24);
        for _ in 0..100 {
            match call("randInt", &[i(-2), i(3)]).unwrap() {
                Value::Int(n) => assert!((-2..3).contains(&n)),
                other => panic!("{other:?}"),
            }
        }
        fails("randInt", &[i(3), i(3)], "invalid argument to Intn");
        let uuid = text("uuidv4", &[]);
        let shape = regex::Regex::new("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$").unwrap();
        assert!(shape.is_match(&uuid), "{uuid}");
        let mut shuffled: Vec<char> = text("shuffle", &[s("héllo wörld")]).chars().collect();
        shuffled.sort();
        let mut original: Vec<char> = "héllo wörld".chars().collect();
        original.sort();
        assert_eq!(shuffled, original);
    }

    #[test]
    fn a_seed_gives_the_same_draws_in_the_same_order() {
        let draws = |seed| {
            let _seeded = seeded(seed);
            assert!(is_seeded());
            [text("randAlphaNum", &[i(16)]), text("uuidv4", &[]), text("shuffle", &[s("abcdefgh")])]
        };
        let first = draws(super::seed("release", "chart/templates/a.yaml", "x: 1\n"));
        assert!(!is_seeded(), "the guard puts the operating system's source back");
        assert_eq!(first, draws(super::seed("release", "chart/templates/a.yaml", "x: 1\n")));
        assert_ne!(first, draws(super::seed("release", "chart/templates/b.yaml", "x: 1\n")));
        assert_ne!(first, draws(super::seed("release", "chart/templates/a.yaml", "x: 2\n")));
        assert_ne!(first, draws(super::seed("other", "chart/templates/a.yaml", "x: 1\n")));
        assert_ne!(first[0], first[1][..16], "calls in order draw on");
    }
}
