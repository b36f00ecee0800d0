//! Where an execution error happened, as Go says it: `NAME:LINE:COL` and the text of the node
//! being evaluated (`<.Values.a.b>`). Go remembers the last node it evaluated; the executor
//! remembers the kind and offset of that node (cheap on every step) and the text is rebuilt
//! from the tree only when an error is reported.

use gotmpl::parse::{BranchNode, CommandNode, Expr, ListNode, Node, Number, PipeNode, TemplateNode};

use super::{quoted, Template};

/// The node Go's `state.at` last marked.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) struct At {
    pub kind: Kind,
    /// gotmpl's byte offset of the node.
    pub offset: usize,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Kind {
    Nothing,
    /// An argument: `Expr` of this discriminant (a chain and its head share an offset).
    Expr(ExprKind),
    Command,
    Pipe,
    Action,
    Branch,
    Template,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum ExprKind {
    Dot,
    Field,
    Variable,
    Identifier,
    String,
    Number,
    Bool,
    Nil,
    Pipe,
    Chain,
}

impl At {
    pub const NOTHING: At = At { kind: Kind::Nothing, offset: 0 };

    pub fn expr(expr: &Expr) -> At {
        let kind = match expr {
            Expr::Dot(_) => ExprKind::Dot,
            Expr::Field(..) => ExprKind::Field,
            Expr::Variable(..) => ExprKind::Variable,
            Expr::Identifier(..) => ExprKind::Identifier,
            Expr::String(..) => ExprKind::String,
            Expr::Number(..) => ExprKind::Number,
            Expr::Bool(..) => ExprKind::Bool,
            Expr::Nil(_) => ExprKind::Nil,
            Expr::Pipe(..) => ExprKind::Pipe,
            Expr::Chain(..) => ExprKind::Chain,
        };
        At { kind: Kind::Expr(kind), offset: expr.pos().offset }
    }
}

/// `template: NAME:LINE:COL: executing "NAME" at <CONTEXT>: MESSAGE`, or without a node
/// `template: NAME: MESSAGE`.
pub(super) fn describe(template: &Template, at: At, message: &str) -> String {
    let Some((offset, text)) = find_list(template, &template.body, at) else {
        return format!("template: {}: {message}", template.name);
    };
    let (line, column) = line_column(&template.source, offset);
    format!(
        "template: {}:{line}:{column}: executing {} at <{text}>: {message}",
        template.parse_name,
        quoted(&template.name)
    )
}

/// Go's ErrorContext: a 1-based line and the byte offset within it.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = 1 + before.matches('\n').count();
    let column = match before.rfind('\n') {
        Some(newline) => offset - (newline + 1),
        None => offset,
    };
    (line, column)
}

/// The node `at` marks, found in `list`: Go's position for it and its text.
fn find_list(template: &Template, list: &ListNode, at: At) -> Option<(usize, String)> {
    list.nodes.iter().find_map(|node| find_node(template, node, at))
}

fn find_node(template: &Template, node: &Node, at: At) -> Option<(usize, String)> {
    match node {
        Node::List(list) => find_list(template, list, at),
        Node::Action(action) => {
            if at.kind == Kind::Action && action.pos.offset == at.offset {
                return Some((at.offset, format!("{{{{{}}}}}", pipe_text(template, &action.pipe))));
            }
            find_pipe(template, &action.pipe, at)
        }
        Node::If(branch) | Node::With(branch) | Node::Range(branch) => find_branch(template, branch, at),
        Node::Template(call) => {
            if at.kind == Kind::Template && call.pos.offset == at.offset {
                return Some((template_name_offset(template, call), template_text(template, call)));
            }
            call.pipe.as_ref().and_then(|pipe| find_pipe(template, pipe, at))
        }
        Node::Define(define) => find_list(template, &define.body, at),
        Node::Text(_) | Node::Break(_) | Node::Continue(_) => None,
    }
}

fn find_branch(template: &Template, branch: &BranchNode, at: At) -> Option<(usize, String)> {
    if at.kind == Kind::Branch && branch.pos.offset == at.offset {
        return Some((at.offset, pipe_text(template, &branch.pipe)));
    }
    find_pipe(template, &branch.pipe, at)
        .or_else(|| find_list(template, &branch.body, at))
        .or_else(|| branch.else_body.as_ref().and_then(|list| find_list(template, list, at)))
}

fn find_pipe(template: &Template, pipe: &PipeNode, at: At) -> Option<(usize, String)> {
    if at.kind == Kind::Pipe && pipe.pos.offset == at.offset {
        return Some((at.offset, pipe_text(template, pipe)));
    }
    pipe.commands.iter().find_map(|command| {
        if at.kind == Kind::Command && command.pos.offset == at.offset {
            return Some((at.offset, command_text(template, command)));
        }
        command.args.iter().find_map(|arg| find_expr(template, arg, at))
    })
}

