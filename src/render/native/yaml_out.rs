//! YAML written as helm's `toYaml` writes it: sigs.k8s.io/yaml's Marshal, which goes
//! through JSON into go-yaml v2's emitter (YAML 1.1 quoting, block style, indentless
//! sequences, literal blocks for multi-line text, plain scalars folded past column 80).
//! The same emitter writes `toYamlPretty`'s go-yaml v3 (`Dialect::V3`; its quoting rule is in
//! yaml_pretty.rs).

use std::cmp::Ordering;

use crate::gotemplate::Value;

use super::yaml_in::{is_base60_float, is_special_float, is_timestamp, resolve_plain};

const BEST_WIDTH: usize = 80;

/// Which of helm's YAML writers: they share libyaml's emitter and differ where said.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Dialect {
    /// `toYaml`: through JSON into go-yaml v2.
    V2,
    /// `toYamlPretty`: go-yaml v3 on the Go values, `SetIndent(2)`: float64 as Go's `%g`
    /// (`1`, `1e+06`), sequences indented under their key, YAML 1.2 quoting, no folding.
    V3,
}

/// What a value is once through JSON and back into go-yaml v2 (or straight into v3).
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer float64, as JSON's text of it.
    Integer(String),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

fn node_of(value: &Value, depth: usize, dialect: Dialect) -> Node {
    if depth > 1000 {
        return Node::Null;
    }
    match value {
        Value::Nil => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Int(i) => Node::Int(*i),
        Value::Float(f) if dialect == Dialect::V3 => Node::Float(*f),
        Value::Float(f) => float_node(*f),
        Value::String(s) => Node::Str(s.to_string()),
        Value::List(items) => Node::Seq(items.iter().map(|item| node_of(item, depth + 1, dialect)).collect()),
        Value::Map(map) => {
            let mut entries: Vec<(String, Node)> =
                map.borrow().iter().map(|(k, v)| (k.clone(), node_of(v, depth + 1, dialect))).collect();
            entries.sort_by(|a, b| key_order(&a.0, &b.0, dialect));
            Node::Map(entries)
        }
        // v3 reflects on the Go value: a named slice or map type is its elements (a []byte
        // its numbers); v2 gets what encoding/json writes (a []byte in base64).
        Value::Object(object) if dialect == Dialect::V3 => {
            node_of(&object.elements().unwrap_or_else(|| object.to_value()), depth + 1, dialect)
        }
        Value::Object(object) => node_of(&object.to_value(), depth + 1, dialect),
    }
}

/// A float64 as JSON writes it (shortest digits, `1e+21` and up in exponent form) and go-yaml
/// reads it back: integral text that fits an int64 or a uint64 becomes a YAML integer.
fn float_node(f: f64) -> Node {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        let text = crate::gotemplate::fmt::format_float(f, 'f', None);
        if text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok() {
            return Node::Integer(text);
        }
    }
    Node::Float(f)
}

