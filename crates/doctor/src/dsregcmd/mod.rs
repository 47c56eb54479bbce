//! `dsregcmd /status` output collected from a device: decoding (UTF-8, with or without BOM,
//! and the UTF-16LE that `dsregcmd /status > file.txt` writes from Windows PowerShell 5),
//! parsing into sections of `Key : Value` lines, and [`compare`]-ing it with what the
//! configuration intends for that device.
//!
//! The format is Microsoft's, documented by example on "Troubleshoot devices by using the
//! dsregcmd command": sections framed by `+----+` lines with a `| Title |` line, then
//! `Key : Value` lines (keys right-aligned, values may contain `:`). Only the keys doctor
//! compares are interpreted; everything else is kept and ignored.

pub mod compare;

use std::fmt;

/// Largest file accepted: a real output is a few kilobytes.
pub const MAX_BYTES: usize = 1024 * 1024;

/// What is wrong with a file given as `dsregcmd /status` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// It could not be read.
    Unreadable(String),
    /// It is larger than [`MAX_BYTES`].
    TooLarge(u64),
    /// It is not text (not UTF-8 nor UTF-16).
    NotText,
    /// It is text, but not `dsregcmd /status` output.
    Foreign,
    /// It stops inside a section doctor needs.
    Truncated {
        /// The section that is cut short or missing.
        section: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unreadable(why) => write!(f, "cannot read the file: {why}"),
            Problem::TooLarge(bytes) => write!(
                f,
                "the file has {bytes} bytes; `dsregcmd /status` output is a few kilobytes"
            ),
            Problem::NotText => f.write_str("the file is not text (neither UTF-8 nor UTF-16)"),
            Problem::Foreign => f.write_str(
                "the file is not `dsregcmd /status` output: it has no `Device State` section with `AzureAdJoined` and `DomainJoined`",
            ),
            Problem::Truncated { section } => write!(
                f,
                "the file looks truncated: the `{section}` section is cut short or missing"
            ),
        }
    }
}

impl Problem {
    /// What to do.
    pub fn help(&self) -> &'static str {
        match self {
            Problem::Unreadable(_) => "check the path and that you may read the file",
            Problem::TooLarge(_) | Problem::NotText | Problem::Foreign => {
                "on the device, run `dsregcmd /status > dsregcmd.txt` (cmd or PowerShell) and pass that file"
            }
            Problem::Truncated { .. } => {
                "collect the whole output again: `dsregcmd /status > dsregcmd.txt`, and copy the file rather than the console text"
            }
        }
    }
}

/// One `Key : Value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The key, trimmed (`AzureAdJoined`, `Previous Prt Attempt`).
    pub key: String,
    /// The value, trimmed (may be empty).
    pub value: String,
    /// 1-based line number in the file.
    pub line: usize,
}

/// One `| Title |` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The title (`Device State`, `Tenant Details`, …).
    pub title: String,
    /// Its fields, in order.
    pub fields: Vec<Field>,
    /// Whether its closing `+----+` line was seen.
    pub closed: bool,
}

/// A parsed `dsregcmd /status` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsregStatus {
    /// Every section, in order.
    pub sections: Vec<Section>,
    /// The encoding the file was in (`UTF-8`, `UTF-16LE`, …), for the report.
    pub encoding: &'static str,
}

/// Decodes bytes as UTF-8 or UTF-16 (by BOM, or by the zero bytes of ASCII text in UTF-16
/// without one).
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), Problem> {
    let utf16 = |body: &[u8], little: bool| -> Result<String, Problem> {
        let units = body.chunks(2).map(|pair| match (pair, little) {
            ([a, b], true) => u16::from_le_bytes([*a, *b]),
            ([a, b], false) => u16::from_be_bytes([*a, *b]),
            // An odd byte count: a cut-off file; the lone byte cannot be a character.
            _ => 0xFFFD,
        });
        char::decode_utf16(units)
            .map(|c| c.map_err(|_| Problem::NotText))
            .collect::<Result<String, Problem>>()
    };
    if let Some(body) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(body, true).map(|text| (text, "UTF-16LE"));
    }
    if let Some(body) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(body, false).map(|text| (text, "UTF-16BE"));
    }
    if let Some(body) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8(body.to_vec())
            .map(|text| (text, "UTF-8"))
            .map_err(|_| Problem::NotText);
    }
    let head = &bytes[..bytes.len().min(256)];
    let zeros_odd = head.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    let zeros_even = head.iter().step_by(2).filter(|b| **b == 0).count();
    let pairs = head.len() / 2;
    if pairs >= 4 && zeros_odd * 2 > pairs && zeros_even == 0 {
        return utf16(bytes, true).map(|text| (text, "UTF-16LE"));
    }
    if pairs >= 4 && zeros_even * 2 > pairs && zeros_odd == 0 {
        return utf16(bytes, false).map(|text| (text, "UTF-16BE"));
    }
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| Problem::NotText)?;
    if text.contains('\0') {
        return Err(Problem::NotText);
    }
    Ok((text, "UTF-8"))
}

