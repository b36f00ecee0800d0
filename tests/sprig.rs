//! Sprig's functions against the real helm: every expression of the table is rendered by
//! `helm template` (one chart, one ConfigMap key per expression) and by the native engine's
//! template executor with hldc's Sprig functions, and the two texts must be equal. The
//! expressions that helm refuses must fail natively too.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use hldc::gotemplate::{sprig, TemplateSet, Value};

/// What `.Values` holds for every expression (decoded as Helm does: numbers are float64). Keys
/// avoid YAML 1.1's booleans (`n`, `no`, `y`...), which Helm's go-yaml v2 reads as `false`.
const VALUES: &str = "\
two: 2
f: 1.5
big: 1000000
s: hello
empty: \"\"
zero: 0
falsy: false
none: null
list: [b, a, c, a]
nums: [3, 1, 2]
map: {b: 2, a: 1}
nested: {outer: {inner: x, keep: dst}, flag: false, l: [1]}
other: {outer: {inner: yy, more: z}, flag: true, l: [2], extra: e}
version: v1.27.3-gke.100
";

/// Expressions whose result both renderers print (through `toString | b64enc`, so any text,
/// newlines included, fits one YAML line).
const CASES: &[&str] = &[
    // strings
    r#"trunc 3 .Values.s"#,
    r#"trunc -2 .Values.s"#,
    r#"substr 1 3 .Values.s"#,
    r#"abbrev 5 "hello world""#,
    r#"abbrevboth 5 10 "1234 5678 9123""#,
    r#"upper .Values.s"#,
    r#"title "hello wORLD-foo_bar baz""#,
    r#"untitle "Hello World""#,
    r#"repeat 3 "ab""#,
    r#"trimAll "$" "$$5.00$""#,
    r#"trim "  x y  ""#,
    r#"nospace " a b c ""#,
    r#"initials "John Doe""#,
    r#"swapcase "This Is A.Test""#,
    r#"wrap 5 "Hello World again""#,
    r#"wrapWith 5 "\t" "Hello World""#,
    r#"contains "ell" .Values.s"#,
    r#"hasPrefix "he" .Values.s"#,
    r#"quote .Values.s .Values.none 1 .Values.f"#,
    r#"squote .Values.s .Values.big"#,
    r#"quote "a\"b\\c\n\u00e9""#,
    r#"cat "a" .Values.none .Values.two .Values.list"#,
    r#"indent 2 "a\nb""#,
    r#"nindent 4 "a\nb""#,
    r#"replace "l" "L" .Values.s"#,
    r#"plural "one" "many" 2"#,
    r#"toString .Values.big"#,
    r#"toString .Values.f"#,
    r#"toString .Values.map"#,
    r#"split "$" "a$b$c""#,
    r#"splitn "$" 2 "a$b$c""#,
    r#"splitList "," "a,,b""#,
    r#"join "-" .Values.list"#,
    r#"join "-" .Values.nums"#,
    r#"toStrings .Values.nums"#,
    r#"sortAlpha .Values.list"#,
    r#"snakecase "HTTPServer_getURLFor2xx userID""#,
    r#"kebabcase "already-kebab__and  Spaces.Dots!Bang""#,
    r#"snakecase "ÉcoleNormale42ème""#,
    r#"snakecase "a$b+c""#,
    r#"camelcase "_http_server__URL-list me""#,
    r#"camelcase "ÉCOLE_normale""#,
    // lists
    r#"list 1 "a" .Values.f"#,
    r#"first .Values.list"#,
    r#"last .Values.list"#,
    r#"rest .Values.list"#,
    r#"initial .Values.list"#,
    r#"append .Values.list "z""#,
    r#"prepend .Values.list "z""#,
    r#"concat .Values.list .Values.nums"#,
    r#"reverse .Values.list"#,
    r#"uniq .Values.list"#,
    r#"without .Values.list "a""#,
    r#"has "a" .Values.list"#,
    r#"has 3 .Values.nums"#,
    r#"compact (list "a" "" 0 .Values.none "b")"#,
    r#"slice .Values.list 1 3"#,
    r#"slice .Values.list 2"#,
    r#"chunk 3 .Values.list"#,
    r#"until 4"#,
    r#"untilStep 1 10 3"#,
    r#"seq 5"#,
    r#"seq 5 -1 1"#,
    r#"rest (list)"#,
    r#"first (list)"#,
    // dicts
    r#"dict "a" 1 "b" .Values.f "c""#,
    r#"get .Values.map "a""#,
    r#"get .Values.map "zz""#,
    r#"set (dict "a" 1) "b" 2"#,
    r#"unset (dict "a" 1 "b" 2) "a""#,
    r#"hasKey .Values.map "a""#,
    r#"pluck "a" .Values.map (dict "a" 9) (dict "b" 1)"#,
    r#"keys .Values.map | sortAlpha"#,
    r#"values (dict "a" 1) "#,
    r#"pick .Values.map "a" "zz""#,
    r#"omit .Values.map "a""#,
    r#"merge (deepCopy .Values.nested) .Values.other"#,
    r#"mergeOverwrite (deepCopy .Values.nested) .Values.other"#,
    r#"merge (dict) (dict "a" .Values.none "b" 0)"#,
    r#"mergeOverwrite (dict "a" 1 "b" 2) (dict "a" .Values.none "b" 0)"#,
    r#"dig "outer" "inner" "dflt" .Values.nested"#,
    r#"dig "outer" "nope" "dflt" .Values.nested"#,
    r#"deepCopy .Values.map"#,
    // math
    r#"add 1 2 .Values.f"#,
    r#"add1 .Values.f"#,
    r#"sub 10 .Values.f"#,
    r#"mul 3 .Values.f "4""#,
    r#"div 7 .Values.two"#,
    r#"mod -7 .Values.two"#,
    r#"max 1 .Values.f 3"#,
    r#"min 1 .Values.f -3"#,
    r#"maxf 1 .Values.f"#,
    r#"minf 1 .Values.f"#,
    r#"floor .Values.f"#,
    r#"ceil .Values.f"#,
    r#"round 3.14159 2"#,
    r#"round 2.5 0"#,
    r#"addf 0.1 0.2"#,
    r#"subf 1.5 1 0.2"#,
    r#"mulf 1.1 3"#,
    r#"divf 2 3"#,
    r#"divf 10 3"#,
    r#"add1f 0.1"#,
    r#"int "0x1F""#,
    r#"int "010""#,
    r#"int "3.0""#,
    r#"int "3.5""#,
    r#"int64 .Values.f"#,
    r#"float64 "1.25""#,
    r#"atoi "42""#,
    r#"toDecimal "0777""#,
    r#"int .Values.big"#,
    // defaults and reflection
    r#"default "d" .Values.empty"#,
    r#"default "d" .Values.zero"#,
    r#"default "d" .Values.falsy"#,
    r#"default "d" .Values.none"#,
    r#"default "d" .Values.missing"#,
    r#"default "d" .Values.s"#,
    r#"empty .Values.map"#,
    r#"coalesce .Values.none .Values.empty .Values.s"#,
    r#"all 1 "a" .Values.zero"#,
    r#"any 0 "" .Values.s"#,
    r#"ternary "y" "n" true"#,
    r#"ternary "y" "n" .Values.falsy"#,
    r#"typeOf .Values.f"#,
    r#"typeOf .Values.list"#,
    r#"typeOf .Values.map"#,
    r#"typeOf 1"#,
    r#"kindOf .Values.map"#,
    r#"kindIs "slice" .Values.list"#,
    r#"typeIsLike "float64" .Values.two"#,
    r#"deepEqual .Values.map (dict "a" 1.0 "b" 2.0)"#,
    r#"deepEqual .Values.map (dict "a" 1 "b" 2)"#,
    r#"toPrettyJson .Values.nested"#,
    r#"toRawJson (dict "a" "<&>")"#,
    r#"mustToJson (list .Values.big 1e21 0.0000001)"#,
    r#"mustFromJson "{\"a\":[1,2]}""#,
    // encodings
    r#"b64enc .Values.s"#,
    r#"b64dec "aGVsbG8=""#,
    r#"b64dec "aGVsbG8""#,
    r#"b32enc .Values.s"#,
    r#"b32dec "NBSWY3DP""#,
    r#"sha1sum .Values.s"#,
    r#"sha256sum .Values.s"#,
    r#"adler32sum .Values.s"#,
    // regexes
    r#"regexMatch "^h.*o$" .Values.s"#,
    r#"regexFindAll "[a-c]" "abcabc" 4"#,
    r#"regexFindAll "a*" "baaab" -1"#,
    r#"regexFind "l+" .Values.s"#,
    r#"regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W""#,
    r#"regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W""#,
    r#"regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}""#,
    r#"regexSplit "z+" "pizza" -1"#,
    r#"regexSplit "" "abc" 2"#,
    r#"regexQuoteMeta "1.2+[x]""#,
    // semver
    r#"semverCompare ">=1.19-0" "v1.34.0""#,
    r#"semverCompare ">=1.19-0" .Values.version"#,
    r#"semverCompare ">=1.19" .Values.version"#,
    r#"semverCompare "<1.19-0" "v1.18.20-eks-123""#,
    r#"semverCompare "^1.2" "1.9.0""#,
    r#"semverCompare "~1.2" "1.3.0""#,
    r#"semverCompare "1.2.x" "1.2.7""#,
    r#"semverCompare ">1.2" "1.2.9""#,
    r#"semverCompare "1.2 - 1.4.5" "1.4.5""#,
    r#"semverCompare "<1.0 || >=3.0" "3.1.0""#,
    r#"semverCompare ">= 1.2.3-alpha.10" "1.2.3-alpha.beta""#,
    r#"semver "v1.2.3-rc.1+b5""#,
    r#"(semver "v1.2.3").Minor"#,
    // paths
    r#"base "/a/b.txt""#,
    r#"dir "/a/b/c""#,
    r#"clean "a//b/./../c/""#,
    r#"ext "a/b.tar.gz""#,
    r#"isAbs "/a""#,
    // edge cases
    r#"quote "nbsp\u00a0emoji\U0001F600tab\tbell\a del\x7f zw\u200b""#,
    r#"toString 123456789.0"#,
    r#"toString 0.00001"#,
    r#"toString -0.0"#,
    r#"toString (addf 1e20 1e20)"#,
    r#"toString 1e21"#,
    r#"b64dec "!!!!""#,
    r#"b64dec "aGVsbA==x""#,
    r#"b64dec "aGVsbA=""#,
    r#"b32dec "NBSWY3D""#,
    r#"b32dec "NBSWY3DP====""#,
    r#"b32enc "hello world!""#,
    r#"dict 1 2 .Values.f 3"#,
    r#"title "élan vital ßtraße""#,
    r#"nospace "a\u00a0b é c""#,
    r#"initials "élan Vital""#,
    r#"wrap 3 "a verylongword here""#,
    r#"wrapWith 3 "|" "a verylongword here""#,
    r#"abbrev 4 "héllo""#,
    r#"trunc 2 "héllo""#,
    r#"sortAlpha "single""#,
    r#"sortAlpha .Values.map"#,
    r#"toStrings .Values.map"#,
    r#"toStrings .Values.none"#,
    r#"join "," .Values.map"#,
    r#"join "," .Values.none"#,
    r#"until 0"#,
    r#"seq 2 5"#,
    r#"seq 5 2"#,
    r#"seq 0 2 7"#,
    r#"seq"#,
    r#"regexFindAll "a" "aaa" 0"#,
    r#"regexSplit "a" "banana" 0"#,
    r#"regexSplit "a" "banana" 2"#,
    r#"semverCompare "*" "1.2.3-alpha""#,
    r#"semverCompare ">=0.0.0-0" "1.2.3-alpha""#,
    r#"semverCompare "~1" "1.9.9""#,
    r#"semverCompare "1" "1.9.9""#,
    r#"semverCompare "!=1.2.x" "1.2.3""#,
    r#"semverCompare "<=1.2.x" "1.2.9""#,
    r#"semverCompare ">1.x" "2.0.0""#,
    r#"semverCompare "^0.0.3" "0.0.4""#,
    r#"semverCompare "^0" "0.9.0""#,
    r#"semverCompare "=1.2.3" "v1.2.3""#,
    r#"semverCompare ">=1.2.3,<2" "1.5.0""#,
    r#"semverCompare "1.2.3 - 2" "2.5.0""#,
    r#"semverCompare ">= 01.2" "1.3.0""#,
    r#"semver "01.02.03""#,
    r#"(semver "1.2.3-beta.1+exp").Prerelease"#,
    r#"(semver "v1.2").Original"#,
    r#"round -2.5 0"#,
    r#"round 1.005 2"#,
    r#"floor "abc""#,
    r#"int64 "1e3""#,
    r#"float64 "1e3""#,
    r#"float64 "inf""#,
    r#"atoi " 1""#,
    r#"atoi "+7""#,
    r#"toDecimal 777"#,
    r#"add1 "x""#,
    r#"div 7.9 2"#,
    r#"mod 7 -3"#,
    r#"addf "1.5" 2"#,
    r#"mulf 0.1 0.1"#,
    r#"subf 0.3 0.1"#,
    r#"divf 1 3"#,
    r#"divf 1e-10 3"#,
    r#"mulf 1e200 1e200"#,
    r#"int "0b101""#,
    r#"int "-0x10""#,
    r#"int "1_000""#,
    r#"int "٣""#,
    r#"int true"#,
    r#"default (list 1) .Values.empty"#,
    r#"coalesce"#,
    r#"empty .Values.none"#,
    r#"merge (dict "l" (list) "m" (dict) "s" "") (dict "l" (list 1) "m" (dict "x" 1) "s" "new")"#,
    r#"mergeOverwrite (dict "l" (list 1 2)) (dict "l" (list))"#,
    r#"merge (dict "a" (dict "b" 1)) (dict "a" "flat")"#,
    r#"mergeOverwrite (dict "a" (dict "b" 1)) (dict "a" "flat")"#,
    r#"merge (dict "a" "flat") (dict "a" (dict "b" 1))"#,
    r#"uniq (list (dict "a" 1) (dict "a" 1) 1 1.0)"#,
    r#"has (dict "a" 1) (list (dict "a" 1))"#,
    r#"without (list 1 2 1 3) 1"#,
    r#"chunk 2 (list)"#,
    r#"chunk -2 (list 1)"#,
    r#"chunk -1 (list 1 2)"#,
    r#"chunk 4 .Values.list"#,
    r#"concat"#,
    r#"compact (list)"#,
    r#"list"#,
    r#"tuple 1 2"#,
    r#"squote .Values.list"#,
    r#"quote .Values.map"#,
    r#"cat"#,
    r#"indent 0 "a\nb""#,
    r#"replace "" "-" "abc""#,
    r#"splitList "" """#,
    r#"split "" "ab""#,
    r#"splitn "," 0 "a,b""#,
    r#"splitn "," -1 "a,b""#,
    r#"trimAll "" "  a  ""#,
    r#"trimSuffix "" "a""#,
    r#"repeat 0 "a""#,
    r#"substr 0 -1 "hello""#,
    r#"plural "one" "many" 1"#,
    r#"kindOf 1.5"#,
    r#"kindOf true"#,
    r#"kindOf "s""#,
    r#"typeOf .Values.none"#,
    r#"typeOf (list)"#,
    r#"typeOf (semver "1.2.3")"#,
    r#"kindOf (semver "1.2.3")"#,
    r#"base "a/b/""#,
    r#"dir """#,
    r#"dir "/""#,
    r#"ext "a/b""#,
    r#"clean "/..""#,
    r#"isAbs "a""#,
    r#"regexMatch "\\d+" "١٢٣""#,
    r#"regexReplaceAll "\\W+" "é-a b" "_""#,
    r#"regexReplaceAll "[\\d\\s]" "a1 b\u00a0c" """#,
    r#"regexFindAll "\\bé|\\ba" "é a" -1"#,
    r#"regexReplaceAll "(?P<first>\\w+) (\\w+)" "hello world" "${2} $first $$""#,
    r#"regexReplaceAll "x" "axbxc" "$""#,
    r#"regexReplaceAll "a" "aaa" "${""#,
    r#"regexQuoteMeta "a-b#c d""#,
    r#"sha512sum "abc""#,
    r#"adler32sum """#,
    r#"semverCompare ">=1.14.0-0" "v1.27.3""#,
    r#"semverCompare ">=1.14.0-0" "v1.16.15-gke.4901""#,
    r#"semverCompare ">=1.14.0-0" "v1.19.0-rc.1""#,
    r#"semverCompare ">=1.14.0-0" "v1.8.2""#,
    r#"semverCompare ">=1.14.0-0" "1.15.0""#,
    r#"semverCompare ">=1.14.0-0" "0.9.0-beta.2""#,
    r#"semverCompare "<9.9.9-9" "v1.27.3""#,
    r#"semverCompare "<9.9.9-9" "v1.16.15-gke.4901""#,
    r#"semverCompare "<9.9.9-9" "v1.19.0-rc.1""#,
    r#"semverCompare "<9.9.9-9" "v1.8.2""#,
    r#"semverCompare "<9.9.9-9" "1.15.0""#,
    r#"semverCompare "<9.9.9-9" "0.9.0-beta.2""#,
    r#"semverCompare "<1.14-0" "v1.27.3""#,
    r#"semverCompare "<1.14-0" "v1.16.15-gke.4901""#,
    r#"semverCompare "<1.14-0" "v1.19.0-rc.1""#,
    r#"semverCompare "<1.14-0" "v1.8.2""#,
    r#"semverCompare "<1.14-0" "1.15.0""#,
    r#"semverCompare "<1.14-0" "0.9.0-beta.2""#,
    r#"semverCompare ">=0.9.0-beta.1" "v1.27.3""#,
    r#"semverCompare ">=0.9.0-beta.1" "v1.16.15-gke.4901""#,
    r#"semverCompare ">=0.9.0-beta.1" "v1.19.0-rc.1""#,
    r#"semverCompare ">=0.9.0-beta.1" "v1.8.2""#,
    r#"semverCompare ">=0.9.0-beta.1" "1.15.0""#,
    r#"semverCompare ">=0.9.0-beta.1" "0.9.0-beta.2""#,
    r#"semverCompare "^1.9-0" "v1.27.3""#,
    r#"semverCompare "^1.9-0" "v1.16.15-gke.4901""#,
    r#"semverCompare "^1.9-0" "v1.19.0-rc.1""#,
    r#"semverCompare "^1.9-0" "v1.8.2""#,
    r#"semverCompare "^1.9-0" "1.15.0""#,
    r#"semverCompare "^1.9-0" "0.9.0-beta.2""#,
    r#"semverCompare ">=1.4-0, <1.7-0" "v1.27.3""#,
    r#"semverCompare ">=1.4-0, <1.7-0" "v1.16.15-gke.4901""#,
    r#"semverCompare ">=1.4-0, <1.7-0" "v1.19.0-rc.1""#,
    r#"semverCompare ">=1.4-0, <1.7-0" "v1.8.2""#,
    r#"semverCompare ">=1.4-0, <1.7-0" "1.15.0""#,
    r#"semverCompare ">=1.4-0, <1.7-0" "0.9.0-beta.2""#,
    r#"semverCompare "> 1.15.0-0" "v1.27.3""#,
    r#"semverCompare "> 1.15.0-0" "v1.16.15-gke.4901""#,
    r#"semverCompare "> 1.15.0-0" "v1.19.0-rc.1""#,
    r#"semverCompare "> 1.15.0-0" "v1.8.2""#,
    r#"semverCompare "> 1.15.0-0" "1.15.0""#,
    r#"semverCompare "> 1.15.0-0" "0.9.0-beta.2""#,
    r#"semverCompare "^1.15-0" "v1.27.3""#,
    r#"semverCompare "^1.15-0" "v1.16.15-gke.4901""#,
    r#"semverCompare "^1.15-0" "v1.19.0-rc.1""#,
    r#"semverCompare "^1.15-0" "v1.8.2""#,
    r#"semverCompare "^1.15-0" "1.15.0""#,
    r#"semverCompare "^1.15-0" "0.9.0-beta.2""#,
    r#"mustRegexMatch "^[\\w-\\.]+$" "a-b.c""#,
    r#"regexFind "-r\\d+$|sha256:" "1.2.3-r12""#,
    r#"regexFind "[0-9]*.[0-9]*" "v10.3.1" | float64"#,
    r#"regexMatch "^([a-z]([a-z0-9\\-]{0,38}[a-z0-9])?)$" "my-name""#,
    r#"typeIs "map[string]interface {}" .Values.map"#,
    r#"typeIs "string" .Values.s"#,
];

