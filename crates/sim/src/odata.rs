//! One Graph request as the routes see it ([`Call`]), and the OData query options the
//! simulator understands: `$top`, `$skip`, `$skiptoken`, `$select`, `$expand`, `$filter` (a small
//! subset, per collection), `$count`.

use serde_json::{Map, Value};

use crate::reply::GraphError;
use crate::schema::ApiVersion;

/// HTTP method of a Graph request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
    Put,
    Delete,
    Other(String),
}

impl Method {
    pub fn parse(text: &str) -> Method {
        match text.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PATCH" => Method::Patch,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            other => Method::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Other(other) => other,
        }
    }

    pub fn is_write(&self) -> bool {
        !matches!(self, Method::Get)
    }
}

/// A Graph request after the version segment.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: Method,
    pub version: ApiVersion,
    /// Decoded path after the version, e.g. `/groups/abc/owners/$ref`.
    pub path: String,
    /// Path segments; OData keys `name('k')` become `name`, `k`; alternate keys
    /// `name(appId='k')` become `name`, `(appId='k')`.
    pub segments: Vec<String>,
    /// The query string as sent (for next links).
    pub raw_query: String,
    /// Decoded query pairs.
    pub query: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// `http://host:port` from the Host header.
    pub base_url: String,
    /// The signed-in application.
    pub client_id: String,
    /// What the caller's token may do.
    pub grant: crate::auth::Grant,
    /// `ConsistencyLevel: eventual` was sent.
    pub consistency_eventual: bool,
}

impl Call {
    /// Splits a decoded path into segments (see [`Call::segments`]).
    pub fn split_path(path: &str) -> Vec<String> {
        let mut out = Vec::new();
        for raw in path.split('/').filter(|s| !s.is_empty()) {
            match raw.find('(') {
                Some(open) if raw.ends_with(')') && open > 0 => {
                    out.push(raw[..open].to_owned());
                    let key = &raw[open + 1..raw.len() - 1];
                    if key.contains('=') {
                        out.push(format!("({key})"));
                    } else {
                        out.push(key.trim_matches('\'').to_owned());
                    }
                }
                _ => out.push(raw.to_owned()),
            }
        }
        out
    }

    /// The request body as a JSON object.
    pub fn json_body(&self) -> Result<Map<String, Value>, GraphError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(GraphError::bad_request("Empty Payload. JSON content expected."));
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(GraphError::bad_request(
                "The request payload must be a JSON object.",
            )),
            Err(e) => Err(GraphError::bad_request(format!(
                "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format. ({e})"
            ))),
        }
    }
}

/// Decodes `%XX` escapes (and `+` as space when `plus` is set).
pub(crate) fn percent_decode(text: &str, plus: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decoded `key=value` pairs of a query string.
pub(crate) fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key, true), percent_decode(value, true))
        })
        .collect()
}

/// The OData system query options of a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Query {
    pub top: Option<usize>,
    pub skip: Option<usize>,
    pub skiptoken: Option<String>,
    pub select: Option<Vec<String>>,
    pub expand: Vec<String>,
    pub filter: Option<Vec<Clause>>,
    pub count: bool,
    pub orderby: Option<String>,
    pub search: Option<String>,
}

impl Query {
    pub fn parse(pairs: &[(String, String)]) -> Result<Query, GraphError> {
        let mut query = Query::default();
        for (key, value) in pairs {
            if !key.starts_with('$') {
                continue;
            }
            match key.to_ascii_lowercase().as_str() {
                "$top" => {
                    let top = value.trim().parse::<i64>().map_err(|_| {
                        GraphError::bad_request(format!("Invalid value '{value}' for query option '$top'."))
                    })?;
                    query.top = Some(usize::try_from(top).map_err(|_| {
                        GraphError::bad_request(format!("Invalid value '{value}' for query option '$top'."))
                    })?);
                }
                "$skip" => {
                    query.skip = Some(value.trim().parse::<usize>().map_err(|_| {
                        GraphError::bad_request(format!("Invalid value '{value}' for query option '$skip'."))
                    })?);
                }
                "$skiptoken" => query.skiptoken = Some(value.clone()),
                "$select" => {
                    query.select = Some(
                        value
                            .split(',')
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .collect(),
                    );
                }
                "$expand" => {
                    query.expand = value
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect();
                }
                "$filter" => query.filter = Some(parse_filter(value)?),
                "$count" => query.count = value.eq_ignore_ascii_case("true"),
                "$orderby" => query.orderby = Some(value.clone()),
                "$search" => query.search = Some(value.clone()),
                "$format" | "$apply" | "$levels" => {
                    return Err(GraphError::bad_request(format!(
                        "Query option '{key}' is not supported."
                    )));
                }
                _ => {
                    return Err(GraphError::bad_request(format!(
                        "The query parameter '{key}' is not supported."
                    )));
                }
            }
        }
        Ok(query)
    }
}

/// A literal in a filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Bool(bool),
    Num(i64),
    Null,
}

