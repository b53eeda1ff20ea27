// GAN Playground's page code: the fast path for plots (see playground/ui/live_feed.py), the
// batch-row hover that marks its point in the data view, Enter in slider number boxes, and
// the presenter view's resize. Loaded once into the page's <head>.
(() => {
    const pg = (window.playground = window.playground || {});
    // set by the server in the same <head> script (playground/ui/live_feed.py's constant)
    const FRAMES_PER_SECOND = pg.framesPerSecond;

    // Draw {elem_id: figure} into the plots on screen, and {elem_id: html} (key __html__) into
    // HTML views. window.Plotly is the copy Gradio's Plot component loaded. Each plot is drawn
    // at its current width (no measuring pass); the width is then dropped from its layout so
    // that resizing the window still resizes the plot. A plot scrolled out of the window (the
    // open secondary tab below the one-screen view, at 1280x720) keeps only its newest figure
    // and is drawn when it scrolls into view: a Plotly repaint costs tens of milliseconds.
    const waiting = new Map();  // elem_id -> the newest figure not yet drawn
    // Whether a plot is on screen (a useful part of it in the window, not an edge), kept up
    // to date by an IntersectionObserver: measuring it on every draw forced a layout of the
    // whole page, ~10 ms of each step. A plot that comes into view gets its waiting figure.
    const inView = new WeakMap();
    const enough = (box, seen) => box.width > 0 && seen >= Math.min(120, box.height / 2);
    const thresholds = Array.from({length: 41}, (_, i) => i / 40);
    const watcher = new IntersectionObserver((entries) => {
        let appeared = false;
        for (const entry of entries) {
            const now = enough(entry.boundingClientRect, entry.intersectionRect.height);
            appeared = appeared || (now && !inView.get(entry.target));
            inView.set(entry.target, now);
        }
        if (appeared && waiting.size) catchUp();
    }, {threshold: thresholds});
    const onScreen = (el) => {
        if (!inView.has(el)) {  // measured once; the observer keeps it from then on
            const box = el.getBoundingClientRect();
            inView.set(el, enough(box, Math.min(box.bottom, window.innerHeight) - Math.max(box.top, 0)));
            watcher.observe(el);
        }
        return inView.get(el);
    };
    // The Plotly plot of view `id`, or null until Gradio has loaded Plotly and drawn it.
    const readyPlot = (id) => {
        const plot = document.querySelector('#' + id + ' .js-plotly-plot');
        return window.Plotly && plot && plot._fullLayout ? plot : null;
    };
    // A plot whose box changes width without the window resizing (the drawer, a tab shown,
    // presenter view, a column that reflows) is redrawn at its box's width: Plotly itself
    // follows the window only, and a figure drawn here keeps the width it was drawn at.
    const boxWidth = new WeakMap();  // plot -> its box's width, as the observer last saw it
    const resizer = new ResizeObserver((entries) => {
        for (const entry of entries) {
            const plot = entry.target.querySelector(':scope > .js-plotly-plot');
            const width = Math.round(entry.contentRect.width);
            if (!plot || !width || boxWidth.get(plot) === width) continue;
            boxWidth.set(plot, width);
            const drawnAt = plot._fullLayout && plot._fullLayout.width;
            if (window.Plotly && drawnAt && Math.abs(drawnAt - width) > 2) {
                window.Plotly.Plots.resize(plot);
            }
        }
    });
    const watched = new WeakSet();
    const watchSize = (plot) => {
        const box = plot.parentElement;
        if (box && !watched.has(box)) {
            watched.add(box);
            resizer.observe(box);
        }
    };
    // plots Gradio draws come and go with tabs and presets: look for new ones every second
    setInterval(() => document.querySelectorAll('.js-plotly-plot').forEach(watchSize), 1000);
    const drawn = new Map();  // elem_id -> the newest figure drawn here
    const react = (id, plot, fig) => {
        drawn.set(id, fig);
        watchSize(plot);
        const width = boxWidth.get(plot) || plot._fullLayout.width;
        const layout = {...fig.layout, width, autosize: true};
        const config = {...(plot._context || {}), displayModeBar: false};
        // the data view's points go on a canvas (assets/js/dots.js): far cheaper than markers
        const data = id === 'view-data' && pg.dots ? pg.dots.take(plot, fig.data) : fig.data;
        window.Plotly.react(plot, data, layout, config).then(() => {
            delete plot.layout.width;
        });
    };
    pg.draw = (figures) => {
        if (!figures) return;
        // Plotly first, on the layout the last frame left (where to draw is read without
        // forcing a new layout), then the SVG views, whose swap the next frame lays out once
        for (const [id, fig] of Object.entries(figures)) {
            if (id === '__html__') continue;
            const plot = readyPlot(id);
            if (!plot) {  // Gradio has not loaded Plotly or drawn it yet (just after first paint)
                waiting.set(id, fig);
                retryLater();
            } else if (onScreen(plot)) {
                waiting.delete(id);
                react(id, plot, fig);
            } else {
                waiting.set(id, fig);
            }
        }
        const html = figures.__html__ || {};
        for (const [id, markup] of Object.entries(html)) {
            const host = document.querySelector(`#${id} svg.model-graph, #${id} svg.live-view`);
            if (host) host.outerHTML = markup;
        }
    };
    // figures carry a serial number (layout.meta.paint, see live_feed.stamped): one that
    // Gradio drew since is newer than the waiting one, which is then dropped
    const serial = (layout) => (layout && layout.meta && layout.meta.paint) || 0;
    const catchUp = () => {
        for (const [id, fig] of waiting) {
            const plot = readyPlot(id);
            if (!plot) continue;  // not drawn yet: keep
            if (serial(plot.layout) > serial(fig.layout)) {
                waiting.delete(id);
            } else if (onScreen(plot)) {
                waiting.delete(id);
                react(id, plot, fig);
            }
        }
    };
    // Just after the page loads, Gradio draws its plots late (it loads Plotly first), and a
    // fast step does not queue behind the first paint as a Gradio event would: a plot not
    // drawn yet keeps its figure waiting, and one Gradio then draws with an older value
    // (a lower serial) than the one drawn here gets the newer one back. Checked every 100 ms
    // for 10 s after the page gets its step token, and after a figure came before its plot
    // for 5 s or until the plot is drawn (at most 30 s).
    const settle = () => {
        for (const [id, fig] of drawn) {
            const plot = readyPlot(id);
            const older = plot && serial(plot.layout) < serial(fig.layout);
            if (older && !waiting.has(id)) waiting.set(id, fig);
        }
        catchUp();
    };
    let settling = null;
    const retryLater = (seconds = 5) => {
        if (settling) return;
        let tries = 0;
        settling = setInterval(() => {
            settle();
            const unready = [...waiting.keys()].some((id) => !readyPlot(id));
            tries += 1;
            if ((tries >= seconds * 10 && !unready) || tries >= 300) {
                clearInterval(settling);
                settling = null;
            }
        }, 100);
    };
    pg.ready = (token) => {  // first paint hands the page its step token
        pg.page = token;
        retryLater(10);
    };

    // The status line (HTML made on the server, Session.status_html) written in place.
    const showStatus = (markup) => {
        const line = document.querySelector('#status .status-line');
        if (line && line.outerHTML !== markup) line.outerHTML = markup;
    };

    // After Play: fetch and draw frames until the token changes (Pause) or the server says
    // the run stopped. One request at a time, sent as soon as the last frame has arrived, so
    // the server builds the next frame while the page draws this one; the server builds a
    // frame when one is asked for (at most FRAMES_PER_SECOND a second), so a page that draws
    // slowly, on a busy machine, is sent fewer frames rather than a backlog. Twenty failed
    // requests in a row (server gone) end the loop.
    pg.play = (token) => {
        if (!token) return;
        pg.feed = token;
        const url = new URL('playground/frame/' + token, document.baseURI);
        let failures = 0;
        const live = () => pg.feed === token;
        const ask = () => {
            if (!live() || failures >= 20) return;
            fetch(url, {cache: 'no-store'})
                .then((response) => response.json())
                .then((frame) => {
                    failures = 0;
                    if (!live()) return;
                    if (!frame.playing) {
                        pg.feed = null;
                        return;
                    }
                    // ask for the next frame first, so that the server builds it while this
                    // one is drawn; its answer is handled after the drawing, so a slow page
                    // still holds at most one frame it has not drawn
                    ask();
                    pg.draw(frame.figures);
                    if (frame.status) showStatus(frame.status);
                })
                .catch(() => {
                    failures += 1;
                    setTimeout(ask, 1000 / FRAMES_PER_SECOND);
                });
        };
        ask();
    };
    pg.stop = () => {
        pg.feed = null;
    };

    // Step D / Step G / Step go to the server over plain HTTP (live_feed.FastSteps): the
    // answer (status line and visible figures) is drawn in place at once, then a hidden
    // Gradio button brings the timeline and the tab texts up to date. Without the tab's
    // token (before first paint) or when the route refuses, the click goes through Gradio.
    const STEPS = {'btn-step-d': 'step_d', 'btn-step-g': 'step_g', 'btn-step': 'step'};
    let through = null;  // the button whose next click Gradio handles
    document.addEventListener('click', (event) => {
        const button = event.target.closest && event.target.closest('button[id]');
        const action = button && STEPS[button.id];
        if (!action || !pg.page || button.disabled) return;
        if (through === button) {
            through = null;
            return;
        }
        event.stopImmediatePropagation();
        event.preventDefault();
        const url = new URL(`playground/step/${pg.page}/${action}`, document.baseURI);
        fetch(url, {method: 'POST', cache: 'no-store'})
            .then((response) => {
                if (response.ok) return response.json();
                // read the refusal through: an unread body holds its request (and connection)
                return response.text().then(() => {
                    throw new Error(`step: ${response.status}`);
                });
            })
            .then((answer) => {
                pg.draw(answer.figures);
                showStatus(answer.status);
                const after = document.querySelector('#btn-after-step');
                if (after) after.click();
            })
            .catch(() => {
                through = button;
                button.click();
            });
    }, true);

    // Hovering a row of the stacked batch marks that sample's point in the data view.
    const mark = (point) => {
        const plot = readyPlot('view-data');
        if (!plot) return;
        const keep = (plot.layout.shapes || []).filter((s) => s.name !== 'batch-row');
        if (point) {
            const [x, y] = point;
            const r = 0.04 * (plot._fullLayout.xaxis.range[1] - plot._fullLayout.xaxis.range[0]);
            keep.push({
                name: 'batch-row', type: 'circle', xref: 'x', yref: 'y',
                x0: x - r, x1: x + r, y0: y - r, y1: y + r,
                line: {color: '#000', width: 3},
            });
        }
        window.Plotly.relayout(plot, {shapes: keep});
    };
    // The batch view is SVG (playground/svg_views.py): each row's strip carries its point.
    document.addEventListener('mouseover', (event) => {
        const row = event.target.closest && event.target.closest('#view-batch rect[data-row]');
        if (!row) return;
        const view = document.querySelector('#view-data .js-plotly-plot');
        const twoD = view && view._fullLayout && view._fullLayout.yaxis.scaleanchor === 'x';
        if (twoD && row.hasAttribute('data-x')) {
            mark([+row.getAttribute('data-x'), +row.getAttribute('data-y')]);
        }
    });
    document.addEventListener('mouseout', (event) => {
        const row = event.target.closest && event.target.closest('#view-batch rect[data-row]');
        const next = event.relatedTarget;
        if (row && !(next && next.closest && next.closest('#view-batch rect[data-row]'))) {
            mark(null);
        }
    });

    // A slider's number box applies on Enter (Gradio applies it on blur).
    document.addEventListener('keydown', (event) => {
        const box = event.target;
        if (event.key === 'Enter' && box.matches && box.matches('input[data-testid="number-input"]')) {
            box.blur();
        }
    });

    // Presenter view: the page's class, then every plot takes the width it now has.
    pg.presenter = (on) => {
        document.body.classList.toggle('presenter', !!on);
        const drawer = document.querySelector('#drawer');
        if (on && drawer && drawer.getBoundingClientRect().left >= 0) {
            drawer.querySelector('.toggle-button').click();  // close it: the picture gets the room
        }
        const resize = () => {
            for (const plot of document.querySelectorAll('.js-plotly-plot')) {
                if (window.Plotly && plot._fullLayout) window.Plotly.Plots.resize(plot);
            }
        };
        requestAnimationFrame(() => requestAnimationFrame(resize));
        setTimeout(resize, 400);
    };
})();