/// go-yaml's key order (sorter.go): letters after other characters, digit runs by value; v3
/// puts a letter first where it follows a digit both keys share.
fn key_order(a: &str, b: &str, dialect: Dialect) -> Ordering {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let less = |x: bool| if x { Ordering::Less } else { Ordering::Greater };
    let mut after_digit = false;
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            after_digit = ar[i].is_numeric();
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            return less(if after_digit && dialect == Dialect::V3 { al } else { bl });
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if ar[i] == '0' || br[i] == '0' {
            for j in (0..i).rev() {
                if !ar[j].is_ascii_digit() {
                    break;
                }
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an.wrapping_mul(10).wrapping_add(ar[ai] as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn.wrapping_mul(10).wrapping_add(br[bi] as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

/// sigs.k8s.io/yaml's `Marshal` of the value: the text ends with a newline.
pub fn to_yaml(value: &Value) -> String {
    emit(value, Dialect::V2)
}

/// helm's `toYamlPretty`: go-yaml v3's encoder with `SetIndent(2)` on the template's Go values
/// (not through JSON, unlike `toYaml`); the text without its last newline.
pub fn to_yaml_pretty_function(arguments: &[Value]) -> Result<Value, String> {
    let [value] = arguments else {
        return Err(format!("wrong number of args for toYamlPretty: want 1 got {}", arguments.len()));
    };
    let text = emit(value, Dialect::V3);
    Ok(Value::string(text.strip_suffix('\n').unwrap_or(&text)))
}

/// The value's YAML document in `dialect`: the text ends with a newline.
fn emit(value: &Value, dialect: Dialect) -> String {
    let node = node_of(value, 0, dialect);
    let mut emitter = Emitter { out: String::new(), column: 0, dialect };
    match &node {
        Node::Map(entries) if !entries.is_empty() => emitter.map(entries, 0),
        Node::Seq(items) if !items.is_empty() => emitter.seq(items, 0),
        scalar => {
            emitter.scalar(scalar, 2, false);
            emitter.newline();
        }
    }
    emitter.out
}

struct Emitter {
    out: String,
    column: usize,
    dialect: Dialect,
}

impl Emitter {
    fn write(&mut self, text: &str) {
        for c in text.chars() {
            if c == '\n' {
                self.column = 0;
            } else {
                self.column += 1;
            }
        }
        self.out.push_str(text);
    }

    fn newline(&mut self) {
        self.write("\n");
    }

    fn indent_to(&mut self, indent: usize) {
        while self.column < indent {
            self.write(" ");
        }
    }

    /// A block mapping whose keys start at column `indent` (the first key where the cursor is).
    fn map(&mut self, entries: &[(String, Node)], indent: usize) {
        for (i, (key, value)) in entries.iter().enumerate() {
            if i > 0 {
                self.indent_to(indent);
            }
            if !is_simple_key(key) {
                // libyaml's complex key: `? KEY` (a block scalar if it likes), then `: VALUE`
                // placed as a sequence item's.
                self.write("? ");
                self.string(key, indent + 2, false);
                self.newline();
                self.indent_to(indent);
                self.write(": ");
                self.compact(value, indent + 2);
                continue;
            }
            self.string(key, indent + 2, true);
            self.write(":");
            match value {
                Node::Map(inner) if !inner.is_empty() => {
                    self.newline();
                    self.indent_to(indent + 2);
                    self.map(inner, indent + 2);
                }
                Node::Seq(items) if !items.is_empty() => {
                    // v2 writes a mapping's sequence indentless; v3 indents it.
                    let dashes = if self.dialect == Dialect::V3 { indent + 2 } else { indent };
                    self.newline();
                    self.indent_to(dashes);
                    self.seq(items, dashes);
                }
                scalar => {
                    self.write(" ");
                    self.scalar(scalar, indent + 2, false);
                    self.newline();
                }
            }
        }
    }

    /// A block sequence whose dashes are at column `indent`.
    fn seq(&mut self, items: &[Node], indent: usize) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.indent_to(indent);
            }
            self.write("- ");
            self.compact(item, indent + 2);
        }
    }

    /// A node after a two-column indicator (`- `, or `: ` after a complex key) whose content
    /// lines start at `indent`: a collection begins on the indicator's line.
    fn compact(&mut self, node: &Node, indent: usize) {
        match node {
            Node::Map(inner) if !inner.is_empty() => self.map(inner, indent),
            Node::Seq(inner) if !inner.is_empty() => self.seq(inner, indent),
            scalar => {
                self.scalar(scalar, indent, false);
                self.newline();
            }
        }
    }

    fn scalar(&mut self, node: &Node, indent: usize, key: bool) {
        match node {
            Node::Null => self.write("null"),
            Node::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Node::Int(i) => self.write(&i.to_string()),
            Node::Integer(text) => self.write(text),
            Node::Float(f) => self.write(&yaml_float(*f)),
            Node::Str(s) => self.string(s, indent, key),
            Node::Map(_) => self.write("{}"),
            Node::Seq(_) => self.write("[]"),
        }
    }

    /// A string in go-yaml v2's style: plain when it reads back as the same string, literal
    /// when multi-line, else single or double quotes.
    fn string(&mut self, text: &str, indent: usize, key: bool) {
        let analysis = analyze(text, self.dialect);
        let can_use_plain = match self.dialect {
            Dialect::V2 => {
                resolve_plain(text).is_none()
                    && !is_timestamp(text)
                    && !is_special_float(text)
                    && !is_base60_float(text)
                    && text != "<<"
            }
            Dialect::V3 => super::yaml_pretty::can_use_plain(text),
        };
        let style = if text.contains('\n') {
            if analysis.block_allowed && !key {
                Style::Literal
            } else {
                Style::Double
            }
        } else if can_use_plain {
            if !analysis.plain_allowed || (text.is_empty() && key) {
                if analysis.single_allowed {
                    Style::Single
                } else {
                    Style::Double
                }
            } else {
                Style::Plain
            }
        } else {
            Style::Double
        };
        match style {
            Style::Plain => self.folded(text, indent, !key, ""),
            Style::Single => {
                self.write("'");
                self.folded(&text.replace('\'', "''"), indent, !key, "'");
                self.write("'");
            }
            Style::Double => self.double_quoted(text, indent, !key),
            Style::Literal => self.literal(text, indent),
        }
    }

    /// A plain or single-quoted scalar: a space past column 80 followed by a non-space
    /// becomes a line break.
    fn folded(&mut self, text: &str, indent: usize, allow_breaks: bool, _quote: &str) {
        let allow_breaks = allow_breaks && self.dialect == Dialect::V2;
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        for (i, c) in chars.iter().enumerate() {
            if *c == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i + 1 != chars.len()
                    && !next_is_space
                {
                    self.newline();
                    self.indent_to(indent);
                } else {
                    self.write(" ");
                }
                spaces = true;
            } else {
                let mut buffer = [0u8; 4];
                self.write(c.encode_utf8(&mut buffer));
                spaces = false;
            }
        }
    }

    fn double_quoted(&mut self, text: &str, indent: usize, allow_breaks: bool) {
        let allow_breaks = allow_breaks && self.dialect == Dialect::V2;
        self.write("\"");
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        for (i, c) in chars.iter().enumerate() {
            let escaped = match c {
                '\0' => Some("\\0".to_string()),
                '\u{7}' => Some("\\a".into()),
                '\u{8}' => Some("\\b".into()),
                '\t' => Some("\\t".into()),
                '\n' => Some("\\n".into()),
                '\u{b}' => Some("\\v".into()),
                '\u{c}' => Some("\\f".into()),
                '\r' => Some("\\r".into()),
                '\u{1b}' => Some("\\e".into()),
                '"' => Some("\\\"".into()),
                '\\' => Some("\\\\".into()),
                '\u{85}' => Some("\\N".into()),
                '\u{a0}' => Some("\\_".into()),
                '\u{2028}' => Some("\\L".into()),
                '\u{2029}' => Some("\\P".into()),
                '\u{feff}' => Some("\\uFEFF".into()),
                c if !is_printable(*c) => Some(match *c as u32 {
                    n if n <= 0xFF => format!("\\x{n:02X}"),
                    n if n <= 0xFFFF => format!("\\u{n:04X}"),
                    n => format!("\\U{n:08X}"),
                }),
                _ => None,
            };
            if let Some(escaped) = escaped {
                self.write(&escaped);
                spaces = false;
            } else if *c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i != 0 && i + 1 != chars.len() {
                    self.newline();
                    self.indent_to(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.write("\\");
                    }
                } else {
                    self.write(" ");
                }
                spaces = true;
            } else {
                let mut buffer = [0u8; 4];
                self.write(c.encode_utf8(&mut buffer));
                spaces = false;
            }
        }
        self.write("\"");
    }

    fn literal(&mut self, text: &str, indent: usize) {
        self.write("|");
        if text.starts_with([' ', '\n']) {
            self.write("2");
        }
        let chomp = if !text.ends_with('\n') {
            "-"
        } else if text == "\n" || text[..text.len() - 1].ends_with('\n') {
            "+"
        } else {
            ""
        };
        self.write(chomp);
        self.newline();
        let mut at_line_start = true;
        for c in text.chars() {
            if c == '\n' {
                self.newline();
                at_line_start = true;
            } else {
                if at_line_start {
                    self.indent_to(indent);
                    at_line_start = false;
                }
                let mut buffer = [0u8; 4];
                self.write(c.encode_utf8(&mut buffer));
            }
        }
        // The emitter's next line break is the text's own last one.
        if text.ends_with('\n') && self.out.ends_with('\n') {
            self.out.pop();
            self.column = self.out.rsplit('\n').next().map_or(0, |line| line.chars().count());
        }
    }
}

