//! Sprig's arithmetic and conversions (numeric.go, functions.go). Integer arithmetic goes
//! through `cast.ToInt64` (a float64 truncates, a string parses as Go source does: `"0x1F"`,
//! `"010"` octal, `"3.0"` as 3; what does not convert is 0); the `…f` functions through
//! shopspring/decimal, so `addf 0.1 0.2` is exactly `0.3`.

use super::strval;
use super::{at_least, fixed, int_arg, string_arg, Entry, Value};

pub(super) const FUNCTIONS: &[Entry] = &[
    ("int", |args| fixed::<1>("int", args).map(|[v]| Value::Int(to_int(v)))),
    ("int64", |args| fixed::<1>("int64", args).map(|[v]| Value::Int(to_int(v)))),
    ("float64", |args| fixed::<1>("float64", args).map(|[v]| Value::Float(to_float(v)))),
    ("atoi", atoi),
    ("toDecimal", to_decimal),
    ("add1", |args| fixed::<1>("add1", args).map(|[v]| Value::Int(to_int(v).wrapping_add(1)))),
    ("add", |args| Ok(Value::Int(args.iter().map(to_int).fold(0, i64::wrapping_add)))),
    ("sub", |args| fixed::<2>("sub", args).map(|[a, b]| Value::Int(to_int(a).wrapping_sub(to_int(b))))),
    ("mul", |args| at_least("mul", args, 1).map(|args| Value::Int(args.iter().map(to_int).fold(1, i64::wrapping_mul)))),
    ("div", |args| integer_division("div", args, i64::wrapping_div)),
    ("mod", |args| integer_division("mod", args, i64::wrapping_rem)),
    ("max", |args| extreme("max", args, i64::max)),
    ("biggest", |args| extreme("biggest", args, i64::max)),
    ("min", |args| extreme("min", args, i64::min)),
    ("maxf", |args| extreme_float("maxf", args, go_max)),
    ("minf", |args| extreme_float("minf", args, go_min)),
    ("floor", |args| fixed::<1>("floor", args).map(|[v]| Value::Float(to_float(v).floor()))),
    ("ceil", |args| fixed::<1>("ceil", args).map(|[v]| Value::Float(to_float(v).ceil()))),
    ("round", round),
    ("add1f", |args| fixed::<1>("add1f", args).and_then(|[v]| decimal_fold(v, &[Value::Int(1)], Operation::Add))),
    ("addf", |args| decimal_fold(&Value::Float(0.0), args, Operation::Add)),
    ("subf", |args| at_least("subf", args, 1).and_then(|args| decimal_fold(&args[0], &args[1..], Operation::Sub))),
    ("mulf", |args| at_least("mulf", args, 1).and_then(|args| decimal_fold(&args[0], &args[1..], Operation::Mul))),
    ("divf", |args| at_least("divf", args, 1).and_then(|args| decimal_fold(&args[0], &args[1..], Operation::Div))),
];

/// `cast.ToInt64` with its error ignored, as Sprig calls it.
pub(super) fn to_int(value: &Value) -> i64 {
    match value {
        Value::Int(n) => *n,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        Value::String(text) => parse_go_int(trim_zero_decimal(text)).unwrap_or(0),
        _ => 0,
    }
}

/// `cast.ToFloat64` with its error ignored.
pub(super) fn to_float(value: &Value) -> f64 {
    match value {
        Value::Int(n) => *n as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(text) => text.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// cast's `trimZeroDecimal`: `"3.00"` reads as `"3"`.
fn trim_zero_decimal(text: &str) -> &str {
    let mut found_zero = false;
    for (index, byte) in text.bytes().enumerate().rev() {
        match byte {
            b'.' if found_zero => return &text[..index],
            b'.' => {}
            b'0' => found_zero = true,
            _ => return text,
        }
    }
    text
}

/// Go's `strconv.ParseInt(text, 0, 64)`: a sign, then `0x`, `0o`, `0b` or a leading `0`
/// (octal) choose the base; underscores may separate digits after a prefix.
fn parse_go_int(text: &str) -> Option<i64> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = unsigned.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest.to_string(), true)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest.to_string(), true)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    // An underscore must sit between digits (a base prefix counts as one).
    if digits.starts_with('_') && !prefixed || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let digits = digits.replace('_', "");
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let magnitude = i128::from_str_radix(&digits, radix).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

fn atoi(args: &[Value]) -> Result<Value, String> {
    let [text] = fixed("atoi", args)?;
    let text = string_arg(text)?;
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let valid = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    Ok(Value::Int(if valid { text.parse().unwrap_or(0) } else { 0 }))
}

/// `toDecimal`: the value's text read as an octal number (`"0777"` → 511), else 0.
fn to_decimal(args: &[Value]) -> Result<Value, String> {
    let [value] = fixed("toDecimal", args)?;
    let text = strval(value);
    let digits = text.strip_prefix(['+', '-']).unwrap_or(&text);
    let valid = !digits.is_empty() && digits.bytes().all(|b| (b'0'..=b'7').contains(&b));
    Ok(Value::Int(if valid { i64::from_str_radix(&text, 8).unwrap_or(0) } else { 0 }))
}

