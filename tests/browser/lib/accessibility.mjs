// WCAG 2 AA, as axe-core checks it, on the page as the reader has it.
//
// The book's theme (theme/accessibility.css and .js) repairs what mdBook's
// own theme gets wrong: navy's link blue, links told apart by colour
// alone, the sidebar toggle's ARIA, blocks that scroll but cannot be
// focused. With mdBook 0.5 and axe-core 4.14 nothing is left over, so any
// violation fails, whoever causes it; one that mdBook brings in later and
// that no theme can repair would be listed here with its reason.
//
// A check takes seconds of a core on a long page. A page whose HTML (which
// names every stylesheet and script by a hash of its contents), colour
// scheme, browser, axe-core and rules are all as they were at its last
// clean check is not checked again, except under CI; the suite says how
// many.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const AXE_VERSION = require('axe-core/package.json').version;

/** The rules: WCAG 2.0 and 2.1, levels A and AA. */
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * The page without the local Playground's address and token, which a
 * served book carries (tools/preprocessor/src/local_run.rs) and which
 * change from run to run without changing what the reader sees.
 */
function withoutLocalRunAddress(html) {
    return html.replace(/window\.bookLocalRun = \{[^}]*\};/g, 'window.bookLocalRun = {};');
}

/**
 * `html` without the name of the search index, which every page carries
 * and mdBook makes from a hash of its contents: an edit to one chapter
 * changes it on every page, without changing what any other page shows.
 */
function withoutSearchIndexName(html) {
    return html.replace(/"searchindex-[0-9a-f]+\.js"/g, '"searchindex.js"');
}

/** How many of a rule's failing elements a problem names. */
const SHOWN = 3;

/**
 * Every violation on `page`, one problem per rule, naming the `scheme`,
 * how many elements fail, and the first few with axe's reason.
 */
export async function accessibilityProblems(page, scheme) {
    if (!await page.evaluate(() => 'axe' in window)) {
        await page.addScriptTag({ path: AXE });
    }
    const { violations } = await page.evaluate(rules => window.axe.run(document, {
        runOnly: { type: 'tag', values: rules },
        resultTypes: ['violations'],
    }), WCAG_AA);
    return violations.map(rule => {
        const nodes = rule.nodes.slice(0, SHOWN).map(node => {
            const why = [...node.any, ...node.all, ...node.none]
                .map(check => check.message)
                .find(Boolean);
            return `\n    ${node.target.join(' ')}: ${why ?? node.failureSummary}`;
        });
        return `axe-core, ${scheme}: ${rule.id} (${rule.help}) on ${rule.nodes.length} element(s):${nodes.join('')}`;
    });
}

/**
 * The pages found clean, kept in `file` between runs: `check(page,
 * scheme, html)` checks a page unless it is unchanged since it was last
 * found clean; `save()` writes down what this run found clean; `counts`
 * says how many were checked and how many were not, being unchanged.
 */
export function cleanPages({ file, browserVersion, reuse }) {
    let known = {};
    try {
        known = reuse ? JSON.parse(readFileSync(file, 'utf8')) : {};
    } catch {
        // No earlier run: every page is checked.
    }
    const clean = {};
    const counts = { checked: 0, unchanged: 0 };
    const keyOf = (html, scheme) => createHash('sha256')
        .update(`${browserVersion}\n${AXE_VERSION}\n${WCAG_AA}\n${scheme}\n`)
        .update(withoutSearchIndexName(withoutLocalRunAddress(html)))
        .digest('hex');
    return {
        counts,
        async check(page, scheme, html) {
            const key = keyOf(html, scheme);
            if (known[key]) {
                counts.unchanged += 1;
                clean[key] = true;
                return [];
            }
            counts.checked += 1;
            const problems = await accessibilityProblems(page, scheme);
            if (problems.length === 0) {
                clean[key] = true;
            }
            return problems;
        },
        save() {
            writeFileSync(file, JSON.stringify(clean, null, 1));
        },
    };
}
