// Repairs to mdBook's own page that a theme can make, for readers who use
// a keyboard or a screen reader (checked with axe-core on every page).
(() => {
    // The sidebar toggle is a <label> for a hidden checkbox, and mdBook
    // gives it aria-expanded, which a label may not carry. As a button it
    // may, and a keyboard can reach and press it.
    const toggle = document.getElementById('mdbook-sidebar-toggle');
    if (toggle && toggle.tagName === 'LABEL') {
        toggle.setAttribute('role', 'button');
        toggle.tabIndex = 0;
        toggle.addEventListener('keydown', event => {
            if (event.key === 'Enter' || event.key === ' ') {
                event.preventDefault();
                toggle.click();
            }
        });
    }

    // A block that scrolls (a listing wider than the page, a long output
    // under a Run button) can be scrolled from the keyboard only if it
    // can be focused. Outputs come and go as the reader runs programs,
    // and the page's width changes.
    let queued = false;
    const focusWhatScrolls = () => {
        queued = false;
        for (const code of document.querySelectorAll('pre > code')) {
            const scrolls = code.scrollWidth > code.clientWidth
                || code.scrollHeight > code.clientHeight;
            if (scrolls) {
                code.tabIndex = 0;
            }
        }
    };
    const soon = () => {
        if (!queued) {
            queued = true;
            requestAnimationFrame(focusWhatScrolls);
        }
    };
    window.addEventListener('load', () => {
        focusWhatScrolls();
        new MutationObserver(soon).observe(document.querySelector('main'), {
            childList: true,
            subtree: true,
            characterData: true,
            // "Show hidden lines" widens a listing by its class alone.
            attributeFilter: ['class'],
        });
    });
    window.addEventListener('resize', soon);
})();