/// One `$filter` clause; clauses are joined by `and`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Clause {
    Eq(String, Lit),
    /// `p in ('a', 'b')`: string values only, at most [`MAX_IN_VALUES`].
    In(String, Vec<String>),
    StartsWith(String, String),
    Contains(String, String),
    IsOf(String),
    /// A function the simulator parses but no collection supports (e.g. `endswith`).
    Other(String),
}

impl Clause {
    /// The property the clause tests (`@odata.type` for `isof`).
    pub fn property(&self) -> &str {
        match self {
            Clause::Eq(p, _) | Clause::In(p, _) | Clause::StartsWith(p, _) | Clause::Contains(p, _) => p,
            Clause::IsOf(_) => "@odata.type",
            Clause::Other(name) => name,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Open,
    Close,
    Comma,
}

fn unsupported_filter(text: &str) -> GraphError {
    GraphError::bad_request(format!(
        "Invalid filter clause: the simulator cannot parse '{text}'."
    ))
}

fn tokenize(text: &str) -> Result<Vec<Tok>, GraphError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        match ch {
            ' ' | '\t' => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '\'' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(unsupported_filter(text)),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            value.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(c) => {
                            value.push(*c);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(value));
            }
            c if c.is_alphanumeric() || matches!(c, '_' | '/' | '.' | '-' | '@' | '#') => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '/' | '.' | '-' | '@' | '#'))
                {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            _ => return Err(unsupported_filter(text)),
        }
    }
    Ok(out)
}

/// Most values an `in` clause may hold: Graph limits a filter to 15 expressions by default
/// ("filter query parameter", Microsoft Learn: the `in` operator's note).
pub(crate) const MAX_IN_VALUES: usize = 15;

/// Parses the filter subset: `p eq lit`, `p in ('a', …)`, `startswith(p,'x')`, `contains(p,'x')`,
/// `isof('type')`, joined by `and`.
pub(crate) fn parse_filter(text: &str) -> Result<Vec<Clause>, GraphError> {
    let tokens = tokenize(text)?;
    let mut clauses = Vec::new();
    let mut i = 0;
    loop {
        let (clause, next) = parse_clause(&tokens, i).ok_or_else(|| unsupported_filter(text))?;
        if let Clause::In(_, values) = &clause
            && values.len() > MAX_IN_VALUES
        {
            return Err(GraphError::bad_request(format!(
                "Too many values in an 'in' clause: {} (at most {MAX_IN_VALUES}).",
                values.len()
            )));
        }
        clauses.push(clause);
        i = next;
        match tokens.get(i) {
            None => break,
            Some(Tok::Ident(and)) if and.eq_ignore_ascii_case("and") => i += 1,
            Some(_) => return Err(unsupported_filter(text)),
        }
    }
    Ok(clauses)
}

fn parse_clause(tokens: &[Tok], i: usize) -> Option<(Clause, usize)> {
    let Tok::Ident(first) = tokens.get(i)? else {
        return None;
    };
    if tokens.get(i + 1) == Some(&Tok::Open) {
        let function = first.to_ascii_lowercase();
        let mut args = Vec::new();
        let mut j = i + 2;
        loop {
            match tokens.get(j)? {
                Tok::Close => break,
                Tok::Comma => {}
                token => args.push(token.clone()),
            }
            j += 1;
        }
        let clause = match (function.as_str(), args.as_slice()) {
            ("startswith", [Tok::Ident(p), Tok::Str(s)]) => Clause::StartsWith(p.clone(), s.clone()),
            ("contains", [Tok::Ident(p), Tok::Str(s)]) => Clause::Contains(p.clone(), s.clone()),
            ("isof", [Tok::Str(t)]) => Clause::IsOf(t.clone()),
            _ => Clause::Other(function),
        };
        return Some((clause, j + 1));
    }
    let Tok::Ident(op) = tokens.get(i + 1)? else {
        return None;
    };
    if op.eq_ignore_ascii_case("in") {
        if tokens.get(i + 2)? != &Tok::Open {
            return None;
        }
        let mut values = Vec::new();
        let mut j = i + 3;
        loop {
            match tokens.get(j)? {
                Tok::Str(value) => values.push(value.clone()),
                _ => return None,
            }
            match tokens.get(j + 1)? {
                Tok::Comma => j += 2,
                Tok::Close => break,
                _ => return None,
            }
        }
        return Some((Clause::In(first.clone(), values), j + 2));
    }
    if !op.eq_ignore_ascii_case("eq") {
        return Some((Clause::Other(op.to_ascii_lowercase()), i + 3));
    }
    let lit = match tokens.get(i + 2)? {
        Tok::Str(s) => Lit::Str(s.clone()),
        Tok::Ident(word) if word == "true" => Lit::Bool(true),
        Tok::Ident(word) if word == "false" => Lit::Bool(false),
        Tok::Ident(word) if word == "null" => Lit::Null,
        Tok::Ident(word) => Lit::Num(word.parse().ok()?),
        _ => return None,
    };
    Some((Clause::Eq(first.clone(), lit), i + 3))
}

