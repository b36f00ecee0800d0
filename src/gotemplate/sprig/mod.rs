//! Sprig v3's template functions, as Helm gives them to charts (Helm deletes `env` and
//! `expandenv`; it replaces `toJson`/`fromJson` and adds its own, which live with the chart
//! engine). Each function keeps Sprig's semantics, down to its quirks: `default` decides by
//! Sprig's `empty`, `add` truncates floats through `cast.ToInt64`, `merge` follows mergo.
//!
//! Go checks a function's argument types before calling it (a float64 where an `int` is
//! declared fails the template), so the argument readers here are as strict as Go's
//! `reflect.Call`; the functions that declare `interface{}` convert as Sprig does (`cast`).
//! One gap: the value model has one integer type, so Go's refusal of an `int64` (what `add`
//! returns) where an `int` is declared (`trunc (add 1 2) "abc"`) is not reproduced.

mod case;
pub mod chance;
pub mod clock;
pub mod crypto;
mod defaults;
mod dicts;
mod encoding;
mod json;
mod lists;
mod math;
mod paths;
mod reflect;
mod regex;
mod semver;
mod strings;
mod url;

use super::fmt::{display, quote as go_quote};
use super::{Function, Functions, Map, Value};

pub use json::to_json;
pub use semver::{satisfies as semver_satisfies, VERSION_MEMBERS};

/// The functions whose result is a Go struct with members (`(semver "1.2.3").Major`,
/// `(genCA "ca" 365).Cert`, `now.Year`): a field read off any other function's result is a
/// map key or Go's error, the same in both engines, so `auto` need not check its name.
pub const STRUCT_RESULTS: &[&str] = &[
    "semver",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "buildCustomCert",
    "now",
    "toDate",
    "mustToDate",
    "dateModify",
    "date_modify",
    "mustDateModify",
    "must_date_modify",
];

/// Sprig functions left out of the native engine: a chart that calls one renders with the helm
/// binary instead. Each is left out because its result depends on the network. Chance and
/// cryptography live in chance.rs and crypto.rs, the clock in clock/.
pub const UNSUPPORTED: &[&str] = &[
    // The network: a DNS lookup at render time.
    "getHostByName",
];

/// The supported functions, by area.
const AREAS: &[&[Entry]] = &[
    strings::FUNCTIONS,
    case::FUNCTIONS,
    lists::FUNCTIONS,
    dicts::FUNCTIONS,
    math::FUNCTIONS,
    defaults::FUNCTIONS,
    encoding::FUNCTIONS,
    regex::FUNCTIONS,
    semver::FUNCTIONS,
    paths::FUNCTIONS,
    reflect::FUNCTIONS,
    chance::FUNCTIONS,
    crypto::FUNCTIONS,
    url::FUNCTIONS,
    clock::FUNCTIONS,
];

/// Every supported Sprig function, by the name templates call it.
pub fn functions() -> Functions {
    AREAS.iter().flat_map(|area| area.iter()).map(|(name, function)| (*name, Function::Pure(*function))).collect()
}

/// The most numbers a list function makes, and the most bytes a string function makes: Go has
/// no limit, but a chart is untrusted input, and `until`, `repeat` or `indent` with a huge count
/// must end in an error, not in an exhausted machine. Far above what a chart renders (the
/// executor bounds a template's whole output at 64 MiB).
const MAX_ITEMS: usize = 1 << 20;
const MAX_BYTES: usize = 64 << 20;

/// An error when a string function would make more than `MAX_BYTES`.
fn check_made(name: &str, bytes: u128) -> Result<(), String> {
    if bytes > MAX_BYTES as u128 {
        return Err(format!("{name} would make {bytes} bytes, more than the {} MiB a chart may make", MAX_BYTES >> 20));
    }
    Ok(())
}

/// A function's table entry: its template name and its body.
type Entry = (&'static str, fn(&[Value]) -> Result<Value, String>);

/// Sprig's `strval`: a string or a `[]byte` as its text, anything else as Go's `%v` prints it
/// (`1e+06`, `[a b]`, `map[a:1]`, `<nil>`): what `toString`, `join`, `cat`, `dict` keys and
/// `quote` use.
pub fn strval(value: &Value) -> String {
    match value {
        Value::String(text) => text.to_string(),
        Value::Object(object) if object.bytes().is_some() => {
            String::from_utf8_lossy(object.bytes().unwrap_or_default()).into_owned()
        }
        other => display(other),
    }
}

/// The arguments of a function with a fixed count, as Go's executor checks them.
fn fixed<'a, const N: usize>(name: &str, args: &'a [Value]) -> Result<&'a [Value; N], String> {
    args.try_into().map_err(|_| format!("wrong number of args for {name}: want {N} got {}", args.len()))
}

/// The arguments of a variadic function with at least `min` of them.
fn at_least<'a>(name: &str, args: &'a [Value], min: usize) -> Result<&'a [Value], String> {
    if args.len() < min {
        return Err(format!("wrong number of args for {name}: want at least {min} got {}", args.len()));
    }
    Ok(args)
}