/// Expressions helm refuses: they must fail natively too; where the flag is set, with the
/// function's own message (`error calling div: runtime error: integer divide by zero`). The
/// others are argument errors, which Go reports at the argument (`at <.Values.two>: wrong type
/// for value; expected int; got float64`, `expected string; found 1` for a constant) and the
/// executor at the call; or Helm rewrites the message (`fail`); or the regex crate words a
/// parse error its own way.
const FAILING: &[(&str, bool)] = &[
    (r#"trunc .Values.two "hello""#, false),
    (r#"indent 2"#, false),
    (r#"upper 1"#, false),
    (r#"first "abc""#, true),
    (r#"append .Values.map 1"#, true),
    (r#"ternary 1 2 "true""#, false),
    (r#"set .Values.none "a" 1"#, false),
    (r#"get .Values.missing "a""#, false),
    (r#"hasKey .Values.none "a""#, false),
    (r#"keys .Values.missing"#, false),
    (r#"merge .Values.missing (dict)"#, false),
    (r#"upper .Values.none"#, false),
    (r#"div 1 0"#, true),
    (r#"regexFind "(" "x""#, false),
    (r#"semverCompare ">=1.2" "latest""#, true),
    (r#"semverCompare "foo" "1.2.3""#, true),
    (r#"fail "stop here""#, false),
    (r#"dig "a" 1 "d" .Values.map"#, true),
    (r#"substr 4 2 "hello""#, true),
    (r#"chunk 0 (list 1)"#, true),
    (r#"chunk -1 (list 1 2 3)"#, true),
    (r#"slice (list 1 2) 1 5"#, true),
];

fn write_chart(dir: &Path, template: &str) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(dir.join("Chart.yaml"), "apiVersion: v2\nname: oracle\nversion: 0.1.0\n").unwrap();
    std::fs::write(dir.join("values.yaml"), VALUES).unwrap();
    std::fs::write(dir.join("templates/cases.yaml"), template).unwrap();
}

fn helm_template(dir: &Path) -> Result<String, String> {
    let output = Command::new(common::helm()).arg("template").arg(dir).output().expect("helm runs");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn native_template(template: &str) -> Result<String, String> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(VALUES).unwrap();
    let data = Value::map([("Values".to_string(), Value::from_yaml(&yaml))].into_iter().collect());
    let mut set = TemplateSet::new(sprig::functions());
    set.parse("cases", template).map_err(|error| error.message)?;
    set.execute("cases", &data).map_err(|error| error.message)
}

/// The ConfigMap both render: key `cN` holds expression N's text, base64-encoded.
fn cases_template() -> String {
    let mut template = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: oracle\ndata:\n");
    for (index, expression) in CASES.iter().enumerate() {
        writeln!(template, "  c{index}: {{{{ ({expression}) | toString | b64enc | quote }}}}").unwrap();
    }
    template
}

/// Expression number → its decoded text, from a rendered ConfigMap.
fn results(rendered: &str) -> Vec<(usize, String)> {
    rendered
        .lines()
        .filter_map(|line| {
            let (key, value) = line.trim().split_once(": ")?;
            let index = key.strip_prefix('c')?.parse().ok()?;
            let bytes = base64::engine::general_purpose::STANDARD.decode(value.trim_matches('"')).ok()?;
            Some((index, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect()
}

#[test]
fn sprig_functions_render_as_helm_renders_them() {
    let dir = tempfile::tempdir().unwrap();
    let template = cases_template();
    write_chart(dir.path(), &template);
    let helm = results(&helm_template(dir.path()).unwrap_or_else(|error| panic!("helm failed: {error}")));
    assert_eq!(helm.len(), CASES.len(), "helm rendered every case");
    let native = results(&native_template(&template).unwrap_or_else(|error| panic!("native failed: {error}")));
    let mut differences = Vec::new();
    for ((index, expected), (_, actual)) in helm.iter().zip(native.iter()) {
        if expected != actual {
            differences.push(format!("{}\n  helm:   {expected:?}\n  native: {actual:?}", CASES[*index]));
        }
    }
    assert!(differences.is_empty(), "{} of {} differ:\n{}", differences.len(), CASES.len(), differences.join("\n"));
}

#[test]
fn sprig_functions_fail_where_helm_fails() {
    let mut wrong = Vec::new();
    for (expression, same_message) in FAILING {
        let dir = tempfile::tempdir().unwrap();
        let template = format!("a: {{{{ {expression} }}}}\n");
        write_chart(dir.path(), &template);
        let helm = helm_template(dir.path());
        let native = native_template(&template);
        match (helm, native) {
            (Err(helm), Err(native)) => {
                let message =
                    helm.split_once("error calling ").map(|(_, rest)| rest.lines().next().unwrap_or_default());
                if *same_message && !message.is_some_and(|message| native.ends_with(message)) {
                    wrong.push(format!("{expression}: messages differ\n  helm:   {helm:?}\n  native: {native:?}"));
                }
            }
            (helm, native) => wrong.push(format!("{expression}\n  helm:   {helm:?}\n  native: {native:?}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