/// Whether an object passes every clause. `get` returns a property's value (`@odata.type` for
/// `isof`). String comparisons ignore case, as Graph's do.
pub(crate) fn matches(clauses: &[Clause], get: impl Fn(&str) -> Option<Value>) -> bool {
    clauses.iter().all(|clause| match clause {
        Clause::Eq(p, lit) => {
            let value = get(p).unwrap_or(Value::Null);
            match (lit, &value) {
                (Lit::Str(s), Value::String(v)) => v.eq_ignore_ascii_case(s),
                (Lit::Bool(b), Value::Bool(v)) => v == b,
                (Lit::Num(n), Value::Number(v)) => v.as_i64() == Some(*n),
                (Lit::Null, Value::Null) => true,
                _ => false,
            }
        }
        Clause::In(p, values) => get(p)
            .and_then(|v| {
                v.as_str()
                    .map(|v| values.iter().any(|s| v.eq_ignore_ascii_case(s)))
            })
            .unwrap_or(false),
        Clause::StartsWith(p, s) => get(p)
            .and_then(|v| {
                v.as_str()
                    .map(|v| v.to_lowercase().starts_with(&s.to_lowercase()))
            })
            .unwrap_or(false),
        Clause::Contains(p, s) => get(p)
            .and_then(|v| v.as_str().map(|v| v.to_lowercase().contains(&s.to_lowercase())))
            .unwrap_or(false),
        Clause::IsOf(t) => get("@odata.type")
            .and_then(|v| {
                v.as_str()
                    .map(|v| crate::schema::short_type(v) == crate::schema::short_type(t))
            })
            .unwrap_or(false),
        Clause::Other(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_keys_and_alternate_keys() {
        assert_eq!(
            Call::split_path("/groups/abc/owners/$ref"),
            vec!["groups", "abc", "owners", "$ref"]
        );
        assert_eq!(
            Call::split_path("/servicePrincipals(appId='x')"),
            vec!["servicePrincipals", "(appId='x')"]
        );
        assert_eq!(
            Call::split_path("/deviceManagement/profiles('p1')/assignments"),
            vec!["deviceManagement", "profiles", "p1", "assignments"]
        );
    }

    #[test]
    fn decodes_queries() {
        let pairs = parse_query("$filter=displayName%20eq%20'a+b'&$top=5");
        assert_eq!(
            pairs[0],
            ("$filter".to_owned(), "displayName eq 'a b'".to_owned())
        );
        let query = Query::parse(&pairs).unwrap();
        assert_eq!(query.top, Some(5));
        assert_eq!(
            query.filter,
            Some(vec![Clause::Eq("displayName".into(), Lit::Str("a b".into()))])
        );
        assert!(Query::parse(&[("$top".into(), "-1".into())]).is_err());
        assert!(Query::parse(&[("$bogus".into(), "1".into())]).is_err());
        assert_eq!(percent_decode("100%", false), "100%");
    }

    #[test]
    fn filters_parse_and_match() {
        let clauses = parse_filter("startswith(displayName,'Auto') and securityEnabled eq true").unwrap();
        let object = json!({"displayName": "autopilot devices", "securityEnabled": true});
        assert!(matches(&clauses, |p| object.get(p).cloned()));
        let clauses = parse_filter("appId eq 'O''Brien'").unwrap();
        assert_eq!(
            clauses,
            vec![Clause::Eq("appId".into(), Lit::Str("O'Brien".into()))]
        );
        assert!(parse_filter("displayName eq").is_err());
        assert!(parse_filter("(a eq 'b'").is_err());
        assert_eq!(
            parse_filter("endswith(id,'x')").unwrap(),
            vec![Clause::Other("endswith".into())]
        );
        let within = parse_filter("displayName in ('Sales', 'O''Brien','x y')").unwrap();
        assert_eq!(
            within,
            vec![Clause::In(
                "displayName".into(),
                vec!["Sales".into(), "O'Brien".into(), "x y".into()]
            )]
        );
        assert!(matches(&within, |_| Some(json!("o'brien"))));
        assert!(!matches(&within, |_| Some(json!("Sale"))));
        for broken in [
            "displayName in",
            "displayName in ('a'",
            "displayName in ('a',)",
            "displayName in (1)",
        ] {
            assert!(parse_filter(broken).is_err(), "{broken}");
        }
        let fifteen: Vec<String> = (0..15).map(|i| format!("'n{i}'")).collect();
        assert!(parse_filter(&format!("displayName in ({})", fifteen.join(","))).is_ok());
        let sixteen = format!("displayName in ({},'n15')", fifteen.join(","));
        assert!(parse_filter(&sixteen).is_err());
        let isof = parse_filter("isof('microsoft.graph.windowsDomainJoinConfiguration')").unwrap();
        assert!(matches(&isof, |_| Some(json!(
            "#microsoft.graph.windowsDomainJoinConfiguration"
        ))));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn parsers_never_panic(text in "\\PC{0,80}") {
            let _ = parse_filter(&text);
            let _ = Query::parse(&parse_query(&text));
            let _ = Call::split_path(&text);
            let _ = percent_decode(&text, true);
        }

        #[test]
        fn filter_like_input_never_panics(text in "[a-zA-Z/()' ,=]{0,60}( eq | and )?[a-zA-Z'()]{0,20}") {
            let _ = parse_filter(&text);
        }
    }
}
