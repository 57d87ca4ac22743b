// A browser tab on the book, as a reader on a machine with no network
// would have it: the book comes from the local server, the Playground is
// the local stand-in, the programs the Playground cannot run go to the
// local Playground as `cargo book serve` offers it, and every other
// request is refused and written down, along with every console error
// and uncaught exception.

import { chromium } from 'playwright-core';

const PLAYGROUND = 'https://play.rust-lang.org';

/**
 * How long loading a page, and then mdBook's deciding its Run buttons,
 * may take: each block's whole program is highlighted as the page loads.
 * Part One took 4 s to open beside three other pages on a warm run here,
 * and over 20 s on a loaded CI machine.
 */
const PAGE_LOAD_TIMEOUT = 60_000;

/** Chromium as the toolchain notes say it runs here, headless. */
export function launch(executablePath) {
    // Playwright gives every launch a fresh, temporary profile.
    return chromium.launch({
        executablePath,
        headless: true,
        args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
        ],
    });
}

/**
 * Opens `path` of the book in a new context with the system colour
 * scheme `scheme` ('light' or 'dark'), waiting at most `timeout` ms for
 * any one thing. Returns the page and what it did:
 * `problems` (console errors, page errors, requests that left the
 * machine), `posts` (each request to the Playground with the stand-in's
 * answer; a local run's request answers for itself), `settled()`, to call once the page has loaded, and
 * `visit(path, scheme)`, which takes the same tab to another page with
 * all of that started afresh: a new context costs Chromium more than most
 * of the book's pages do.
 */
export async function openPage(browser, { bookUrl, playgroundUrl, localRunUrl, path, scheme = 'light', timeout = 20_000 }) {
    const context = await browser.newContext({
        colorScheme: scheme,
        // Wide enough for mdBook to show the sidebar.
        viewport: { width: 1280, height: 900 },
    });
    context.setDefaultTimeout(timeout);
    context.setDefaultNavigationTimeout(PAGE_LOAD_TIMEOUT);
    const book = new URL(bookUrl).origin;
    const session = {
        problems: [],
        posts: new Map(),
        loading: true,
        settled: () => { session.loading = false; },
        close: () => context.close(),
    };

    // The local Playground is reached as a reader's browser reaches it,
    // cross-origin rules and all: not through this route.
    const local = new URL(localRunUrl).origin;
    await context.route(url => url.origin !== book && url.origin !== local, async route => {
        const { problems, posts } = session;
        const request = route.request();
        const url = new URL(request.url());
        const what = `${request.method()} ${request.url()}`;
        if (url.origin !== PLAYGROUND) {
            problems.push(`requested ${what}: only the book and the Playground may be`);
            return route.abort('blockedbyclient');
        }
        // Loading a page may only ask which crates the Playground has.
        if (session.loading && url.pathname !== '/meta/crates') {
            problems.push(`requested ${what} while loading`);
        }
        let response;
        try {
            response = await route.fetch({ url: playgroundUrl + url.pathname });
        } catch (error) {
            problems.push(`the Playground stand-in did not answer ${what}: ${error.message}`);
            return route.abort('failed');
        }
        if (url.pathname === '/evaluate.json') {
            posts.set(request, {
                body: request.postDataJSON(),
                answer: await response.json(),
            });
        }
        return route.fulfill({ response });
    });

    const page = await context.newPage();
    session.page = page;
    page.on('console', message => {
        if (message.type() === 'error') {
            session.problems.push(`console error: ${message.text()}`);
        }
    });
    page.on('pageerror', error => session.problems.push(`uncaught ${error}`));
    session.visit = async (path, scheme = 'light') => {
        // What the last page kept (mdBook keeps a chosen theme and the
        // sidebar's state) must not reach the next one.
        await page.evaluate(() => {
            localStorage.clear();
            sessionStorage.clear();
        });
        await page.emulateMedia({ colorScheme: scheme, media: null });
        session.problems = [];
        session.posts = new Map();
        session.loading = true;
        await page.goto(bookUrl + path);
    };
    await page.goto(bookUrl + path);
    return session;
}

/**
 * Waits until mdBook's book.js has heard from the Playground and decided
 * which Run buttons to show: each button is then either unhidden or
 * marked `hidden` for good.
 */
export async function runButtonsDecided(page) {
    await page.waitForFunction(() => Array
        .from(document.querySelectorAll('pre.playground .play-button'))
        .every(button => !button.hidden || button.classList.contains('hidden')),
    null, { timeout: PAGE_LOAD_TIMEOUT });
}
