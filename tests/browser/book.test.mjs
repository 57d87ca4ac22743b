// The book in Chromium, page by page, as a reader uses it. Run by
// `cargo test --test browser` (tests/browser.rs), which serves the built
// book and a Playground stand-in and says where they are:
//
//   BOOK_URL, PLAYGROUND_URL   the two servers (http://127.0.0.1:PORT/)
//   LOCAL_RUN_URL              the local Playground the pages run the
//                              programs the Playground cannot run on, as
//                              `cargo book serve` offers it
//   RUN_BUTTONS_ANSWERED       a directory where a file named after each
//                              chapter (part3-io) appears once the
//                              stand-in has run every program its Run
//                              buttons post
//   PROJECT_ROOT               the repository, for the chapters' sources
//   PROGRAMS_DIR               every listing as the page must carry it:
//                              programs assembled with their library
//                              modules (cargo book assemble --all)
//   CHROMIUM                   the browser to drive
//   SCREENSHOT_DIR             where every page's screenshots go
//   BOOK_WHOLE_PAGE_SCREENSHOTS  if set, pages are photographed whole
//   RESULTS_FILE               where the programs' outputs go, as JSON,
//                              for the Rust side to compare
//   EDITED_PROGRAM, EDITED_OUTPUT
//                              the program every Edit button is tried
//                              with (the stand-in has run it already), and
//                              what it prints
//   BOOK_EDITION, PLAYGROUND_URL_BUDGET, GIT_REPOSITORY_URL
//                              what book.toml and the build promise
//   ACCESSIBILITY_CACHE        which pages axe-core found clean, kept
//                              from run to run (not read under CI)
//
// Every failure names the page and the listing or element.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';

import { accessibilityProblems, cleanPages } from './lib/accessibility.mjs';
import { nameOf, readBlocks } from './lib/blocks.mjs';
import { foldedSolutions, highlightedChanges, playgroundLinks, runButtonsMatchFigures } from './lib/figures.mjs';
import { programText, withoutFinalNewline } from './lib/listings.mjs';
import { editAll, runAll } from './lib/runs.mjs';
import { launch, openPage, runButtonsDecided } from './lib/session.mjs';

const env = name => {
    assert.ok(process.env[name], `${name} is not set: run me with cargo test --test browser`);
    return process.env[name];
};
const book = {
    url: env('BOOK_URL'),
    playground: env('PLAYGROUND_URL'),
    localRun: env('LOCAL_RUN_URL'),
    root: env('PROJECT_ROOT'),
    programs: env('PROGRAMS_DIR'),
    edition: env('BOOK_EDITION'),
    budget: Number(env('PLAYGROUND_URL_BUDGET')),
    repository: env('GIT_REPOSITORY_URL'),
};
const screenshots = env('SCREENSHOT_DIR');
const answered = env('RUN_BUTTONS_ANSWERED');
const wholePages = Boolean(process.env.BOOK_WHOLE_PAGE_SCREENSHOTS);

/** A program every Edit button is tried with, and what it prints. */
const EDITED = env('EDITED_PROGRAM');
const EDITED_OUTPUT = env('EDITED_OUTPUT');

/**
 * How long print.html may take to load and settle: on a loaded machine,
 * mdBook's script takes tens of seconds over it.
 */
const PRINT_PAGE_TIMEOUT = 90_000;

/** A word only Part Three uses (check the built searchindex-*.js). */
const PART_THREE_WORD = 'getaddrinfo';

const browser = await launch(env('CHROMIUM'));
const accessibility = cleanPages({
    file: env('ACCESSIBILITY_CACHE'),
    browserVersion: browser.version(),
    reuse: !process.env.CI,
});
const open = (path, scheme, timeout) => openPage(browser, {
    bookUrl: book.url,
    playgroundUrl: book.playground,
    localRunUrl: book.localRun,
    path,
    scheme,
    timeout,
});

