//! Sprig's clock against the real helm: Go's layouts formatted and parsed, zones, durations and
//! the methods of a `time.Time`, on fixed times (parsed by `toDate`), rendered by `helm template`
//! and by the native engine's executor, which must print the same text. What reads the wall
//! clock (`now`, `ago`) cannot match exactly: its shape must.
//!
//! helm runs with an empty environment, as hldc runs it (src/process.rs), so both read the
//! machine's /etc/localtime as `Local`.

mod common;

use common::oracle::{assert_cases_agree, cases_template, helm_template, sprig_execute, unlike_failure, write_chart};

const VALUES: &str = "two: 2\ns: hello\n";

/// A time in May, and one in January: zones with daylight saving time differ between them.
const MAY: &str = r#"(toDate "2006-01-02 15:04:05.000" "2024-05-01 10:20:30.250")"#;
const JANUARY: &str = r#"(toDate "2006-01-02T15:04:05Z07:00" "2025-01-15T23:59:59-08:00")"#;

fn cases() -> Vec<String> {
    let mut cases: Vec<String> = [
        // Layouts, formatted.
        "date \"2006-01-02T15:04:05Z07:00\" MAY",
        "date \"Mon Jan _2 15:04:05 MST 2006\" MAY",
        "date \"Monday, 02-Jan-06 03:04:05.000 PM -0700\" MAY",
        "date \"January 2, 2006 3:4:5 pm .999 ,000000\" MAY",
        "date \"__2 002 _2 2 1 01 06 2006\" JANUARY",
        "date \"15:04:05.999999999 -07 -07:00:00 Z070000 Z07\" JANUARY",
        "date \"20060102150405\" MAY",
        "date \"_2006 Janx Monx MSTx\" MAY",
        "htmlDate MAY",
        // Zones.
        "dateInZone \"2006-01-02 15:04:05 MST -0700\" MAY \"America/New_York\"",
        "dateInZone \"2006-01-02 15:04:05 MST -0700\" JANUARY \"America/New_York\"",
        "dateInZone \"2006-01-02 15:04 MST Z07:00\" MAY \"Asia/Kolkata\"",
        "dateInZone \"15:04 MST\" MAY \"Europe/London\"",
        "date_in_zone \"15:04 MST\" JANUARY \"Australia/Lord_Howe\"",
        "dateInZone \"15:04 MST\" MAY \"UTC\"",
        "dateInZone \"15:04 MST\" MAY \"\"",
        "dateInZone \"15:04 MST\" MAY \"Not/AZone\"",
        "dateInZone \"15:04 MST\" MAY \"america/new_york\"",
        "dateInZone \"15:04 MST\" MAY \"../etc/localtime\"",
        "htmlDateInZone JANUARY \"Asia/Tokyo\"",
        // Integers are Unix seconds.
        "date \"2006-01-02 15:04:05\" 1700000000",
        "htmlDateInZone 86399 \"Pacific/Kiritimati\"",
        // Times as Go prints them.
        "MAY",
        "JANUARY",
        "JANUARY.UTC",
        "(toDate \"02 Jan 06 15:04 MST\" \"01 May 24 10:20 PDT\")",
        "(toDate \"2006-01-02 MST\" \"2024-05-01 GMT+3\")",
        "(toDate \"Jan _2 06 3:04PM\" \"feb  9 99 12:30AM\")",
        "(toDate \"2006 002\" \"2024 060\")",
        "(toDate \"2006-01-02 15:04:05\" \"2024-05-01 10:20:30,123456789999\")",
        "(toDate \"2006-01-02\" \"2024-02-30\")",
        "(toDate \"2006-01-02\" \"garbage\")",
        "mustToJson MAY",
        // Methods.
        "MAY.Unix",
        "MAY.UnixMilli",
        "MAY.UnixNano",
        "MAY.Year",
        "MAY.YearDay",
        "MAY.Day",
        "MAY.Hour",
        "MAY.Minute",
        "MAY.Second",
        "MAY.Nanosecond",
        "MAY.IsZero",
        "(toDate \"2006\" \"x\").IsZero",
        "MAY.Format \"Jan 2, 2006 at 3:04pm (MST)\"",
        "MAY.String",
        "MAY.Add 5400000000000",
        "JANUARY.AddDate 0 1 14",
        "JANUARY.AddDate -1 -13 400",
        // Moving, durations.
        "dateModify \"-1.5h\" MAY",
        "date_modify \"36h0m0.5s\" JANUARY",
        "dateModify \"nonsense\" MAY",
        "mustDateModify \"+90m\" MAY",
        "unixEpoch MAY",
        "unixEpoch JANUARY",
        "duration \"95\"",
        "duration \"3723\"",
        "duration \"-61\"",
        "duration \"x\"",
        "duration (int64 86400)",
        "duration .Values.two",
        "durationRound \"2h10m\"",
        "durationRound \"-49h\"",
        "durationRound \"2400h\"",
        "durationRound \"9000h\"",
        "durationRound \"59s\"",
        "durationRound \"1s\"",
        "durationRound \"bogus\"",
        "durationRound (int64 90000000000)",
        "durationRound .Values.s",
    ]
    .iter()
    .map(|case| case.replace("MAY", MAY).replace("JANUARY", JANUARY))
    .collect();
    cases.sort();
    cases.dedup();
    cases
}

