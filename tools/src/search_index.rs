//! The built book's search index, made again without the bug that doubles
//! it.
//!
//! mdBook 0.5.4 indexes each section with elasticlunr-rs 3.0.2, whose
//! `add_doc` counts the tokens of all fields in one map and never clears
//! it between fields (mattico/elasticlunr-rs#59). The index of the last
//! field, `breadcrumbs`, so receives every word and identifier of the
//! section's title and body: the index a reader downloads before the first
//! search is twice the size it should be. elasticlunr-rs 3.1.0 fixes that
//! (#60), and mdBook's lock file has not picked it up yet.
//!
//! [`rebuild`] makes the index again from what mdBook stored in it: every
//! section's title, body and breadcrumbs, with mdBook's fields, tokenizer,
//! pipeline and search options, with 3.1.0. What a search finds does not
//! change, except that a word of the body no longer also counts as a
//! breadcrumb. Drop this module once mdBook's lock file has 3.1.0.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use elasticlunr::IndexBuilder;
use serde_json::Value;

/// How mdBook's `searchindex.js` wraps the JSON.
const PREFIX: &str =
    "window.search = Object.assign(window.search, JSON.parse('";
const SUFFIX: &str = "'));";

/// The fields mdBook indexes, in the order it passes them.
const FIELDS: [&str; 3] = ["title", "body", "breadcrumbs"];

/// mdBook drops longer tokens (a minified line of code, a long URL).
const MAX_WORD_LENGTH: usize = 80;

/// mdBook's tokenizer: words between whitespace and hyphens, lowercased.
fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '-')
        .filter(|word| !word.is_empty())
        .map(|word| word.trim().to_lowercase())
        .filter(|word| word.len() <= MAX_WORD_LENGTH)
        .collect()
}

/// The one `searchindex-*.js` of the HTML book in `html`.
pub fn index_file(html: &Path) -> Result<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(html)
        .with_context(|| format!("reading {}", html.display()))?
    {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("searchindex") && name.ends_with(".js") {
            found.push(path);
        }
    }
    match <[PathBuf; 1]>::try_from(found) {
        Ok([file]) => Ok(file),
        Err(found) => bail!(
            "{}: expected one searchindex*.js, found {found:?}",
            html.display()
        ),
    }
}

/// The JSON inside `searchindex.js`. mdBook escapes each `\` and `'` with
/// a backslash to fit it in a single-quoted string.
pub fn read_index(file: &Path) -> Result<Value> {
    let text = fs::read_to_string(file)
        .with_context(|| format!("reading {}", file.display()))?;
    let quoted = text
        .trim_end()
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
        .with_context(|| {
            format!("{}: not the searchindex.js of mdBook 0.5", file.display())
        })?;
    let mut json = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        json.push(if c == '\\' {
            chars.next().unwrap_or(c)
        } else {
            c
        });
    }
    serde_json::from_str(&json)
        .with_context(|| format!("{}: the index is not JSON", file.display()))
}

/// Makes the search index of the HTML book in `html` again with
/// elasticlunr-rs 3.1.0, in place.
pub fn rebuild(html: &Path) -> Result<()> {
    let file = index_file(html)?;
    let mut search = read_index(&file)?;
    let stored = &search["index"]["documentStore"]["docs"];
    let count = search["doc_urls"].as_array().map_or(0, Vec::len);
    let mut index = FIELDS
        .iter()
        .fold(IndexBuilder::new(), |builder, field| {
            builder.add_field_with_tokenizer(field, Box::new(tokenize))
        })
        .build();
    for doc in 0..count {
        let doc = doc.to_string();
        let fields = FIELDS.map(|field| stored[&doc][field].as_str());
        let Some(fields) = fields.into_iter().collect::<Option<Vec<&str>>>()
        else {
            bail!("{}: section {doc} is not stored whole", file.display());
        };
        index.add_doc(&doc, fields);
    }
    search["index"] = serde_json::to_value(&index)?;
    let json = serde_json::to_string(&search)?;
    let quoted = json.replace('\\', "\\\\").replace('\'', "\\'");
    fs::write(&file, format!("{PREFIX}{quoted}{SUFFIX}"))
        .with_context(|| format!("writing {}", file.display()))
}