fn integer_division(name: &str, args: &[Value], operation: fn(i64, i64) -> i64) -> Result<Value, String> {
    let [a, b] = fixed(name, args)?;
    let divisor = to_int(b);
    if divisor == 0 {
        return Err("runtime error: integer divide by zero".into());
    }
    Ok(Value::Int(operation(to_int(a), divisor)))
}

fn extreme(name: &str, args: &[Value], pick: fn(i64, i64) -> i64) -> Result<Value, String> {
    let args = at_least(name, args, 1)?;
    Ok(Value::Int(args[1..].iter().map(to_int).fold(to_int(&args[0]), pick)))
}

fn extreme_float(name: &str, args: &[Value], pick: fn(f64, f64) -> f64) -> Result<Value, String> {
    let args = at_least(name, args, 1)?;
    Ok(Value::Float(args[1..].iter().map(to_float).fold(to_float(&args[0]), pick)))
}

/// Go's `math.Max`: NaN wins.
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// A `float64` parameter: a float, or an integer constant Go converts.
fn float_arg(value: &Value) -> Result<f64, String> {
    match value {
        Value::Float(f) => Ok(*f),
        Value::Int(n) => Ok(*n as f64),
        other => Err(super::wrong_type("float64", other)),
    }
}

/// `round VALUE PLACES [ROUND_ON]`: Sprig rounds up when the fraction left after shifting
/// PLACES digits is at least ROUND_ON (0.5).
fn round(args: &[Value]) -> Result<Value, String> {
    let args = at_least("round", args, 2)?;
    let value = to_float(&args[0]);
    let places = int_arg(&args[1])? as f64;
    let round_on = match args.get(2) {
        Some(on) => float_arg(on)?,
        None => 0.5,
    };
    for extra in args.iter().skip(3) {
        float_arg(extra)?;
    }
    let power = 10f64.powf(places);
    let digit = power * value;
    let fraction = digit - digit.trunc();
    let rounded = if fraction >= round_on { digit.ceil() } else { digit.floor() };
    Ok(Value::Float(rounded / power))
}

/// A decimal number as shopspring/decimal holds it: `mantissa × 10^-scale`.
#[derive(Clone, Copy)]
struct Decimal {
    mantissa: i128,
    scale: i32,
}

/// The digits shopspring keeps after the point when it divides.
const DIVISION_PRECISION: i32 = 16;

impl Decimal {
    /// `decimal.NewFromFloat`: the shortest decimal that reads back as `f`.
    fn from_float(f: f64) -> Option<Decimal> {
        if !f.is_finite() {
            return None;
        }
        let scientific = format!("{f:e}");
        let (mantissa, exponent) = scientific.split_once('e')?;
        let exponent: i32 = exponent.parse().ok()?;
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits: i128 = format!("{whole}{fraction}").parse().ok()?;
        Some(Decimal { mantissa: digits, scale: fraction.len() as i32 - exponent })
    }

    fn to_float(self) -> f64 {
        format!("{}e{}", self.mantissa, -self.scale).parse().unwrap_or(f64::NAN)
    }

    /// Both numbers with the larger scale.
    fn aligned(self, other: Decimal) -> Option<(i128, i128, i32)> {
        let scale = self.scale.max(other.scale);
        let widen = |d: Decimal| d.mantissa.checked_mul(10i128.checked_pow((scale - d.scale) as u32)?);
        Some((widen(self)?, widen(other)?, scale))
    }

    fn add(self, other: Decimal) -> Option<Decimal> {
        let (a, b, scale) = self.aligned(other)?;
        Some(Decimal { mantissa: a.checked_add(b)?, scale })
    }

    fn sub(self, other: Decimal) -> Option<Decimal> {
        let (a, b, scale) = self.aligned(other)?;
        Some(Decimal { mantissa: a.checked_sub(b)?, scale })
    }

    fn mul(self, other: Decimal) -> Option<Decimal> {
        Some(Decimal { mantissa: self.mantissa.checked_mul(other.mantissa)?, scale: self.scale + other.scale })
    }

