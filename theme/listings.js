// Listing figures in the browser. The build decides everything (which
// lines changed, which listings run: tools/preprocessor/src/figures.rs);
// this script only marks those lines, so CSS can highlight them, and adds
// an Edit button that turns a listing into mdBook's editor, and opens the
// "Going deeper" asides for printing. It runs after
// mdBook's book.js, once highlight.js has coloured the code.
'use strict';

(function listings() {
    /** "1-3,7" as the Set {1, 2, 3, 7}. */
    function lineNumbers(ranges) {
        const numbers = new Set();
        for (const range of ranges.split(',').filter(Boolean)) {
            const [first, last = first] = range.split('-').map(Number);
            for (let n = first; n <= last; n++) {
                numbers.add(n);
            }
        }
        return numbers;
    }

    const isHidden = tag => /class="[^"]*\bboring\b/.test(tag);

    /**
     * Wraps every line of a coloured code element in <span class="line">.
     * highlight.js and mdBook nest spans that may cross a line break (a
     * block comment, a hidden line with its newline), so each line closes
     * the spans still open at its end and the next line opens them again.
     * A hidden line keeps class "boring", which mdBook's "show hidden
     * lines" button toggles.
     */
    function wrapLines(code, changed) {
        const open = [];
        const lines = [];
        let line = { html: '', hidden: false, shown: false };
        for (const [piece] of code.innerHTML.matchAll(/<[^>]*>|[^<]+/g)) {
            if (piece.startsWith('</')) {
                open.pop();
                line.html += piece;
            } else if (piece.startsWith('<')) {
                open.push(piece);
                line.html += piece;
            } else {
                piece.split('\n').forEach((text, index) => {
                    const inHidden = open.some(isHidden);
                    if (index > 0) {
                        line.hidden ||= inHidden;
                        line.html += '\n' + '</span>'.repeat(open.length);
                        lines.push(line);
                        line = { html: open.join(''), hidden: false, shown: false };
                    }
                    if (text !== '') {
                        line.hidden ||= inHidden;
                        line.shown ||= !inHidden;
                    }
                    line.html += text;
                });
            }
        }
        lines.push(line);
        code.innerHTML = lines
            .map((line, index) => {
                const classes = ['line'];
                if (changed.has(index + 1)) classes.push('changed');
                if (line.hidden && !line.shown) classes.push('boring');
                return `<span class="${classes.join(' ')}">${line.html}</span>`;
            })
            .join('');
        code.classList.add('has-lines', 'has-changes');
    }

    for (const figure of document.querySelectorAll('figure.listing[data-changed-lines]')) {
        const code = figure.querySelector('pre > code');
        if (code) {
            wrapLines(code, lineNumbers(figure.dataset.changedLines));
        }
    }

    // mdBook copies a block's innerText. With a block-level element per
    // line, innerText would double every line break, so copy the lines'
    // own text instead, leaving out the hidden ones while they are hidden.
    const mdbookText = window.playground_text;
    window.playground_text = function (playground, hidden = true) {
        const code = playground.querySelector('code');
        if (hidden || !code.classList.contains('has-lines')) {
            return mdbookText(playground, hidden);
        }
        const hiding = code.classList.contains('hide-boring');
        return Array.from(code.querySelectorAll(':scope > .line'))
            .filter(line => !(hiding && line.classList.contains('boring')))
            .map(line => line.textContent)
            .join('');
    };

    /** The editor theme mdBook's own book.js picks for the page's theme. */
    function editorTheme() {
        const dark = ['coal', 'navy', 'ayu']
            .some(theme => document.documentElement.classList.contains(theme));
        return dark ? 'ace/theme/tomorrow_night' : 'ace/theme/dawn';
    }

    /**
     * Turns a listing into an editor holding the whole program, hidden
     * lines included. mdBook's Run button sends an editor's text, so the
     * reader runs the edited program.
     */
    function edit(pre, button) {
        const code = pre.querySelector('code');
        const program = code.textContent;
        for (const toggle of pre.querySelectorAll('.buttons button')) {
            if (/hidden lines|Hide lines/.test(toggle.title)) {
                toggle.remove();
            }
        }
        button.remove();
        code.classList.remove('hljs', 'language-rust', 'hide-boring', 'has-lines', 'has-changes');
        code.classList.add('editable');
        code.textContent = program;
        const editor = window.ace.edit(code);
        editor.setOptions({
            highlightActiveLine: false,
            showPrintMargin: false,
            showLineNumbers: false,
            showGutter: false,
            maxLines: Infinity,
            fontSize: '0.875em',
        });
        editor.$blockScrolling = Infinity;
        editor.getSession().setMode('ace/mode/rust');
        editor.setTheme(editorTheme());
        editor.originalCode = program;
        // book.js switches the editors' theme with the page's.
        window.editors.push(editor);
        editor.focus();
    }

    const pencil =
        '<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">' +
        '<path fill="currentColor" d="M11.7 1.3a1 1 0 0 1 1.4 0l1.6 1.6a1 1 0 0 1 0 ' +
        '1.4L5.4 13.6 1.5 14.5l.9-3.9z"/></svg>';

    // An aside is read in place on paper: open every one before printing
    // (mdBook's print page prints as soon as it loads).
    window.addEventListener('beforeprint', () => {
        for (const aside of document.querySelectorAll('details.aside')) {
            aside.open = true;
        }
    });

    if (window.ace) {
        const runnable = 'figure.listing[data-runnable="true"] pre.playground';
        for (const pre of document.querySelectorAll(runnable)) {
            const buttons = pre.querySelector('.buttons');
            if (!buttons) {
                continue;
            }
            const button = document.createElement('button');
            button.className = 'edit-listing';
            button.title = 'Edit this program here, then run it';
            button.setAttribute('aria-label', button.title);
            button.innerHTML = pencil;
            button.addEventListener('click', () => edit(pre, button));
            buttons.appendChild(button);
        }
    }
})();