/// The words that `field` of the sections stored in `search` comes to
/// when indexed on its own, as a reference for what the index's field
/// should hold.
pub fn stored_words(search: &Value, field: &str) -> Vec<String> {
    let stored = &search["index"]["documentStore"]["docs"];
    let mut index = IndexBuilder::new()
        .add_field_with_tokenizer(field, Box::new(tokenize))
        .build();
    for (doc, fields) in stored.as_object().into_iter().flatten() {
        index.add_doc(doc, [fields[field].as_str().unwrap_or_default()]);
    }
    let index =
        serde_json::json!({ "index": serde_json::to_value(&index).unwrap() });
    field_words(&index, field)
}

/// The words an index field holds, each once.
pub fn field_words(search: &Value, field: &str) -> Vec<String> {
    fn walk(node: &Value, word: &mut String, out: &mut Vec<String>) {
        let Some(node) = node.as_object() else { return };
        if node["docs"]
            .as_object()
            .is_some_and(|docs| !docs.is_empty())
        {
            out.push(word.clone());
        }
        for (key, child) in node {
            if key != "docs" && key != "df" {
                word.push_str(key);
                walk(child, word, out);
                word.truncate(word.len() - key.len());
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &search["index"]["index"][field]["root"],
        &mut String::new(),
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `searchindex.js` as mdBook 0.5.4 writes it, for two sections.
    fn book_index(dir: &Path) -> PathBuf {
        let mut index = IndexBuilder::new()
            .add_field_with_tokenizer("title", Box::new(tokenize))
            .add_field_with_tokenizer("body", Box::new(tokenize))
            .add_field_with_tokenizer("breadcrumbs", Box::new(tokenize))
            .build();
        index.add_doc("0", ["Futures", "poll() it's ready", "Part » Futures"]);
        index.add_doc("1", ["Tasks", "spawn_blocking \\ join", "Part » Tasks"]);
        let search = serde_json::json!({
            "results_options": {"limit_results": 30},
            "doc_urls": ["a.html#futures", "a.html#tasks"],
            "index": index,
        });
        let json = serde_json::to_string(&search).unwrap();
        let quoted = json.replace('\\', "\\\\").replace('\'', "\\'");
        let file = dir.join("searchindex-0123.js");
        fs::write(&file, format!("{PREFIX}{quoted}{SUFFIX}")).unwrap();
        file
    }

    #[test]
    fn each_field_holds_its_own_words_and_the_rest_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = book_index(dir.path());
        rebuild(dir.path()).unwrap();
        let search = read_index(&file).unwrap();
        for field in FIELDS {
            assert_eq!(
                field_words(&search, field),
                stored_words(&search, field),
                "{field}"
            );
        }
        let mut crumbs = field_words(&search, "breadcrumbs");
        crumbs.sort();
        // The trimmer and the stemmer have been at them ("futur").
        assert_eq!(crumbs, ["futur", "part", "task"]);
        let body = field_words(&search, "body");
        assert!(body.contains(&"spawn_block".to_owned()), "{body:?}");
        assert!(!body.contains(&"futur".to_owned()), "{body:?}");
        // The stored text, quotes and backslashes included, is unchanged.
        let docs = &search["index"]["documentStore"]["docs"];
        assert_eq!(docs["0"]["body"], "poll() it's ready");
        assert_eq!(docs["1"]["body"], "spawn_blocking \\ join");
        assert_eq!(search["doc_urls"][1], "a.html#tasks");
        assert_eq!(search["results_options"]["limit_results"], 30);
    }

    #[test]
    fn an_index_that_is_not_mdbooks_is_refused_with_its_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("searchindex-1.js"), "var x = 1;").unwrap();
        let error = rebuild(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("not the searchindex.js of mdBook"),
            "{error}"
        );
        assert!(error.contains("searchindex-1.js"), "{error}");
    }
}