fn is_border(line: &str) -> bool {
    let line = line.trim();
    line.len() > 2
        && line.starts_with('+')
        && line.ends_with('+')
        && line[1..line.len() - 1].chars().all(|c| c == '-')
}

impl DsregStatus {
    /// Parses a file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<DsregStatus, Problem> {
        if bytes.len() > MAX_BYTES {
            return Err(Problem::TooLarge(bytes.len() as u64));
        }
        let (text, encoding) = decode(bytes)?;
        let mut sections: Vec<Section> = Vec::new();
        // Borders come in pairs around a title; the border after a section's fields closes it.
        let mut awaiting_title_border = false;
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            let trimmed = line.trim();
            if is_border(trimmed) {
                if awaiting_title_border {
                    awaiting_title_border = false;
                } else if let Some(last) = sections.last_mut().filter(|s| !s.closed) {
                    last.closed = true;
                }
                continue;
            }
            if trimmed.len() >= 2 && trimmed.starts_with('|') && trimmed.ends_with('|') {
                let title = trimmed[1..trimmed.len() - 1].trim().to_owned();
                sections.push(Section {
                    title,
                    fields: Vec::new(),
                    closed: false,
                });
                awaiting_title_border = true;
                continue;
            }
            let Some(section) = sections.last_mut().filter(|s| !s.closed) else {
                continue;
            };
            if let Some((key, value)) = trimmed.split_once(':') {
                let key = key.trim();
                if !key.is_empty() && key.len() <= 64 {
                    section.fields.push(Field {
                        key: key.to_owned(),
                        value: value.trim().to_owned(),
                        line: index + 1,
                    });
                }
            }
        }
        let status = DsregStatus { sections, encoding };
        let device_state = status
            .section("Device State")
            .filter(|s| s.field("AzureAdJoined").is_some() || s.field("DomainJoined").is_some());
        let Some(device_state) = device_state else {
            return Err(Problem::Foreign);
        };
        if !device_state.closed
            || device_state.field("DomainJoined").is_none()
            || device_state.field("AzureAdJoined").is_none()
        {
            return Err(Problem::Truncated {
                section: "Device State".to_owned(),
            });
        }
        // Tenant details are printed for joined devices only; doctor compares them.
        if status.yes("Device State", "AzureAdJoined") == Some(true)
            && !status.section("Tenant Details").is_some_and(|s| s.closed)
        {
            return Err(Problem::Truncated {
                section: "Tenant Details".to_owned(),
            });
        }
        Ok(status)
    }

    /// The first section with this title (case-insensitive).
    pub fn section(&self, title: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.title.eq_ignore_ascii_case(title))
    }

    /// A field's value, non-empty.
    pub fn value(&self, section: &str, key: &str) -> Option<&str> {
        self.section(section)
            .and_then(|s| s.field(key))
            .map(|f| f.value.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A `YES`/`NO` field.
    pub fn yes(&self, section: &str, key: &str) -> Option<bool> {
        match self.value(section, key)?.to_ascii_uppercase().as_str() {
            "YES" => Some(true),
            "NO" => Some(false),
            _ => None,
        }
    }

    /// The section the file stops in, when its last section was cut short.
    pub fn truncated_tail(&self) -> Option<&str> {
        self.sections
            .last()
            .filter(|s| !s.closed)
            .map(|s| s.title.as_str())
    }
}

impl Section {
    /// A field by key (case-insensitive; spaces ignored, as Windows versions differ:
    /// `Device Name` and `DeviceName`).
    pub fn field(&self, key: &str) -> Option<&Field> {
        let squash = |k: &str| {
            k.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let wanted = squash(key);
        self.fields.iter().find(|f| squash(&f.key) == wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
+----------------------------------------------------------------------+
| Device State                                                         |
+----------------------------------------------------------------------+

             AzureAdJoined : YES
          EnterpriseJoined : NO
              DomainJoined : NO
               Device Name : ENG-5CG3ERLLRV

+----------------------------------------------------------------------+
| Tenant Details                                                       |
+----------------------------------------------------------------------+

                TenantName : Contoso
                  TenantId : 3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44
                    MdmUrl : https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc
                 MdmTouUrl :
+----------------------------------------------------------------------+
";

    #[test]
    fn sections_keys_and_values_with_colons() {
        let status = DsregStatus::parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(status.sections.len(), 2);
        assert_eq!(status.yes("Device State", "AzureAdJoined"), Some(true));
        assert_eq!(status.value("device state", "DeviceName"), Some("ENG-5CG3ERLLRV"));
        assert_eq!(
            status.value("Tenant Details", "MdmUrl"),
            Some("https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc")
        );
        assert_eq!(status.value("Tenant Details", "MdmTouUrl"), None);
        assert_eq!(
            status
                .section("Tenant Details")
                .unwrap()
                .field("TenantId")
                .unwrap()
                .line,
            15
        );
        assert_eq!(status.truncated_tail(), None);
    }

    #[test]
    fn utf16_with_and_without_bom_and_utf8_bom_decode() {
        let utf16le: Vec<u8> = SAMPLE.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let with_bom = [&[0xFF, 0xFE][..], &utf16le].concat();
        for bytes in [&with_bom, &utf16le] {
            let status = DsregStatus::parse(bytes).unwrap();
            assert_eq!(status.encoding, "UTF-16LE");
            assert_eq!(status.yes("Device State", "DomainJoined"), Some(false));
        }
        let utf16be: Vec<u8> = [
            &[0xFE, 0xFF][..],
            &SAMPLE
                .encode_utf16()
                .flat_map(u16::to_be_bytes)
                .collect::<Vec<u8>>(),
        ]
        .concat();
        assert_eq!(DsregStatus::parse(&utf16be).unwrap().encoding, "UTF-16BE");
        let utf8_bom = [&[0xEF, 0xBB, 0xBF][..], SAMPLE.as_bytes()].concat();
        assert_eq!(DsregStatus::parse(&utf8_bom).unwrap().encoding, "UTF-8");
        let crlf = SAMPLE.replace('\n', "\r\n");
        assert_eq!(DsregStatus::parse(crlf.as_bytes()).unwrap().sections.len(), 2);
    }

    #[test]
    fn foreign_binary_truncated_and_huge_files_are_refused() {
        assert_eq!(DsregStatus::parse(b"serial,hash\n1,2\n"), Err(Problem::Foreign));
        assert_eq!(
            DsregStatus::parse(&[0x89, b'P', b'N', b'G', 0, 0, 0xFF, 0x00, 0x01]),
            Err(Problem::NotText)
        );
        let cut = &SAMPLE[..SAMPLE.find("TenantId").unwrap()];
        assert_eq!(
            DsregStatus::parse(cut.as_bytes()),
            Err(Problem::Truncated {
                section: "Tenant Details".into()
            })
        );
        let early = &SAMPLE[..SAMPLE.find("DomainJoined").unwrap()];
        assert_eq!(
            DsregStatus::parse(early.as_bytes()),
            Err(Problem::Truncated {
                section: "Device State".into()
            })
        );
        assert!(matches!(
            DsregStatus::parse(&vec![b'x'; MAX_BYTES + 1]),
            Err(Problem::TooLarge(_))
        ));
        // An odd UTF-16 byte count (cut mid-character) still decodes what is there.
        let utf16le: Vec<u8> = SAMPLE.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let odd = [&[0xFF, 0xFE][..], &utf16le, &[0x41]].concat();
        assert!(DsregStatus::parse(&odd).is_ok());
    }
}