    /// `Div`: the quotient rounded half away from zero to 16 digits after the point.
    fn div(self, other: Decimal) -> Option<Decimal> {
        if other.mantissa == 0 {
            return None;
        }
        // self/other = (a / b) × 10^(other.scale - self.scale); scale the dividend so the
        // integer quotient has DIVISION_PRECISION digits after the point.
        let shift = DIVISION_PRECISION + other.scale - self.scale;
        let (dividend, divisor) = if shift >= 0 {
            (self.mantissa.checked_mul(10i128.checked_pow(shift as u32)?)?, other.mantissa)
        } else {
            (self.mantissa, other.mantissa.checked_mul(10i128.checked_pow((-shift) as u32)?)?)
        };
        let (quotient, remainder) = (dividend / divisor, dividend % divisor);
        let away = if remainder.checked_mul(2)?.abs() >= divisor.abs() { quotient.signum().max(1) } else { 0 };
        let negative = (dividend < 0) != (divisor < 0);
        let rounded = if away != 0 { quotient + if negative { -1 } else { 1 } } else { quotient };
        Some(Decimal { mantissa: rounded, scale: DIVISION_PRECISION })
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Operation {
    Add,
    Sub,
    Mul,
    Div,
}

impl Operation {
    fn exact(self, a: Decimal, b: Decimal) -> Option<Decimal> {
        match self {
            Operation::Add => a.add(b),
            Operation::Sub => a.sub(b),
            Operation::Mul => a.mul(b),
            Operation::Div => a.div(b),
        }
    }

    fn float(self, a: f64, b: f64) -> f64 {
        match self {
            Operation::Add => a + b,
            Operation::Sub => a - b,
            Operation::Mul => a * b,
            Operation::Div => a / b,
        }
    }
}

/// Sprig's `execDecimalOp`: `first` combined with each of `rest` in decimal arithmetic, the
/// result back as a float64. Beyond what 128 bits hold, float arithmetic stands in.
fn decimal_fold(first: &Value, rest: &[Value], operation: Operation) -> Result<Value, String> {
    let mut total = to_float(first);
    let mut exact = Decimal::from_float(total);
    for value in rest {
        let operand = to_float(value);
        if operation == Operation::Div && operand == 0.0 {
            return Err("decimal division by 0".into());
        }
        exact = exact.zip(Decimal::from_float(operand)).and_then(|(a, b)| operation.exact(a, b));
        total = match exact {
            Some(decimal) => decimal.to_float(),
            None => operation.float(total, operand),
        };
    }
    Ok(Value::Float(total))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::gotemplate::Value;

    #[test]
    fn arithmetic_as_helm_renders_it() {
        check("add", &[i(1), f(2.9), s("3")], "6");
        check("add", &[], "0");
        check("add1", &[f(1.9)], "2");
        check("sub", &[s("10"), i(3)], "7");
        check("mul", &[i(2), s("0x10"), f(1.5)], "32");
        check("div", &[i(7), i(2)], "3");
        check("div", &[i(-7), i(2)], "-3");
        check("mod", &[i(-7), i(2)], "-1");
        check("max", &[i(1), f(5.5), s("3")], "5");
        check("min", &[i(1), f(-5.5), s("3")], "-5");
        check("maxf", &[i(1), f(5.5), s("3")], "5.5");
        check("minf", &[i(1), f(-5.5)], "-5.5");
        check("floor", &[s("1.7")], "1");
        check("ceil", &[f(1.2)], "2");
        check("round", &[f(123.5555), i(3)], "123.556");
        check("round", &[f(123.5), i(0), f(0.6)], "123");
        check("addf", &[f(0.1), f(0.2)], "0.3");
        check("add1f", &[f(0.1)], "1.1");
        check("subf", &[f(1.5), i(1), f(0.2)], "0.3");
        check("mulf", &[f(1.1), i(3)], "3.3");
        check("divf", &[i(10), i(3)], "3.3333333333333335");
        check("divf", &[i(2), i(3)], "0.6666666666666667");
        check("divf", &[i(1), i(4)], "0.25");
    }

    #[test]
    fn conversions_as_cast_does_them() {
        for (value, expected) in [
            (s("42"), "42"),
            (s("3.0"), "3"),
            (s("3.5"), "0"),
            (s("0x1F"), "31"),
            (s("010"), "8"),
            (s("1_000"), "1000"),
            (s("0x_1F"), "31"),
            (s("-12"), "-12"),
            (s("abc"), "0"),
            (f(3.99), "3"),
            (f(-3.99), "-3"),
            (Value::Bool(true), "1"),
            (Value::Nil, "0"),
            (l(&[i(1)]), "0"),
        ] {
            check("int", std::slice::from_ref(&value), expected);
            check("int64", &[value], expected);
        }
        check("float64", &[s("1.5")], "1.5");
        check("float64", &[s("x")], "0");
        check("float64", &[i(3)], "3");
        check("atoi", &[s("12")], "12");
        check("atoi", &[s("1.5")], "0");
        check("toDecimal", &[s("0777")], "511");
        check("toDecimal", &[f(777.0)], "511");
        check("toDecimal", &[s("8")], "0");
    }

    #[test]
    fn arithmetic_fails_where_go_does() {
        fails("div", &[i(1), i(0)], "integer divide by zero");
        fails("divf", &[i(1), i(0)], "decimal division by 0");
        fails("atoi", &[i(1)], "expected string; got int");
        fails("round", &[f(1.5), f(1.0)], "expected int; got float64");
    }
}
