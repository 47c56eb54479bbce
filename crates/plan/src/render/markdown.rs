//! Markdown for a pull-request comment: summary table, details per resource, impact, diagram.