/// libyaml's `check_simple_key` for a scalar: at most 128 bytes, on one line.
fn is_simple_key(text: &str) -> bool {
    text.len() <= 128 && !text.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'])
}

enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Analysis {
    plain_allowed: bool,
    single_allowed: bool,
    block_allowed: bool,
}

fn is_printable(c: char) -> bool {
    let n = c as u32;
    n == 0x0A
        || (0x20..=0x7E).contains(&n)
        || n == 0x85
        || (0xA0..=0xD7FF).contains(&n)
        || ((0xE000..=0xFFFD).contains(&n) && n != 0xFEFF)
        || (0x10000..=0x10FFFF).contains(&n)
}

fn is_blank_or_end(c: Option<&char>) -> bool {
    matches!(c, None | Some(' ') | Some('\t') | Some('\n') | Some('\r'))
}

/// libyaml's `yaml_emitter_analyze_scalar`, in a block context. go-yaml v3 counts a tab apart
/// from the other special characters: it rules out plain and single quotes, not a block.
fn analyze(text: &str, dialect: Dialect) -> Analysis {
    if text.is_empty() {
        return Analysis { plain_allowed: false, single_allowed: true, block_allowed: false };
    }
    let chars: Vec<char> = text.chars().collect();
    let mut block_indicators = text.starts_with("---") || text.starts_with("...");
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break, mut previous_space, mut previous_break) = (false, false, false, false);
    let (mut line_breaks, mut special, mut tabs) = (false, false, false);
    let mut preceded_by_whitespace = true;
    for (i, c) in chars.iter().enumerate() {
        let followed_by_whitespace = is_blank_or_end(chars.get(i + 1));
        let first = i == 0;
        let last = i + 1 == chars.len();
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`' => {
                    block_indicators = true
                }
                '?' | ':' if followed_by_whitespace => block_indicators = true,
                '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if *c == '\t' && dialect == Dialect::V3 {
            tabs = true;
        } else if !is_printable(*c) {
            special = true;
        }
        let is_break = matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
        if is_break {
            line_breaks = true;
        }
        if *c == ' ' {
            leading_space |= first;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break {
            leading_break |= first;
            trailing_break |= last;
            space_break |= previous_space;
            previous_break = true;
            previous_space = false;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = matches!(c, ' ' | '\t' | '\n' | '\r');
    }
    let mut analysis = Analysis { plain_allowed: true, single_allowed: true, block_allowed: true };
    if leading_space || leading_break || trailing_space || trailing_break {
        analysis.plain_allowed = false;
    }
    if trailing_space {
        analysis.block_allowed = false;
    }
    if break_space {
        analysis.plain_allowed = false;
        analysis.single_allowed = false;
    }
    if space_break || special {
        analysis = Analysis { plain_allowed: false, single_allowed: false, block_allowed: false };
    }
    if tabs {
        analysis.plain_allowed = false;
        analysis.single_allowed = false;
    }
    if line_breaks || block_indicators {
        analysis.plain_allowed = false;
    }
    analysis
}

fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf".into() } else { "-.inf".into() };
    }
    crate::gotemplate::fmt::format_float(f, 'g', None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> String {
        let json = crate::render::native::yaml_in::parse_json(text).unwrap();
        to_yaml(&Value::from_json(&json))
    }

    #[test]
    fn native_to_yaml_writes_as_go_yaml_v2() {
        assert_eq!(
            yaml("s: '3'\nt: 'a: b'\nu: ''\nv: \"x\\ny\"\nw: 1000000\nf: 1.5\nl: [1, 2]\ne: []\nm: {}\n\"y\": 'yes'\n\"n\": 'null'\n"),
            "e: []\nf: 1.5\nl:\n- 1\n- 2\nm: {}\n\"n\": \"null\"\ns: \"3\"\nt: 'a: b'\nu: \"\"\nv: |-\n  x\n  y\nw: 1000000\n\"y\": \"yes\"\n"
        );
        assert_eq!(yaml("a:\n- b: 1\n  c: [x]\n"), "a:\n- b: 1\n  c:\n  - x\n");
    }

    #[test]
    fn native_to_yaml_quotes_folds_and_nests_as_helm() {
        // Values and the text helm v4.1.4 printed for `{{ toYaml .Values }}` on them.
        let values = "long: 'aaa bbb ccc ddd eee fff ggg hhh iii jjj kkk lll mmm nnn ooo ppp qqq rrr sss ttt uuu: vvv www xxx yyy zzz aaa bbb ccc ddd eee fff ggg hhh iii jjj kkk lll'\ntab: \"a\\tb\"\nlead: \" x\"\ntrail: \"x \"\nmulti: \"line one  \\nline two\\n\"\nmultikeep: \"a\\n\\n\"\ndash: \"- x\"\nhash: \"#x\"\ninner: \"a #b\"\nat: \"@x\"\n\"on\": \"on\"\nexp: \"1e3\"\nhex: \"0x1F\"\nunder: \"1_000\"\nsixty: \"12:30\"\ntilde: \"~\"\nnul: \"null\"\ninf: \".inf\"\nempty: \"\"\nspace: \" \"\nnested:\n  - a: [1, [2, 3], {}]\n    b: {c: []}\n  - [x, {y: z}]\nuni: \"h\u{00e9}llo \u{2713}\"\ncolon: \"a:b\"\nq: \"it's\"\ndq: 'say \"hi\"'\nfloat: 1.5e-7\nbigint: 12345678901234567890\nneg: -3\n";
        let helm = "at: '@x'\nbigint: 12345678901234567000\ncolon: a:b\ndash: '- x'\ndq: say \"hi\"\nempty: \"\"\nexp: \"1e3\"\nfloat: 1.5e-07\nhash: '#x'\nhex: \"0x1F\"\ninf: \".inf\"\ninner: 'a #b'\nlead: ' x'\nlong: 'aaa bbb ccc ddd eee fff ggg hhh iii jjj kkk lll mmm nnn ooo ppp qqq rrr sss\n  ttt uuu: vvv www xxx yyy zzz aaa bbb ccc ddd eee fff ggg hhh iii jjj kkk lll'\nmulti: \"line one  \\nline two\\n\"\nmultikeep: |+\n  a\n\nneg: -3\nnested:\n- a:\n  - 1\n  - - 2\n    - 3\n  - {}\n  b:\n    c: []\n- - x\n  - \"true\": z\nnul: \"null\"\n\"on\": \"on\"\nq: it's\nsixty: \"12:30\"\nspace: ' '\ntab: \"a\\tb\"\ntilde: \"~\"\ntrail: 'x '\nunder: \"1_000\"\nuni: h\u{00e9}llo \u{2713}\n";
        assert_eq!(format!("{}\n", yaml(values).trim_end_matches('\n')), helm);
    }
}
