// The runnable code blocks of a page (mdBook's `pre.playground`, and the
// programs a served book runs on the reader's machine) and the listing
// figures around them (tools/preprocessor/src/figures.rs), read once from
// the page so that every check names a block the same way.

/** The blocks, in page order. */
const BLOCKS = 'pre.playground, figure.listing[data-runs-locally] > pre';

/**
 * Every block of the page, in order: whether its Run button shows (and
 * whether it runs the program locally), and its figure's attributes and
 * caption, if it has a figure, with the output the page shows for it.
 */
export function readBlocks(page) {
    return page.$$eval(BLOCKS, pres => pres.map((pre, index) => {
        const button = pre.querySelector('.play-button');
        const local = pre.querySelector('.local-run-button');
        const figure = pre.closest('figure.listing');
        const caption = figure?.querySelector('figcaption');
        return {
            index,
            runs: Boolean(local) || (Boolean(button) && !button.hidden),
            // On the reader's machine, through the local Playground.
            local: Boolean(local),
            // An exercise's starter that stops at a `todo!()`: Run panics.
            shouldPanic: pre.querySelector('code').classList.contains('should_panic'),
            // Inside a closed <details>, as an exercise's solution is.
            folded: Boolean(pre.closest('details:not([open])')),
            figure: figure && {
                id: figure.id,
                file: figure.dataset.file,
                runnable: figure.dataset.runnable === 'true',
                number: caption?.querySelector('.listing-number')?.textContent,
                changedFrom: figure.dataset.changedFrom,
                changedLines: figure.dataset.changedLines,
                link: caption?.querySelector('a.playground-link')?.getAttribute('href'),
                tooLong: Boolean(caption?.querySelector('.playground-too-long')),
                runsLocally: figure.dataset.runsLocally,
                localNote: caption?.querySelector('.runs-locally')?.textContent,
                editable: Boolean(pre.querySelector('button.edit-listing')),
                // The output the chapter shows for this program, if any.
                promised: document.querySelector(
                    `figure.listing-output[data-output-of="${figure.dataset.file}"] pre code`,
                )?.textContent,
            },
        };
    }));
}

/** How failure messages name a block: its listing, or its Run button. */
export function nameOf(block) {
    return block.figure
        ? `${block.figure.number} (${block.figure.file})`
        : `code block ${block.index + 1}`;
}

/** The block's `pre` on the page. */
export function preOf(page, block) {
    return page.locator(BLOCKS).nth(block.index);
}

/**
 * Shows the block's buttons, which mdBook reveals only while the pointer
 * is over the block, the way a reader does: by pointing at its top. A
 * block folded away in a closed <details> (an exercise's solution) is
 * unfolded first, by a click on its summary.
 */
export async function pointAt(page, block) {
    const pre = preOf(page, block);
    const summary = await pre.evaluateHandle(pre => pre
        .closest('details:not([open])')
        ?.querySelector(':scope > summary') ?? null);
    await summary.asElement()?.click();
    await pre.hover({ position: { x: 8, y: 8 } });
}
