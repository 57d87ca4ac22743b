//! Every link from one page of the book to another, and every `#fragment`
//! in it, must resolve in the built book. mdbook-linkcheck2 checks linked
//! files but not fragments (a renamed heading silently breaks them), and it
//! reports lines of the chapter with its includes expanded; this check
//! names the line of the chapter source.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Result;
use scraper::{Html, Selector};

use crate::markdown::links;
use crate::{Problem, Project};

/// Checks the chapters' links against the HTML book in `html_dir`.
pub fn check(project: &Project, html_dir: &Path) -> Result<Vec<Problem>> {
    let mut ids_by_page: HashMap<PathBuf, Option<BTreeSet<String>>> =
        HashMap::new();
    let mut problems = Vec::new();
    for chapter in project.chapters()? {
        let chapter_file = Path::new("src").join(&chapter);
        for link in links(&project.read_chapter(&chapter)?) {
            let destination = link.destination.as_str();
            // Other sites are not fetched; an empty link is a draft chapter.
            if destination.is_empty()
                || destination.contains("://")
                || destination.starts_with("mailto:")
            {
                continue;
            }
            let (target, fragment) = match destination.split_once('#') {
                Some((target, fragment)) => (target, Some(fragment)),
                None => (destination, None),
            };
            let built = if target.is_empty() {
                chapter.with_extension("html")
            } else {
                let target = chapter.parent().unwrap().join(target);
                match target.extension().and_then(|e| e.to_str()) {
                    Some("md") => target.with_extension("html"),
                    _ => target,
                }
            };
            let message = match fragment {
                None if html_dir.join(&built).exists() => continue,
                None => format!(
                    "link `{destination}`: the book has no {}",
                    built.display()
                ),
                Some(fragment) => {
                    let ids = ids_by_page
                        .entry(built.clone())
                        .or_insert_with(|| ids_of(&html_dir.join(&built)));
                    match ids {
                        None => format!(
                            "link `{destination}`: the book has no page {}",
                            built.display()
                        ),
                        Some(ids) if !ids.contains(fragment) => format!(
                            "link `{destination}`: {} has no element with \
                             id \"{fragment}\"",
                            built.display()
                        ),
                        Some(_) => continue,
                    }
                }
            };
            problems.push(Problem::new(&chapter_file, link.line, message));
        }
    }
    Ok(problems)
}

/// The `id`s of a built page, or `None` if there is no such page.
fn ids_of(page: &Path) -> Option<BTreeSet<String>> {
    let html = Html::parse_document(&fs::read_to_string(page).ok()?);
    let with_id = Selector::parse("[id]").unwrap();
    Some(
        html.select(&with_id)
            .filter_map(|element| element.value().id())
            .map(str::to_owned)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::messages;

    #[test]
    fn links_and_fragments_are_checked_on_the_same_page_and_others() {
        let dir = tempfile::tempdir().unwrap();
        let (src, html) = (dir.path().join("src"), dir.path().join("html"));
        fs::create_dir_all(&src).unwrap();
        fs::create_dir_all(&html).unwrap();
        fs::write(
            src.join("a.md"),
            "[ok](#here)\n[bad](#gone)\n[other](b.md#there)\n[wrong](b.md#nope)\n[web](https://x.org/#y)\n[page](b.md)\n[none](c.md)\n",
        )
        .unwrap();
        fs::write(src.join("b.md"), "").unwrap();
        fs::write(html.join("a.html"), "<h2 id=\"here\">Here</h2>").unwrap();
        fs::write(html.join("b.html"), "<p><a id=\"there\"></a></p>").unwrap();
        let found = messages(&check(&Project::at(dir.path()), &html).unwrap());
        assert_eq!(
            found,
            [
                "src/a.md:2: link `#gone`: a.html has no element with id \"gone\"",
                "src/a.md:4: link `b.md#nope`: b.html has no element with id \"nope\"",
                "src/a.md:7: link `c.md`: the book has no c.html",
            ]
        );
    }
}
