// The listing files as the book's pages should show and send them, read
// from disk, and the line diff the highlights are checked against. Kept
// apart from the browser code: this is what the pages are compared with.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// mdBook drops every line holding an anchor marker when it includes a
// file, whatever else is on the line.
const ANCHOR_MARKER = /ANCHOR(_END)?:\s*[\w-]+/;

/**
 * A listing (its path relative to the project root) as the page must carry
 * it, from the folder of assembled programs, minus anchor marker lines.
 */
export function programText(programs, file) {
    return readFileSync(join(programs, file), 'utf8')
        .split('\n')
        .filter(line => !ANCHOR_MARKER.test(line))
        .join('\n');
}

/** `text` without one final newline, if it has one. */
export function withoutFinalNewline(text) {
    return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** The lines of a text, the empty "line" after a final newline left out. */
export function linesOf(text) {
    return withoutFinalNewline(text).split('\n');
}

/**
 * The length of a longest common subsequence of two lists of lines: the
 * lines a minimal line diff keeps, so that the other lines of `after`
 * are exactly the ones a minimal diff marks as changed.
 */
export function commonLines(before, after) {
    // One row of the classic table at a time.
    let previous = new Array(after.length + 1).fill(0);
    for (const line of before) {
        const row = [0];
        after.forEach((other, j) => {
            row.push(line === other
                ? previous[j] + 1
                : Math.max(previous[j + 1], row[j]));
        });
        previous = row;
    }
    return previous[after.length];
}