/// The error Go's executor gives a value that does not fit a declared parameter type. A nil
/// under Helm is a nil `interface {}` (a null or missing value: Helm runs with
/// `missingkey=zero`), which fits no concrete type, maps included.
fn wrong_type(expected: &str, value: &Value) -> String {
    let got = match value {
        Value::Nil => "interface {}".to_string(),
        other => other.type_name(),
    };
    format!("wrong type for value; expected {expected}; got {got}")
}

/// A `string` parameter.
fn string_arg(value: &Value) -> Result<&str, String> {
    value.as_str().ok_or_else(|| wrong_type("string", value))
}

/// An `int` parameter: template literals, `len`, `int`; never a float64 from values.
fn int_arg(value: &Value) -> Result<i64, String> {
    match value {
        Value::Int(n) => Ok(*n),
        other => Err(wrong_type("int", other)),
    }
}

/// A `bool` parameter.
fn bool_arg(value: &Value) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong_type("bool", other)),
    }
}

/// A `map[string]interface{}` parameter.
fn map_arg(value: &Value) -> Result<&Map, String> {
    match value {
        Value::Map(map) => Ok(map),
        other => Err(wrong_type("map[string]interface {}", other)),
    }
}

/// The items of a Go slice, for Sprig's list functions (`reflect` Kind Slice/Array); their
/// error names the kind the way Sprig's messages do (`Cannot find first on type string`).
fn slice_arg(value: &Value, what: impl FnOnce(&str) -> String) -> Result<&[Value], String> {
    match value {
        Value::List(items) => Ok(items),
        // reflect.TypeOf(nil).Kind() dereferences a nil Type.
        Value::Nil => Err("runtime error: invalid memory address or nil pointer dereference".into()),
        other => Err(what(other.kind())),
    }
}

fn string_list(items: impl IntoIterator<Item = String>) -> Value {
    Value::list(items.into_iter().map(Value::string).collect())
}

#[cfg(test)]
mod testing;

#[cfg(test)]
mod coverage {
    /// Every name of Sprig v3's `genericMap` (functions.go).
    const SPRIG: &str = "
        abbrev abbrevboth add add1 add1f addf adler32sum ago all any append atoi b32dec b32enc b64dec b64enc
        base bcrypt biggest buildCustomCert camelcase cat ceil chunk clean coalesce compact concat contains date
        dateInZone dateModify date_in_zone date_modify decryptAES deepCopy deepEqual default derivePassword dict
        dig dir div divf duration durationRound empty encryptAES env expandenv ext fail first float64 floor
        fromJson genCA genCAWithKey genPrivateKey genSelfSignedCert genSelfSignedCertWithKey genSignedCert
        genSignedCertWithKey get getHostByName has hasKey hasPrefix hasSuffix hello htmlDate htmlDateInZone
        htpasswd indent initial initials int int64 isAbs join kebabcase keys kindIs kindOf last list lower max maxf
        merge mergeOverwrite min minf mod mul mulf mustAppend mustChunk mustCompact mustDateModify mustDeepCopy
        mustFirst mustFromJson mustHas mustInitial mustLast mustMerge mustMergeOverwrite mustPrepend mustPush
        mustRegexFind mustRegexFindAll mustRegexMatch mustRegexReplaceAll mustRegexReplaceAllLiteral mustRegexSplit
        mustRest mustReverse mustSlice mustToDate mustToJson mustToPrettyJson mustToRawJson mustUniq mustWithout
        must_date_modify nindent nospace now omit osBase osClean osDir osExt osIsAbs pick pluck plural prepend
        push quote randAlpha randAlphaNum randAscii randBytes randInt randNumeric regexFind regexFindAll regexMatch
        regexQuoteMeta regexReplaceAll regexReplaceAllLiteral regexSplit repeat replace rest reverse round semver
        semverCompare seq set sha1sum sha256sum sha512sum shuffle slice snakecase sortAlpha split splitList
        splitn squote sub subf substr swapcase ternary title toDate toDecimal toJson toPrettyJson toRawJson
        toString toStrings trim trimAll trimPrefix trimSuffix trimall trunc tuple typeIs typeIsLike typeOf uniq
        unixEpoch unset until untilStep untitle upper urlJoin urlParse uuidv4 values without wrap wrapWith";

    /// Deleted by Helm (`env`, `expandenv`) or replaced by its own (registered by the chart engine).
    const HELMS: &[&str] = &["env", "expandenv", "toJson", "fromJson"];

    #[test]
    fn no_two_areas_define_one_name() {
        assert_eq!(super::AREAS.iter().map(|area| area.len()).sum::<usize>(), super::functions().len());
    }

    #[test]
    fn every_sprig_function_is_supported_or_listed_unsupported() {
        let supported = super::functions();
        for name in SPRIG.split_whitespace() {
            let listed = super::UNSUPPORTED.contains(&name);
            let expected = !HELMS.contains(&name);
            assert_eq!(supported.contains_key(name) || listed, expected, "{name}");
            assert!(!(supported.contains_key(name) && listed), "{name} is both supported and listed unsupported");
        }
        for name in supported.keys().chain(super::UNSUPPORTED) {
            assert!(SPRIG.split_whitespace().any(|known| known == *name), "{name} is not Sprig's");
        }
    }
}