/**
 * Tabs that have finished with a page, for the next check to take: a
 * tab visits many pages in turn, since a new one costs Chromium a
 * core for over a second.
 */
const idleTabs = [];

/** The chapters, from the sidebar's table of contents: `part3-io`, ... */
async function chaptersInSidebar() {
    const session = await tab('index.html');
    const links = session.page.locator('#mdbook-sidebar a[href$=".html"]');
    await links.first().waitFor();
    const hrefs = await links.evaluateAll(all => all.map(a => a.getAttribute('href')));
    session.done();
    return hrefs.map(href => href.replace(/\.html$/, ''));
}
const chapters = await chaptersInSidebar();

/** What the Rust side compares: each run's output with the chapter's. */
const outputs = [];

/** What a page of another origin got from the local Playground. */
let foreignLocalRun = null;

after(async () => {
    writeFileSync(env('RESULTS_FILE'), JSON.stringify({ outputs, foreignLocalRun }, null, 2));
    accessibility.save();
    const { checked, unchanged } = accessibility.counts;
    console.log(`axe-core checked ${checked} page views; ${unchanged} more were `
        + 'unchanged since they were last found clean, and were not checked again');
    await browser.close();
});

/** Fails with every problem, one per line, each prefixed by the page. */
function assertNone(page, problems) {
    assert.ok(problems.length === 0, problems.map(p => `${page}: ${p}`).join('\n'));
}

/**
 * Opens `path` in a tab another check has finished with, if there is one.
 * `done()` hands the tab back: a check whose page failed leaves it out,
 * since it may be in any state.
 */
async function tab(path, scheme = 'light') {
    let session = idleTabs.pop();
    if (session) {
        await session.visit(path, scheme);
    } else {
        session = await open(path, scheme);
    }
    session.done = () => idleTabs.push(session);
    return session;
}

/** Opens a chapter page and waits until its Run buttons are decided. */
async function openChapter(chapter, scheme) {
    const session = await tab(`${chapter}.html`, scheme);
    await runButtonsDecided(session.page);
    session.settled();
    return session;
}

// Four pages at a time. Six made the browser alone 66 s instead of 84,
// but a whole warm run no faster: the pages then take the cores the
// tests beside them need.
describe('the book', { concurrency: 4 }, () => {
    before(() => assert.ok(chapters.length > 0, 'the sidebar lists no chapter'));

    // print.html holds every chapter, 2 MB of HTML: first, so that it
    // loads while the chapters do, and with time to spare.
    it('print.html has every chapter and prints without the sidebar', checkPrintPage);

    // One test a chapter, on one page: its look in light mode and all the
    // checks; then the system turns dark, which mdBook follows without a
    // reload, and the look again; its Edit buttons last (editing changes
    // what the blocks hold).
    for (const chapter of chapters) {
        it(`${chapter}: its look in light and dark mode, links, programs and Edit buttons`, async () => {
            const session = await openChapter(chapter, 'light');
            const blocks = await readBlocks(session.page);
            const html = await (await fetch(`${book.url}${chapter}.html`)).text();
            await checkLook(session, chapter, 'light', blocks, html);
            await checkLinks(session, chapter, blocks);
            await checkPrograms(session, chapter, blocks);
            await turnDark(session);
            await checkLook(session, chapter, 'dark', blocks, html);
            await checkEditButtons(session, blocks);
            assertNone(`${chapter}.html`, session.problems);
            session.done();
        });
    }

    it(`search for ${PART_THREE_WORD} leads to Part Three`, checkSearch);

    it('axe-core sees a theme that fails WCAG 2 AA', checkAxeSeesBadContrast);

    it('a page of another origin cannot run a program on the local Playground', checkForeignLocalRun);

    // A page opened on a dark system is dark from its first paint: the
    // script in the page's head decides, before book.js, the same on
    // every page.
    it('a page opened on a dark system is dark from the start', async () => {
        const session = await tab('index.html', 'dark');
        const classes = await session.page.locator('html').getAttribute('class');
        if (!classes.split(' ').includes('navy')) {
            session.problems.push(`<html class="${classes}">, not navy, on a dark system`);
        }
        assertNone('index.html (dark)', session.problems);
        session.done();
    });
});


