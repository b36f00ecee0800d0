//! The hldc command lines written in shell scripts and CI files, as the words a shell would pass.

use regex::Regex;

/// Every hldc invocation in `text`: a command word `hldc` at the start of a line (after YAML's
/// `- ` and a script key such as `run: `), after `exec`, `&&`, `||`, `;`, `|` or `$(`. Continuation lines are joined;
/// a command ends at an unquoted pipe, redirection, `&&`, `||`, `;` or `)`. CI expressions
/// (`${{ github.sha }}`, Azure's `$(Build.SourceVersion)`) become one word, `VALUE`; shell
/// variables stay as written. Comment lines are skipped.
pub fn hldc_command_lines(text: &str) -> Vec<Vec<String>> {
    let expression = Regex::new(r"\$\{\{[^}]*\}\}|\$\([A-Za-z_][A-Za-z0-9_.]*\)").unwrap();
    let start =
        Regex::new(r"(?:^(?:-\s+)?(?:(?:run|script|bash|inlineScript|command):\s+)?|&&\s*|\|\|\s*|;\s*|\|\s*|\$\(\s*|\bexec\s+)hldc\s+").unwrap();
    let joined = text.replace("\\\n", " ");
    let mut commands = Vec::new();
    for line in joined.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let line = expression.replace_all(line, "VALUE");
        for found in start.find_iter(&line) {
            commands.push(words(&line[found.end()..]));
        }
    }
    commands
}

/// Shell words up to the end of the command.
fn words(rest: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_default().push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (None, '|' | '>' | ';' | ')' | '<') => break,
            (None, '&') if chars.peek() == Some(&'&') => break,
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    // `2>` leaves its `2` behind.
    if words.last().is_some_and(|w| w == "2") && rest.contains("2>") {
        words.pop();
    }
    words
}
