//! The JSON plan: [`crate::Plan`] serialised with every object's keys sorted, so the bytes
//! depend only on the plan (not on how serde_json was built or the order fields are declared
//! in). Documented in `docs/plan-format.md`.
//!
//! [`write()`] streams the plan to a writer (a saved plan of 100,000 moved devices is tens of
//! megabytes, and used to be a `serde_json::Value` tree several times that size);
//! [`render`] is the same bytes in a `String`.

use std::io::{self, Write};

use crate::Plan;
use crate::render::sorted_json;

/// Writes the plan as pretty-printed JSON with a trailing newline to `out`, as it is
/// serialised. Fails only when `out` does.
pub fn write(plan: &Plan, out: impl Write) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    sorted_json::write(plan, &mut out)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The plan as pretty-printed JSON, with a trailing newline.
pub fn render(plan: &Plan) -> String {
    let mut bytes = Vec::new();
    // Writing into a `Vec` cannot fail, and a plan is plain data (string keys, no key twice).
    let _ = write(plan, &mut bytes);
    String::from_utf8(bytes).unwrap_or_default()
}