/** Searching a word only Part Three uses finds only Part Three. */
async function checkSearch() {
    const session = await tab('index.html');
    const { page, problems } = session;
    await page.keyboard.press('s');
    await page.locator('#mdbook-searchbar').pressSequentially(PART_THREE_WORD);
    const results = page.locator('#mdbook-searchresults li a');
    await results.first().waitFor();
    const hrefs = await results.evaluateAll(links => links.map(a => a.getAttribute('href')));
    for (const href of hrefs.filter(href => !href.startsWith('part3-io.html'))) {
        problems.push(`searching ${PART_THREE_WORD} finds ${href}, not part3-io.html`);
    }
    assertNone('search', problems);
    session.done();
}

/**
 * The accessibility check is awake: greyed text, the mistake a theme
 * most easily makes (the captions were #aaa on white once), fails it.
 */
async function checkAxeSeesBadContrast() {
    const session = await tab('index.html');
    const { page } = session;
    await page.addStyleTag({ content: 'main p { color: #aaa !important; }' });
    const problems = await accessibilityProblems(page, 'light');
    assert.ok(
        problems.some(problem => problem.includes('color-contrast')),
        `#aaa text on white passed axe-core's check:\n${problems.join('\n')}`,
    );
    await session.close();
}

/** print.html has every chapter, and prints without the sidebar. */
async function checkPrintPage() {
    const session = await open('print.html', 'light', PRINT_PAGE_TIMEOUT);
    const { page, problems } = session;
    const titles = await chapterTitles(page);
    // Not runButtonsDecided: mdBook gives the Playground six seconds, and
    // on a busy machine its script is still busy with this page's 2 MB
    // when they are up, so that the page never shows its Run buttons.
    // Printing needs none; the page has loaded once nothing more comes.
    await page.waitForLoadState('networkidle');
    session.settled();
    const headings = await page.locator('main h1').allTextContents();
    for (const title of titles.filter(title => !headings.includes(title))) {
        problems.push(`no h1 "${title}"`);
    }
    await page.emulateMedia({ media: 'print' });
    const sidebar = await page.locator('#mdbook-sidebar').evaluate(nav => getComputedStyle(nav).display);
    if (sidebar !== 'none') {
        problems.push(`the sidebar is printed (display: ${sidebar})`);
    }
    await session.close();
    // For the same reason, mdBook's own request to the Playground may lose
    // its race with a six-second timer, whose rejection nothing catches.
    assertNone('print.html', problems.filter(p => p !== 'uncaught Error: timeout'));
}

/** The system's colour scheme turns dark, and mdBook's theme follows. */
async function turnDark({ page, problems }) {
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
        await page.locator('html.navy').waitFor({ state: 'attached', timeout: 5_000 });
    } catch {
        const classes = await page.locator('html').getAttribute('class');
        problems.push(`<html class="${classes}">: the theme did not follow the system to dark`);
    }
}

/**
 * The page follows the system's colour scheme, highlights changed lines
 * visibly, meets WCAG 2 AA, and is photographed for a person to look at.
 */
async function checkLook({ page, problems }, chapter, scheme, blocks, html) {
    const theme = scheme === 'dark' ? 'navy' : 'light';
    const classes = await page.locator('html').getAttribute('class');
    if (!classes.split(' ').includes(theme)) {
        problems.push(`<html class="${classes}">, not ${theme}, on a ${scheme} system`);
    }
    problems.push(...await highlightedChanges(page, blocks, book));
    problems.push(...await accessibility.check(page, theme, html));
    // The first screen, unless whole pages are asked for: a whole chapter
    // is tens of thousands of pixels tall, and photographing every page
    // whole takes a fifth of the browser's time. JPEG: Chromium encodes
    // PNG several times more slowly.
    await page.screenshot({
        path: join(screenshots, `${chapter}-${scheme}.jpeg`),
        fullPage: wholePages,
        quality: 70,
    });
}

