// Run buttons for the programs the Playground cannot run (more than 512
// threads, io_uring, runs longer than its few seconds), on a book served
// by `cargo book serve`. The build marks their figures with
// `data-runs-locally` and gives the page the local Playground's address
// and token (tools/preprocessor/src/local_run.rs); a published book has
// neither, and this script does nothing there. The button posts what
// mdBook's Run button posts, to the local Playground, which runs the
// program on the reader's machine and answers as play.rust-lang.org does.
'use strict';

(function localRun() {
    const local = window.bookLocalRun;
    if (!local) {
        return;
    }


    /** Shows `text` under the block, where mdBook shows a Run's result. */
    function show(pre, text) {
        let result = pre.querySelector('code.result');
        if (!result) {
            result = document.createElement('code');
            result.className = 'result hljs language-bash';
            pre.append(result);
        }
        result.innerText = text;
    }

    async function run(figure, pre) {
        show(pre, 'Running on this machine...');
        try {
            const response = await fetch(`${local.url}/evaluate.json`, {
                method: 'POST',
                headers: {
                    'Content-Type': 'application/json',
                    'X-Book-Run-Token': local.token,
                },
                body: JSON.stringify({
                    version: 'stable',
                    optimize: '0',
                    // The whole program, hidden lines included, or what
                    // the reader made of it in the editor.
                    code: window.playground_text(pre, true),
                    edition: figure.dataset.edition,
                }),
                // The local Playground stops a program after 30 s of its
                // own time; compiling it first takes a few seconds more.
                signal: AbortSignal.timeout(120_000),
            });
            const answer = await response.json();
            show(pre, answer.result.trim() === '' ? 'No output' : answer.result);
        } catch (error) {
            show(pre, `The local Playground (cargo book serve) did not answer: ${error.message}`);
        }
    }

    for (const figure of document.querySelectorAll('figure.listing[data-runs-locally]')) {
        const pre = figure.querySelector(':scope > pre');
        if (!pre) {
            continue;
        }
        let buttons = pre.querySelector('.buttons');
        if (!buttons) {
            buttons = document.createElement('div');
            buttons.className = 'buttons';
            pre.insertBefore(buttons, pre.firstChild);
        }
        const button = document.createElement('button');
        button.className = 'local-run-button';
        button.title = 'Run this program on your machine';
        button.setAttribute('aria-label', button.title);
        button.innerHTML = document.getElementById('fa-play').innerHTML;
        button.addEventListener('click', () => run(figure, pre));
        buttons.insertBefore(button, buttons.firstChild);

        const note = document.createElement('span');
        note.className = 'runs-locally';
        const command = document.createElement('code');
        command.textContent = `cargo run -p listings --bin ${figure.dataset.runsLocally}`;
        note.append('Run runs it on your own machine (the Playground cannot); in a terminal: ', command);
        figure.querySelector('figcaption')?.append(' ', note);
    }
})();
