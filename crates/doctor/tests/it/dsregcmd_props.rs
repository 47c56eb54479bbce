//! Property tests of the `dsregcmd /status` parser: no input panics it, and what a well-formed
//! output says is read back exactly, in every encoding Windows writes.

use hangar_doctor::dsregcmd::DsregStatus;
use proptest::prelude::*;

const BORDER: &str = "+----------------------------------------------------------------------+";

fn render(fields: &[(String, String)], joined: bool) -> String {
    let mut out = String::new();
    let title = |out: &mut String, name: &str| {
        out.push_str(&format!("{BORDER}\n| {name:<68} |\n{BORDER}\n\n"));
    };
    title(&mut out, "Device State");
    out.push_str(&format!(
        "{:>26} : {}\n",
        "AzureAdJoined",
        if joined { "YES" } else { "NO" }
    ));
    out.push_str(&format!(
        "{:>26} : NO\n{:>26} : NO\n\n{BORDER}\n\n",
        "EnterpriseJoined", "DomainJoined"
    ));
    title(&mut out, "Tenant Details");
    for (key, value) in fields {
        out.push_str(&format!("{key:>26} : {value}\n"));
    }
    out.push_str(&format!("\n{BORDER}\n"));
    out
}

fn encode(text: &str, encoding: u8) -> Vec<u8> {
    match encoding % 4 {
        0 => text.as_bytes().to_vec(),
        1 => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        2 => {
            let body: Vec<u8> = text
                .replace('\n', "\r\n")
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect();
            [&[0xFF, 0xFE][..], &body].concat()
        }
        _ => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_input_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = DsregStatus::parse(&bytes);
    }

    #[test]
    fn no_text_panics(text in "[ -~\n|+:]{0,2000}") {
        let _ = DsregStatus::parse(text.as_bytes());
    }

    #[test]
    fn fields_read_back_in_every_encoding(
        fields in proptest::collection::vec(("[A-Za-z][A-Za-z0-9]{0,24}", "[ -~]{0,80}"), 1..12),
        encoding in 0u8..4,
    ) {
        let text = render(&fields, true);
        let status = DsregStatus::parse(&encode(&text, encoding)).expect("well formed");
        prop_assert_eq!(status.yes("Device State", "AzureAdJoined"), Some(true));
        let section = status.section("Tenant Details").expect("section");
        // The first of equal keys wins, as `field` looks keys up in order.
        for (key, value) in &fields {
            let first = fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v).unwrap();
            prop_assert_eq!(&section.field(key).expect("key").value, &first.trim().to_owned());
            let _ = value;
        }
    }
}