/**
 * Run buttons where the figures say, Playground, footnote, edit links;
 * exercises' solutions folded away.
 */
async function checkLinks({ page, problems }, chapter, blocks) {
    problems.push(...runButtonsMatchFigures(blocks));
    problems.push(...foldedSolutions(blocks));
    problems.push(...playgroundLinks(blocks, book));
    problems.push(...await footnotes(page));
    problems.push(...await repositoryLinks(page, chapter));
}

/**
 * Every program, run as the page has it; its output goes to the Rust
 * side, with the output the page shows for it.
 */
async function checkPrograms(session, chapter, blocks) {
    await runButtonsAnswered(chapter);
    for (const run of await runAll(session, blocks.filter(block => block.runs))) {
        session.problems.push(...checkRun(run));
        const { file, promised } = run.block.figure ?? {};
        if (promised !== undefined) {
            outputs.push({
                page: `${chapter}.html`,
                listing: nameOf(run.block),
                file,
                output: run.output,
                promised,
            });
        }
    }
}

/**
 * Waits until the stand-in can answer every Run button of `chapter` at
 * once: it runs them all, chapter by chapter, while the pages open, and a
 * page gives up on an answer after six seconds.
 */
async function runButtonsAnswered(chapter) {
    while (!existsSync(join(answered, chapter))) {
        await sleep(100);
    }
}

/**
 * Every runnable listing has an Edit button. On each page the first
 * listing with a Playground link and the first without one are edited
 * and run, and must show the new output.
 */
async function checkEditButtons(session, blocks) {
    const { problems } = session;
    const runnable = blocks.filter(block => block.figure?.runnable && block.runs);
    for (const block of runnable.filter(block => !block.figure.editable)) {
        problems.push(`${nameOf(block)} has no Edit button (button.edit-listing)`);
    }
    // One of each kind a page has: a listing with a Playground link and
    // one too long for it. Each Edit runs a program, which takes time.
    const editable = runnable.filter(block => block.figure.editable);
    const edited = [
        editable.find(block => !block.figure.tooLong),
        editable.find(block => block.figure.tooLong),
    ].filter(Boolean);
    await editAll(session, edited, EDITED);
    for (const run of await runAll(session, edited)) {
        if (run.body?.code !== EDITED) {
            problems.push(`${nameOf(run.block)}: after Edit, Run did not send the edited program`);
        }
        if (run.output.trim() !== EDITED_OUTPUT) {
            problems.push(`${nameOf(run.block)}: after Edit, Run showed ${JSON.stringify(run.output)}`);
        }
    }
}

/**
 * What a Run button sent and got: the book's edition, the listing, and a
 * program that ran, or panicked and showed the panic if its block is
 * `should_panic` (an exercise's starter stopping at a `todo!()`).
 */
function checkRun({ block, body, answer, output }) {
    const name = nameOf(block);
    if (!body) {
        return [`${name}: Run posted nothing the stand-in answered`];
    }
    const problems = [];
    if (body.edition !== book.edition) {
        problems.push(`${name}: Run posted edition ${body.edition}, book.toml says ${book.edition}`);
    }
    const file = block.figure?.file;
    if (file && withoutFinalNewline(body.code) !== withoutFinalNewline(programText(book.programs, file))) {
        problems.push(`${name}: Run posted a program that is not ${file} (minus anchor lines)`);
    }
    if (block.shouldPanic) {
        if (!answer.error?.includes('panicked at')) {
            problems.push(`${name} is should_panic, but did not panic on the Playground stand-in:\n${answer.result}`);
        } else if (!output.includes('panicked at')) {
            problems.push(`${name} panicked, but the page does not show the panic: ${JSON.stringify(output)}`);
        }
    } else if (answer.error !== null) {
        problems.push(`${name}: the program failed on the Playground stand-in:\n${answer.result}`);
    }
    if (output.startsWith('Playground Communication') || output.startsWith('The local Playground')) {
        problems.push(`${name}: ${output}`);
    }
    return problems;
}

