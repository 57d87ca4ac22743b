// Checks of the listing figures against the listing files on disk: which
// blocks run, their Playground links, and their highlighted changes.
// Each returns a list of problems, each naming the block.

import { nameOf, preOf } from './blocks.mjs';
import { commonLines, linesOf, programText } from './listings.mjs';

/**
 * A block shows the Playground's Run button exactly when its figure says
 * it runs (once the page has figures at all: a block outside one runs for
 * no listing), and a program the Playground cannot run has a Run button
 * of its own when its figure says it runs locally, with a caption that
 * says so and names its bin.
 */
export function runButtonsMatchFigures(blocks) {
    if (!blocks.some(block => block.figure)) {
        return [];
    }
    const playground = blocks
        .filter(block => (block.runs && !block.local) !== Boolean(block.figure?.runnable))
        .map(block => block.runs
            ? `${nameOf(block)} has a Run button but no figure with data-runnable="true"`
            : `${nameOf(block)} is data-runnable="true" but shows no Run button`);
    const local = blocks
        .filter(block => block.local !== Boolean(block.figure?.runsLocally)
            || (block.local && !block.figure.localNote?.includes(
                `on your own machine (the Playground cannot); in a terminal: cargo run -p listings --bin ${block.figure.runsLocally}`)))
        .map(block => `${nameOf(block)}: data-runs-locally="${block.figure?.runsLocally}", `
            + `local Run button: ${block.local}, caption: ${JSON.stringify(block.figure?.localNote)}`);
    return [...playground, ...local];
}

/**
 * Every runnable figure opens on the Playground, or says it is too long
 * to; a link carries exactly the program, the book's edition, stable and
 * debug, within the budget.
 */
export function playgroundLinks(blocks, { programs, edition, budget }) {
    const problems = [];
    for (const block of blocks.filter(block => block.figure?.runnable)) {
        const { link, tooLong, file } = block.figure;
        const name = nameOf(block);
        if (Boolean(link) === tooLong) {
            problems.push(`${name} needs either a.playground-link or span.playground-too-long, not ${link ? 'both' : 'neither'}`);
        }
        if (!link) {
            continue;
        }
        const bytes = Buffer.byteLength(link);
        if (!(bytes <= budget)) {
            problems.push(`${name}: its Playground link is ${bytes} bytes, over the budget of ${budget}`);
        }
        const url = new URL(link);
        const wanted = { version: 'stable', mode: 'debug', edition };
        if (url.origin !== 'https://play.rust-lang.org' || url.pathname !== '/') {
            problems.push(`${name}: its Playground link goes to ${url.origin}${url.pathname}`);
        }
        for (const [key, value] of Object.entries(wanted)) {
            if (url.searchParams.get(key) !== value) {
                problems.push(`${name}: its Playground link has ${key}=${url.searchParams.get(key)}, not ${value}`);
            }
        }
        if (url.searchParams.get('code') !== programText(programs, file)) {
            problems.push(`${name}: the code in its Playground link is not ${file} (minus anchor lines)`);
        }
    }
    return problems;
}

/**
 * A figure that changes an earlier listing highlights exactly the lines a
 * minimal line diff finds (computed here, independently of the build):
 * as many as are not common to both versions, and among them every line
 * the earlier version does not have at all. Highlighted lines look
 * different; hidden lines stay hidden.
 */
export async function highlightedChanges(page, blocks, { programs }) {
    const problems = [];
    for (const block of blocks.filter(block => block.figure?.changedFrom)) {
        const name = nameOf(block);
        const before = linesOf(programText(programs, block.figure.changedFrom));
        const shown = await preOf(page, block).locator('code').first().evaluate(code => ({
            text: code.textContent,
            lines: Array.from(code.querySelectorAll(':scope > span.line'), line => ({
                changed: line.classList.contains('changed'),
                hidden: line.classList.contains('boring'),
                visible: line.checkVisibility(),
                empty: line.textContent.trim() === '',
                background: getComputedStyle(line).backgroundColor,
            })),
        }));
        const after = linesOf(shown.text);
        // A final empty line span, after the last newline, is no line.
        const lines = shown.lines.slice(0, after.length);
        if (lines.length !== after.length) {
            problems.push(`${name}: ${shown.lines.length} span.line for ${after.length} lines of code`);
            continue;
        }
        const changed = lines.filter(line => line.changed).length;
        const expected = after.length - commonLines(before, after);
        if (changed !== expected) {
            problems.push(`${name}: ${changed} lines highlighted, but a minimal diff from ${block.figure.changedFrom} changes ${expected}`);
        }
        const earlier = new Set(before);
        after.forEach((text, index) => {
            if (!earlier.has(text) && !lines[index].changed) {
                problems.push(`${name}: line ${index + 1} is new since ${block.figure.changedFrom} but not highlighted: ${text}`);
            }
        });
        const visible = lines.filter(line => line.visible && !line.empty);
        const highlight = visible.find(line => line.changed);
        const plain = visible.find(line => !line.changed);
        if (highlight && plain && highlight.background === plain.background) {
            problems.push(`${name}: changed lines have the same background as the others (${plain.background})`);
        }
        if (lines.some(line => line.hidden && line.visible)) {
            problems.push(`${name}: hidden lines (span.line.boring) are visible`);
        }
    }
    return problems;
}

/**
 * Every exercise's solution (a listing named `*_solution.rs`) is folded
 * away when the page opens, and its starter (`*_starter.rs`) is on the
 * page, unfolded; every starter has its solution.
 */
export function foldedSolutions(blocks) {
    const problems = [];
    const files = new Set(blocks.map(block => block.figure?.file).filter(Boolean));
    for (const block of blocks.filter(block => block.figure)) {
        const { file } = block.figure;
        const name = nameOf(block);
        if (file.endsWith('_solution.rs')) {
            if (!block.folded) {
                problems.push(`${name} is a solution, but not folded away in a closed <details>`);
            }
            if (!files.has(file.replace(/_solution\.rs$/, '_starter.rs'))) {
                problems.push(`${name} is a solution without its starter on the page`);
            }
        }
        if (file.endsWith('_starter.rs')) {
            if (block.folded) {
                problems.push(`${name} is a starter, but folded away`);
            }
            if (!files.has(file.replace(/_starter\.rs$/, '_solution.rs'))) {
                problems.push(`${name} is a starter without its solution on the page`);
            }
        }
    }
    return problems;
}
