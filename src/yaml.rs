//! What policies and test files share of YAML: one document to a file, whatever a loader
//! would pass over after it.

use marked_yaml::Node;

/// Where the text after the first document has more than comments and an end marker (`...`).
pub(crate) fn second_document(text: &str, root: &Node) -> Option<marked_yaml::Marker> {
    let end = *root.span().end()?;
    let start = text
        .char_indices()
        .nth(end.character())
        .map_or(text.len(), |(i, _)| i);
    let mut rest = text.get(start..)?;
    // A flow mapping's span ends at its closing brace.
    if root_is_flow(text, root) {
        rest = rest.strip_prefix('}').unwrap_or(rest);
    }
    let other = rest.lines().any(|line| {
        let line = line.trim();
        let line = line.strip_prefix("...").map_or(line, str::trim_start);
        !(line.is_empty() || line.starts_with('#'))
    });
    other.then_some(end)
}

fn root_is_flow(text: &str, root: &Node) -> bool {
    root.span()
        .start()
        .and_then(|start| text.chars().nth(start.character()))
        == Some('{')
}
