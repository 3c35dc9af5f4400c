//! Diagnostics: one problem in a scenario file, located by byte span, rendered as
//! `file:line:col` with the offending line and a marker, plus a hint.

use std::fmt::Write as _;
use std::ops::Range;

/// How bad a problem is: errors stop a run, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Byte range in the source; `None` for problems of the whole file.
    pub span: Option<Range<usize>>,
    /// One precise sentence, lower-case, names in backticks, no final period.
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(span: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            span,
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(span: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            span,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// `(line, column)`, both from 1, of the start of the span (columns count characters).
    pub fn line_col(&self, source: &str) -> (usize, usize) {
        let offset = self
            .span
            .as_ref()
            .map_or(0, |span| span.start.min(source.len()));
        line_col(source, offset)
    }

    /// Renders the diagnostic for a terminal, without colour.
    pub fn render(&self, path: &str, source: &str) -> String {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = String::new();
        let (line, col) = self.line_col(source);
        let _ = writeln!(out, "{label}: {}", self.message);
        match self.span {
            Some(_) => {
                let _ = writeln!(out, "  --> {path}:{line}:{col}");
            }
            None => {
                let _ = writeln!(out, "  --> {path}");
            }
        }
        if let Some(span) = &self.span {
            let start = span.start.min(source.len());
            let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = source[start..]
                .find('\n')
                .map_or(source.len(), |i| start + i);
            let text: Vec<char> = source[line_start..line_end]
                .trim_end_matches('\r')
                .chars()
                .collect();
            let end = span.end.clamp(start, line_end);
            let width = source[start..end].chars().count().max(1);
            // Long lines are shown as a window around the span.
            let (first, prefix) = if col > 60 { (col - 41, "…") } else { (0, "") };
            let last = (first + 120).min(text.len());
            let suffix = if last < text.len() { "…" } else { "" };
            let shown: String = text[first.min(last)..last].iter().collect();
            let marker_col = col - 1 - first + prefix.chars().count();
            let width = width.min(last.saturating_sub(col - 1).max(1));
            let number = line.to_string();
            let pad = " ".repeat(number.len());
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{number} | {prefix}{shown}{suffix}");
            let _ = writeln!(
                out,
                "{pad} | {}{}",
                " ".repeat(marker_col),
                "^".repeat(width)
            );
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

/// `(line, column)` from 1 of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(source: &str, mut offset: usize) -> usize {
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(&word_lower, &candidate.to_lowercase());
        let limit = (candidate.chars().count().max(word.chars().count()) / 3).max(1);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Levenshtein distance in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    let mut current = vec![0; b_chars.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b_chars.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current[j + 1] = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b_chars.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(suggest("PRKK", ["PRK", "KOR", "USA"]), Some("PRK"));
        assert_eq!(
            suggest("agression", ["aggression", "name"]),
            Some("aggression")
        );
        assert_eq!(suggest("zzz", ["PRK", "KOR"]), None);
    }

    #[test]
    fn long_lines_are_windowed() {
        let source = format!("a = [{}]\n", "1, ".repeat(500));
        let offset = source.find(']').unwrap();
        let text = Diagnostic::error(Some(offset..offset + 1), "x").render("f.toml", &source);
        let shown = text.lines().nth(3).unwrap();
        assert!(shown.chars().count() < 140, "{shown}");
        let marker = text.lines().nth(4).unwrap();
        let shown_chars: Vec<char> = shown.chars().collect();
        assert_eq!(
            shown_chars[marker.find('^').unwrap()],
            ']',
            "{shown}\n{marker}"
        );
    }

    #[test]
    fn renders_location_and_marker() {
        let source = "a = 1\nbad = 2\n";
        let diagnostic = Diagnostic::error(Some(6..9), "unknown key `bad`").with_help("try `good`");
        let text = diagnostic.render("x.toml", source);
        assert!(text.contains("x.toml:2:1"), "{text}");
        assert!(text.contains("2 | bad = 2\n  | ^^^\n"), "{text}");
        assert!(text.contains("help: try `good`"));
    }
}