/// Expressions helm refuses: the native engine too, with the function's message.
const FAILING: &[&str] = &[
    r#"mustToDate "2006-01-02" "2024-13-01""#,
    r#"mustToDate "2006-01-02" "2024/05/01""#,
    r#"mustToDate "2006-01-02" "2024-05-01 extra""#,
    r#"mustDateModify "1x" (toDate "2006" "2024")"#,
    r#"mustDateModify "" (toDate "2006" "2024")"#,
];

/// Expressions Go's executor refuses before calling the function (an argument's type). Go
/// words a literal where a `time.Time` is declared `can't handle "x" for arg of type
/// time.Time`; the executor says `expected time.Time; found "x"`: both are errors.
const WRONG_TYPES: &[&str] = &[r#"dateModify "1h" "2024""#, r#"unixEpoch 5"#, r#"date 5 1700000000"#];

#[test]
fn the_clock_functions_render_fixed_times_as_helm_renders_them() {
    let cases = cases();
    let dir = tempfile::tempdir().unwrap();
    let template = cases_template(&cases);
    write_chart(dir.path(), VALUES, &template);
    let helm = helm_template(dir.path()).unwrap_or_else(|error| panic!("helm failed: {error}"));
    let native = sprig_execute(VALUES, &template).unwrap_or_else(|error| panic!("native failed: {error}"));
    assert_cases_agree(&cases, &helm, &native);
}

#[test]
fn the_clock_functions_fail_where_helm_fails() {
    let mut wrong = Vec::new();
    for (expression, same_message) in FAILING.iter().map(|e| (e, true)).chain(WRONG_TYPES.iter().map(|e| (e, false))) {
        let dir = tempfile::tempdir().unwrap();
        let template = format!("a: {{{{ {expression} }}}}\n");
        write_chart(dir.path(), VALUES, &template);
        wrong.extend(unlike_failure(
            expression,
            same_message,
            helm_template(dir.path()),
            sprig_execute(VALUES, &template),
        ));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `now` and `ago` read the wall clock: the same shape, within the same minute.
#[test]
fn the_wall_clock_reads_as_helm_reads_it() {
    let template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: oracle\ndata:\n  now: {{ now | toString | quote }}\n  ago: {{ ago (dateModify \"-90s\" now) | quote }}\n  year: {{ now | date \"2006-01-02 15:04 MST\" | quote }}\n  epoch: {{ now | unixEpoch | quote }}\n";
    let dir = tempfile::tempdir().unwrap();
    write_chart(dir.path(), VALUES, template);
    let helm = helm_template(dir.path()).unwrap_or_else(|error| panic!("helm failed: {error}"));
    let native = sprig_execute(VALUES, template).unwrap_or_else(|error| panic!("native failed: {error}"));
    let field = |text: &str, key: &str| -> String {
        let line = text.lines().find(|line| line.trim_start().starts_with(&format!("{key}:"))).unwrap();
        line.split_once(": ").unwrap().1.trim_matches('"').to_string()
    };
    let shape =
        regex::Regex::new(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? [+-]\d{4} [A-Z+\-0-9]+ m=\+\d+\.\d{9}$")
            .unwrap();
    for text in [&helm, &native] {
        assert!(shape.is_match(&field(text, "now")), "{text}");
        assert_eq!(field(text, "ago"), "1m30s", "{text}");
    }
    let epoch = |text: &str| field(text, "epoch").parse::<i64>().unwrap();
    assert!((epoch(&helm) - epoch(&native)).abs() < 60, "{helm}\n{native}");
    let minute = |text: &str| field(text, "year")[..10].to_string();
    assert_eq!(minute(&helm), minute(&native));
}