/**
 * The same book from another origin (localhost instead of 127.0.0.1, as
 * if another site had copied the page, token and all): its Run button
 * for a program the Playground cannot run gets no answer, as the browser
 * keeps it from the page; and a request that needs no permission to be
 * sent (`no-cors`, plain text) is sent, for the local Playground to
 * refuse (the Rust side counts the refusal).
 */
async function checkForeignLocalRun() {
    const foreign = book.url.replace('//127.0.0.1:', '//localhost:');
    const session = await openPage(browser, {
        bookUrl: foreign,
        playgroundUrl: book.playground,
        localRunUrl: book.localRun,
        path: 'introduction.html',
    });
    try {
        const { page } = session;
        const pre = page.locator('figure.listing[data-runs-locally] > pre').first();
        await pre.hover({ position: { x: 8, y: 8 } });
        await pre.locator('button.local-run-button').click();
        const result = pre.locator('code.result');
        await page.waitForFunction(
            code => !code.textContent.startsWith('Running'),
            await result.elementHandle(),
            { timeout: 30_000 },
        );
        const sent = await page.evaluate(async url => {
            const program = 'fn main() { println!("from another site") }';
            await fetch(`${url}/evaluate.json`, {
                method: 'POST',
                mode: 'no-cors',
                headers: { 'Content-Type': 'text/plain' },
                body: JSON.stringify({ code: program, edition: '2024' }),
            });
            return true;
        }, book.localRun);
        foreignLocalRun = { shown: await result.innerText(), sent };
    } finally {
        await session.close();
    }
}

/** Every footnote reference leads to a footnote on the page. */
async function footnotes(page) {
    const targets = await page.locator('sup.footnote-reference a').evaluateAll(links => links
        .map(a => a.getAttribute('href'))
        .filter(href => !document.getElementById(decodeURIComponent(href.slice(1)))));
    return targets.map(href => `footnote reference to ${href}, which is not on the page`);
}

/** The page links to the repository and to its own source, to edit. */
async function repositoryLinks(page, chapter) {
    const problems = [];
    const repository = page.locator(`.right-buttons a[href="${book.repository}"]`);
    if (await repository.count() !== 1) {
        problems.push(`no repository button linking to ${book.repository}`);
    }
    const [edit] = await page.locator('a[rel="edit"]').evaluateAll(links => links.map(a => a.getAttribute('href')));
    const source = edit?.match(/\/edit\/main\/(src\/.+\.md)$/)?.[1];
    if (!edit || !edit.startsWith(`${book.repository}/edit/main/src/`)) {
        problems.push(`no edit link to ${book.repository}/edit/main/src/...: ${edit}`);
    } else if (source !== `src/${chapter}.md` || !existsSync(join(book.root, source))) {
        problems.push(`the edit link ${edit} is not for src/${chapter}.md`);
    }
    return problems;
}

/**
 * Each chapter's title, its first h1, as `page` parses each chapter's
 * HTML: parsed only, neither laid out nor run, which takes milliseconds
 * where opening each page took over a second on a busy machine.
 */
function chapterTitles(page) {
    return page.evaluate(async chapters => {
        const titles = [];
        for (const chapter of chapters) {
            const html = await (await fetch(`${chapter}.html`)).text();
            const parsed = new DOMParser().parseFromString(html, 'text/html');
            titles.push(parsed.querySelector('main h1')?.textContent);
        }
        return titles;
    }, chapters);
}
