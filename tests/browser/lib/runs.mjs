// Pressing Run and Edit, as a reader does, and reading what the page
// shows. The programs mostly sleep for about a second, so a page's Run
// buttons are all pressed first and their results collected afterwards.

import { pointAt, preOf } from './blocks.mjs';

/**
 * What the page shows in place of a result while it waits for one:
 * mdBook's, and theme/local-run.js's.
 */
const RUNNING = ['Running...', 'Running on this machine...'];

/** How long pressing Edit may take before the editor is there. */
const EDIT_TIMEOUT = 60_000;

/**
 * Presses the Run button of every block in `blocks` and waits for all of
 * their results. Returns, per block, the request the page posted (from
 * `session.posts`: body and stand-in's answer) and the output shown.
 */
export async function runAll(session, blocks) {
    const { page } = session;
    const requests = new Map();
    for (const block of bottomUp(blocks)) {
        requests.set(block, await pressRun(page, block));
    }
    const runs = [];
    for (const block of blocks) {
        const request = requests.get(block);
        runs.push({
            block,
            output: await shownResult(page, block),
            ...(session.posts.get(request) ?? await localPost(request)),
        });
    }
    return runs;
}

/**
 * Presses the Edit button of every block in `blocks` and puts `program`
 * in each editor, through the editor's own API.
 */
export async function editAll(session, blocks, program) {
    const { page } = session;
    for (const block of bottomUp(blocks)) {
        const pre = preOf(page, block);
        await pointAt(page, block);
        // Edit lays out the whole program in the editor at once: for
        // Part Four's 760-line server that is seconds of the page's own
        // thread on a busy machine, which a click waits out.
        await pre.locator('button.edit-listing').click({ timeout: EDIT_TIMEOUT });
        const editor = pre.locator('code.editable');
        await editor.waitFor({ timeout: EDIT_TIMEOUT });
        await editor.evaluate((code, text) => {
            const editor = window.ace.edit(code);
            if (!window.editors.includes(editor)) {
                throw new Error('the editor is not in window.editors');
            }
            // mdBook's Run button sends what this editor holds.
            editor.setValue(text, 1);
        }, program);
    }
}

/**
 * The blocks from the end of the page up. A result or an editor makes its
 * block taller and moves everything below it: working upwards, the blocks
 * still to press never move under the pointer.
 */
function bottomUp(blocks) {
    return [...blocks].sort((a, b) => b.index - a.index);
}

/** Presses the block's Run button; returns the request it made. */
async function pressRun(page, block) {
    await pointAt(page, block);
    const button = block.local ? 'button.local-run-button' : 'button.play-button';
    const [request] = await Promise.all([
        page.waitForRequest(request => request.url().endsWith('/evaluate.json')
            && request.method() === 'POST'),
        preOf(page, block).locator(button).click(),
    ]);
    return request;
}

/**
 * A request to the local Playground, which went there directly: what it
 * posted and the answer, or nothing if none came.
 */
async function localPost(request) {
    const response = await request.response();
    return response && {
        body: request.postDataJSON(),
        answer: await response.json(),
    };
}

/** The result mdBook shows under the block, once it has one. */
async function shownResult(page, block) {
    const result = preOf(page, block).locator('code.result');
    await page.waitForFunction(
        ([code, running]) => !running.includes(code.textContent),
        [await result.elementHandle(), RUNNING],
        // The stand-in answers within its time limit; the page gives up
        // after six seconds, and says so in the result.
        { timeout: 30_000 },
    );
    return result.innerText();
}