fn find_expr(template: &Template, expr: &Expr, at: At) -> Option<(usize, String)> {
    if At::expr(expr) == at {
        return Some((go_offset(template, expr), expr_text(template, expr)));
    }
    match expr {
        Expr::Pipe(_, pipe) => find_pipe(template, pipe, at),
        Expr::Chain(_, inner, _) => find_expr(template, inner, at),
        _ => None,
    }
}

/// Go's position of an expression where it differs from gotmpl's: a field chain is where its
/// second field starts (Go's parser builds it as a chain), a chain where its fields start.
fn go_offset(template: &Template, expr: &Expr) -> usize {
    let offset = expr.pos().offset;
    match expr {
        Expr::Field(_, fields) if fields.len() > 1 => offset + 1 + fields[0].len(),
        Expr::Variable(_, name, fields) if !fields.is_empty() => offset + name.len(),
        Expr::Chain(_, inner, _) => match inner.as_ref() {
            Expr::Identifier(_, name) => offset + name.len(),
            _ => closing_paren(&template.source, offset).map_or(offset, |close| close + 1),
        },
        _ => offset,
    }
}

/// The `)` matching the `(` at `open`, skipping quoted text.
fn closing_paren(source: &str, open: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            quote @ (b'"' | b'`' | b'\'') => i = literal_end(bytes, i, quote)?.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The offset just past the quoted literal starting at `start`.
fn literal_end(bytes: &[u8], start: usize, quote: u8) -> Option<usize> {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 1,
            b if b == quote => return Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Go's TemplateNode position: its name's.
fn template_name_offset(template: &Template, call: &TemplateNode) -> usize {
    let rest = &template.source[call.pos.offset.min(template.source.len())..];
    let keyword = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
    let spaces = rest[keyword..].bytes().take_while(u8::is_ascii_whitespace).count();
    call.pos.offset + keyword + spaces
}

fn template_text(template: &Template, call: &TemplateNode) -> String {
    match &call.pipe {
        Some(pipe) => format!("{{{{template {} {}}}}}", quoted(&call.name), pipe_text(template, pipe)),
        None => format!("{{{{template {}}}}}", quoted(&call.name)),
    }
}

pub(super) fn pipe_text(template: &Template, pipe: &PipeNode) -> String {
    let mut text = String::new();
    if !pipe.decl.is_empty() {
        text.push_str(&pipe.decl.join(", "));
        text.push_str(if pipe.is_assign { " = " } else { " := " });
    }
    let commands: Vec<String> = pipe.commands.iter().map(|command| command_text(template, command)).collect();
    text.push_str(&commands.join(" | "));
    text
}

pub(super) fn command_text(template: &Template, command: &CommandNode) -> String {
    let args: Vec<String> = command.args.iter().map(|arg| expr_text(template, arg)).collect();
    args.join(" ")
}

/// Go's `Node.String()` of an expression.
pub(super) fn expr_text(template: &Template, expr: &Expr) -> String {
    match expr {
        Expr::Dot(_) => ".".into(),
        Expr::Field(_, fields) => fields.iter().map(|field| format!(".{field}")).collect(),
        Expr::Variable(_, name, fields) => {
            let mut text = name.to_string();
            for field in fields {
                text.push('.');
                text.push_str(field);
            }
            text
        }
        Expr::Identifier(_, name) => name.to_string(),
        Expr::String(pos, value) => literal_text(&template.source, pos.offset).unwrap_or_else(|| quoted(value)),
        Expr::Number(pos, number) => number_text(&template.source, pos.offset).unwrap_or_else(|| match number {
            Number::Int(n) => n.to_string(),
            Number::Uint(n) => n.to_string(),
            Number::Float(f) => f.to_string(),
        }),
        Expr::Bool(_, b) => b.to_string(),
        Expr::Nil(_) => "nil".into(),
        Expr::Pipe(_, pipe) => format!("({})", pipe_text(template, pipe)),
        Expr::Chain(_, inner, fields) => {
            let mut text = expr_text(template, inner);
            for field in fields {
                text.push('.');
                text.push_str(field);
            }
            text
        }
    }
}

/// A string literal as written (`"a\"b"`, `` `raw` ``).
fn literal_text(source: &str, offset: usize) -> Option<String> {
    let bytes = source.as_bytes();
    let quote = *bytes.get(offset)?;
    if quote != b'"' && quote != b'`' {
        return None;
    }
    let end = literal_end(bytes, offset, quote)?;
    Some(source[offset..end].to_string())
}

/// A number literal as written (`1e6`, `0x1F`, `'a'`).
pub(super) fn number_text(source: &str, offset: usize) -> Option<String> {
    let bytes = source.as_bytes();
    if *bytes.get(offset)? == b'\'' {
        let end = literal_end(bytes, offset, b'\'')?;
        return Some(source[offset..end].to_string());
    }
    let mut end = offset;
    while end < bytes.len() {
        let b = bytes[end];
        let sign_after_exponent =
            matches!(b, b'+' | b'-') && (end == offset || matches!(bytes[end - 1], b'e' | b'E' | b'p' | b'P'));
        if !(b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || sign_after_exponent) {
            break;
        }
        end += 1;
    }
    (end > offset).then(|| source[offset..end].to_string())
}
